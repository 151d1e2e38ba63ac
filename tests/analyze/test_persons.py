"""People across photos (``person_exposure``), the person's age, and faces the age network cannot judge.

Real models on pictures shipped in pip packages: scikit-image's public-domain NASA portrait ("astronaut"),
published here as several different photos (cropped, mirrored, turned, placed on different backgrounds), and
insightface's bundled group photo of six adults, whose faces are also published one by one.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image, ImageOps

from auditor.analyze import persons
from auditor.analyze.faces import Thresholds, analyse
from auditor.cli import main
from auditor.models import Face
from auditor.passes.people import _people


def _jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _astronaut_photos() -> dict[str, bytes]:
    """Four different photos of the same face (none is a resized copy of another)."""
    portrait = Image.fromarray(skimage.data.astronaut())
    mirrored = ImageOps.mirror(portrait.crop((110, 10, 420, 330))).resize((560, 578))
    turned = portrait.rotate(8, resample=Image.Resampling.BICUBIC, fillcolor=(40, 60, 110))
    canvas = Image.new("RGB", (900, 640), (200, 220, 210))
    canvas.paste(portrait.crop((60, 0, 470, 420)), (300, 100))
    return {
        "visit-1.jpg": _jpeg(portrait),
        "visit-2.jpg": _jpeg(mirrored),
        "visit-3.jpg": _jpeg(turned),
        "visit-4.jpg": _jpeg(canvas),
    }


def _group_photo() -> Image.Image:
    insightface = pytest.importorskip("insightface", reason="insightface is not installed (its sample photo is used)")
    return Image.open(Path(insightface.__file__).parent / "data" / "images" / "t1.jpg").convert("RGB")


def _check(tmp_path: Path, pictures: dict[str, bytes], *options: str, folder: str = "in") -> dict[str, Any]:
    source = tmp_path / folder
    source.mkdir(parents=True, exist_ok=True)
    for name, data in pictures.items():
        (source / name).write_bytes(data)
    out = tmp_path / f"out-{folder.replace('/', '-')}{''.join(options).replace('-', '')}"
    result = CliRunner().invoke(main, ["check", str(source), "--out", str(out), "--no-state", *options])
    assert result.exit_code in (0, 1), result.output
    document: dict[str, Any] = json.loads((out / "findings.json").read_text())
    document["_out"] = str(out)
    return document


def _exposures(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in document["findings"] if f["check"] == "person_exposure"]


def test_the_same_face_in_four_photos_is_one_exposed_person(tmp_path: Path) -> None:
    document = _check(tmp_path, _astronaut_photos())
    (person,) = _exposures(document)
    assert person["evidence"]["photos"] == 4 and person["evidence"]["person"] == 1
    assert len({p["url"] for p in person["evidence"]["pictures"]}) == 4
    assert person["evidence"]["largest_iod_px"] >= 60
    # Every face finding and the consent register name the person.
    faces = [f for f in document["findings"] if f["check"] == "identifiable_face"]
    assert len(faces) == 4 and all(f["evidence"]["faces"][0]["person"] == 1 for f in faces)
    with open(Path(document["_out"]) / "faces-per-page.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and {r["people"] for r in rows} == {"person 1"}
    report = (Path(document["_out"]) / "report.html").read_text()
    assert 'id="people"' in report and 'data-person="1"' in report


def test_different_faces_are_never_one_person(tmp_path: Path) -> None:
    """Six different adults, each published alone and in the group photo, plus the astronaut in four photos:
    seven people, each in exactly the photos that show them."""
    group = _group_photo()
    pictures = {"group.jpg": _jpeg(group), **_astronaut_photos()}
    found = analyse(np.asarray(group), Thresholds())
    recognisable = [f for f in found if persons.recognisable(f)]
    assert len(recognisable) >= 4
    for n, face in enumerate(recognisable):
        x, y, w, h = face.box
        pictures[f"portrait-{n}.jpg"] = _jpeg(group.crop((max(0, x - w), max(0, y - h), x + 2 * w, y + 2 * h)))
    document = _check(tmp_path, pictures)
    exposures = _exposures(document)
    counts = sorted(e["evidence"]["photos"] for e in exposures)
    assert counts == [2] * len(recognisable) + [4]
    # No person's photos mix the group's members with each other or with the astronaut.
    for exposure in exposures:
        names = {Path(p["url"]).name for p in exposure["evidence"]["pictures"]}
        assert names <= {f"visit-{i}.jpg" for i in range(1, 5)} or (
            "group.jpg" in names and len(names - {"group.jpg"}) == 1
        ), names


def test_faces_of_one_picture_are_never_the_same_person() -> None:
    vector = np.ones(128, dtype=np.float32) / np.sqrt(128)
    groups = persons.group({("a", 0): vector, ("a", 1): vector, ("b", 0): vector})
    assert groups[("a", 0)] != groups[("a", 1)]
    assert groups[("b", 0)] in (groups[("a", 0)], groups[("a", 1)])


def _face(age: float | None, iod: float = 40.0, pose: str = "frontal") -> Face:
    return Face((0, 0, 80, 100), 0.9, ((0, 0),) * 5, iod, pose, age, None, None, "uncertain")  # type: ignore[arg-type]


def test_a_person_read_young_in_some_photos_is_a_minor_in_all() -> None:
    """A pupil read as 35 in one photo (a mask, a bad angle) and 14-16 in three others is a possible minor in
    all four; a profile that reads old is decided by the person's other photos too."""
    thresholds = Thresholds()
    triaged = {"a": [_face(35.0)], "b": [_face(16.0)], "c": [_face(14.5)], "d": [_face(40.0, pose="profile")]}
    grouping = {("a", 0): 0, ("b", 0): 0, ("c", 0): 0, ("d", 0): 0}
    ((number, keys, age),) = _people(grouping, triaged, dict.fromkeys(triaged, thresholds))
    assert number == 1 and len(keys) == 4 and age == 16.0  # the median of the three frontal readings
    assert {faces[0].triage for faces in triaged.values()} == {"possible_minor"}
    assert all(faces[0].person == 1 for faces in triaged.values())


