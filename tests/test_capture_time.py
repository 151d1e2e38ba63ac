"""``capture_time`` (auditor/checks/capture_time.py): the design issue's worked example of adding a check as one
module and this test. The rule on faces and metadata as the analysis stage hands them over, then the real CLI:
``check`` on a class photo that records when it was taken, and ``fix``, whose copy no longer says it."""

from __future__ import annotations

import csv
import io
import json
from html import escape
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from auditor.analyze.faces import Face
from auditor.analyze.metadata import ImageMetadata
from auditor.checks import REGISTRY
from auditor.checks._check import FaceContext
from auditor.cli import main
from auditor.models import Subject, TriageClass

SUBJECT = Subject("https://school.example/p.jpg", "https://school.example/", "0" * 64)
EVAL_AGE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "age"


def _face(triage: TriageClass, iod: float) -> Face:
    box = (10, 10, int(iod * 2.5), int(iod * 2.7))
    landmarks = ((60, 80), (60 + iod, 80), (100, 120), (70, 160), (130, 160))
    return Face(box, 0.9, landmarks, iod, "frontal", 9.0, 0.9, 0.7, triage)


def _found(faces: list[Face], taken: str | None) -> list[str]:
    seen = FaceContext(context="school", metadata=ImageMetadata("JPEG", 1400, 700, date_taken=taken))
    return [f.title for f in REGISTRY["capture_time"].faces(SUBJECT, faces, seen)]  # type: ignore[misc]


def test_a_time_of_day_beside_a_recognisable_possible_minor_is_low() -> None:
    child, adult, small = _face("likely_child", 80), _face("adult", 80), _face("possible_minor", 20)
    (finding,) = REGISTRY["capture_time"].faces(  # type: ignore[misc]
        SUBJECT,
        [adult, child],
        FaceContext(metadata=ImageMetadata("JPEG", 1400, 700, date_taken="2024:05:14 17:10:32")),
    )
    assert finding.severity == "low" and finding.evidence["taken"] == "2024:05:14 17:10:32"
    assert finding.evidence["possible_minors"] == 1 and finding.evidence["with_gps"] is False
    assert _found([child], "2024-05-14T17:10") != []
    # A date alone, a blank camera clock, an adult, a face too small to recognise, no metadata: nothing.
    assert _found([child], "2024:05:14") == [] and _found([child], "0000:00:00 00:00:00") == []
    assert _found([adult], "2024:05:14 17:10:32") == [] and _found([small], "2024:05:14 17:10:32") == []
    assert REGISTRY["capture_time"].faces(SUBJECT, [child], FaceContext()) == []  # type: ignore[misc]


@pytest.mark.skipif(not (EVAL_AGE / "labels.csv").exists(), reason="../shared/eval/age is not beside the checkout")
def test_check_reports_when_a_class_photo_was_taken_and_fix_removes_it(tmp_path: Path) -> None:
    with (EVAL_AGE / "labels.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if 5 <= int(r["age"]) <= 10][:3]
    canvas = np.full((700, 1400, 3), 120, np.uint8)
    for i, row in enumerate(rows):
        chip = np.asarray(Image.open(EVAL_AGE / row["file"]).convert("RGB").resize((300, 300)))
        canvas[200:500, 100 + 450 * i : 400 + 450 * i] = chip
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2024:05:14 17:10:32"  # DateTimeOriginal
    buf = io.BytesIO()
    Image.fromarray(canvas).save(buf, "JPEG", quality=92, exif=exif)
    photos = tmp_path / "to-publish"
    photos.mkdir()
    (photos / "club-night.jpg").write_bytes(buf.getvalue())

    checked = CliRunner().invoke(main, ["check", str(photos), "--out", str(tmp_path / "out")])
    assert checked.exit_code in (0, 1), checked.output
    document = json.loads((tmp_path / "out" / "findings.json").read_text())
    (found,) = [f for f in document["findings"] if f["check"] == "capture_time"]
    assert found["severity"] == "low" and found["evidence"]["taken"] == "2024:05:14 17:10:32"
    assert found["evidence"]["possible_minors"] >= 1
    html = (tmp_path / "out" / "report.html").read_text()
    assert escape(REGISTRY["capture_time"].name) in html  # its section and explanations come from the declaration

    fixed = CliRunner().invoke(main, ["fix", str(photos), "--out", str(tmp_path / "safe")])
    assert fixed.exit_code == 0, fixed.output
    manifest = json.loads((tmp_path / "safe-manifest.json").read_text())
    assert all("capture_time" not in entry.get("remaining", []) for entry in manifest["files"])
    with Image.open(tmp_path / "safe" / "club-night.jpg") as copy:
        assert 0x9003 not in copy.getexif().get_ifd(0x8769)