def test_the_persons_age_ignores_profiles() -> None:
    assert persons.person_reading([_face(40.0), _face(12.0, pose="profile")]) == (40.0, None)


def test_the_persons_reading_is_their_clearest_views_not_their_youngest() -> None:
    """One young reading of an adult in a crowd (a small face, read once as 19) no longer flags every photo of
    them: the views at least half the size of their largest decide, by their median."""
    views = [_face(34.0, iod=90.0), _face(31.0, iod=70.0), _face(19.0, iod=20.0)]
    assert persons.person_reading(views) == (32.5, None)
    thresholds = Thresholds()
    triaged = {"a": [views[0]], "b": [views[1]], "c": [views[2]]}
    _people({("a", 0): 0, ("b", 0): 0, ("c", 0): 0}, triaged, dict.fromkeys(triaged, thresholds))
    assert {faces[0].triage for faces in triaged.values()} == {"adult"}


def _small_group() -> bytes:
    """The group photo shrunk until its faces are a few pixels apart at the eyes: nobody is recognisable, and
    no age can be read."""
    group = _group_photo()
    return _jpeg(group.resize((group.width // 5, group.height // 5), Image.Resampling.LANCZOS))


def test_faces_too_small_to_judge_on_a_school_page_are_possible_pupils(tmp_path: Path) -> None:
    school = _check(tmp_path, {"playground.jpg": _small_group()}, "--context", "school")
    (finding,) = [f for f in school["findings"] if f["check"] == "minor_face"]
    assert finding["severity"] == "low" and finding["evidence"]["unjudged_faces"] >= 3
    assert finding["evidence"]["possible_minors"] == 0
    general = _check(tmp_path, {"playground.jpg": _small_group()}, "--context", "general")
    assert not [f for f in general["findings"] if f["check"] == "minor_face"]


def test_a_staff_page_lowers_the_prior_and_a_gallery_raises_it(tmp_path: Path) -> None:
    """``--context auto`` on the file's own path: a staff folder gets no school margin and no small-face finding,
    a gallery gets both."""
    picture = {"photo.jpg": _small_group()}
    staff = _check(tmp_path, picture, folder="hillside-school/staff")
    gallery = _check(tmp_path, picture, folder="hillside-school/gallery")
    assert not [f for f in staff["findings"] if f["check"] == "minor_face"]
    (finding,) = [f for f in gallery["findings"] if f["check"] == "minor_face"]
    assert finding["evidence"]["context"] == "school"


def test_no_face_vector_is_kept_and_an_unchanged_rescan_reuses_the_grouping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    for name, data in _astronaut_photos().items():
        (source / name).write_bytes(data)
    state = tmp_path / "state"
    first = CliRunner().invoke(main, ["check", str(source), "--out", str(tmp_path / "o1"), "--state", str(state)])
    assert first.exit_code in (0, 1), first.output

    def no_models(*args: object) -> None:
        raise AssertionError("an unchanged re-scan must not group the faces again")

    monkeypatch.setattr(persons, "group", no_models)
    second = CliRunner().invoke(main, ["check", str(source), "--out", str(tmp_path / "o2"), "--state", str(state)])
    assert second.exit_code in (0, 1), second.output
    (person,) = _exposures(json.loads((tmp_path / "o2" / "findings.json").read_text()))
    assert person["evidence"]["photos"] == 4
    # Nothing written anywhere holds 128 numbers in a row: no face vector, in any database or output.
    for path in [*tmp_path.rglob("*.sqlite3"), *tmp_path.rglob("*.json"), *tmp_path.rglob("*.csv")]:
        if path.suffix == ".sqlite3":
            db = sqlite3.connect(path)
            tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            text = " ".join(str(row) for t in tables for row in db.execute(f'SELECT * FROM "{t}"'))
            db.close()
        else:
            text = path.read_text()
        assert not _has_vector(text), path


def _has_vector(text: str) -> bool:
    """A run of 64 or more comma-separated decimals: what a serialised embedding looks like."""
    import re

    return re.search(r"(-?\d+\.\d+\s*,\s*){63}-?\d+\.\d+", text) is not None


def test_a_picture_that_cannot_be_described_again_makes_the_people_check_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-scan with one more photo describes the cached pictures again; one that cannot be read any more is in
    no person, so the counts may be low: the audit says so (``checks_skipped``, incomplete), never a clean count.
    The failure is faked: as root, a stored copy cannot be made unreadable."""
    from auditor.analyze import face_jobs

    photos = _astronaut_photos()
    source = tmp_path / "in"
    source.mkdir()
    for name in ("visit-1.jpg", "visit-2.jpg", "visit-3.jpg"):
        (source / name).write_bytes(photos[name])
    state = tmp_path / "state"
    first = CliRunner().invoke(main, ["check", str(source), "--out", str(tmp_path / "o1"), "--state", str(state)])
    assert first.exit_code in (0, 1), first.output
    (source / "visit-4.jpg").write_bytes(photos["visit-4.jpg"])
    monkeypatch.setattr(face_jobs, "prints_of", lambda job: ())
    second = CliRunner().invoke(main, ["check", str(source), "--out", str(tmp_path / "o2"), "--state", str(state)])
    assert second.exit_code in (1, 3), second.output
    document = json.loads((tmp_path / "o2" / "findings.json").read_text())
    assert "could not be read again" in document["scan"]["checks_skipped"]["person_exposure"]
    assert document["scan"]["complete"] is False


def _burst(group: Image.Image, frame: int) -> Image.Image:
    """One frame of a burst: the same people a few pixels on and a little brighter, as a camera's next shot."""
    shifted = Image.new("RGB", group.size, (90, 90, 90))
    shifted.paste(group, (frame * 3, frame * 2))
    return shifted.point(lambda v: min(255, v + frame * 6))


def _taken(image: Image.Image, when: str) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "TestCam", "Burst 1"
    exif.get_ifd(0x8769)[0x9003] = when
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def test_burst_shots_of_one_crowd_are_one_exposure_not_a_card_per_face(tmp_path: Path) -> None:
    """Three shots of one group seconds apart show each person once: no "recognisable in 3 photos" card per
    face (before: one person_exposure finding per face, each "take down 3 photos"). Told apart without any
    metadata (the same people at the same places), and by the capture time when the frames differ more."""
    group = _group_photo()
    plain = _check(tmp_path, {f"assembly-{k}.jpg": _jpeg(_burst(group, k)) for k in range(3)}, folder="plain")
    assert len([f for f in plain["findings"] if f["check"] == "identifiable_face"]) == 3
    assert _exposures(plain) == []
    # Frames cropped differently (the layout moves) but taken within seconds by one camera: still one moment.
    crops = [group.crop((k * 40, 0, group.width - 80 + k * 40, group.height)) for k in range(3)]
    timed = {f"burst-{k}.jpg": _taken(c, f"2024:06:01 10:15:0{k * 2}") for k, c in enumerate(crops)}
    assert _exposures(_check(tmp_path, timed, folder="timed")) == []


def test_people_in_the_same_distinct_photos_are_one_finding(tmp_path: Path) -> None:
    """The same six people in two different photos (another moment: the group on a wider frame, an hour later)
    are one finding listing all six, one card and one action, not six."""
    group = _group_photo()
    wider = Image.new("RGB", (group.width + 400, group.height + 200), (30, 120, 60))
    wider.paste(group, (300, 150))
    document = _check(
        tmp_path,
        {"morning.jpg": _taken(group, "2024:06:01 09:00:00"), "prizes.jpg": _taken(wider, "2024:06:01 10:30:00")},
    )
    (finding,) = _exposures(document)
    evidence = finding["evidence"]
    assert len(evidence["people"]) >= 5 and evidence["person"] in evidence["people"]
    assert evidence["distinct_photos"] == 2 and evidence["class_reason"]
    assert finding["title"].startswith(f"{len(evidence['people'])} people")
    report = (Path(document["_out"]) / "report.html").read_text()
    assert report.count('class="card person"') == 1
