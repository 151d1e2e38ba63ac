"""Files named to hide (issue 29): ``auditor check`` and ``auditor fix`` decide by content, not by name; a link to
nothing is not checked, loudly; every file skipped is listed with why."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from auditor.cli import main
from tests.analyze import images

# Names under which a photo with a precise position once passed as "checking 0 files", exit 0.
HIDING = ("IMG_0003", "IMG_0001.jpg ", "IMG_0002.jpg.", "IMG_0004.jpg_large", "IMG_0005.mpo", "IMG_0006.dng")


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "to-publish"
    folder.mkdir()
    for k, name in enumerate(HIDING):
        (folder / name).write_bytes(images.jpeg(images.scene(seed=k), lat=51.5007 + k / 1000, lon=-0.1246))
    tiff = images.save(images.scene(seed=9), "TIFF")  # a raw-like TIFF container named as a Sony raw
    (folder / "IMG_0007.arw").write_bytes(tiff)
    (folder / "notes.txt").write_text("Sports day: bring a hat.\n")
    (folder / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    return folder


def test_check_decides_by_content_and_lists_what_it_skipped(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["check", str(folder), "--out", str(out), "--no-state", "--fail-on", "high"])
    assert result.exit_code == 1, result.output
    document = json.loads((out / "findings.json").read_text())
    gps = {Path(f["asset"].removeprefix("file://")).name for f in document["findings"] if f["check"] == "gps_location"}
    assert gps == {name.replace(" ", "%20") for name in HIDING}
    assert any(Path(a["url"]).name == "IMG_0007.arw" and a["metadata"] for a in document["assets"])
    (dangling,) = [f for f in document["findings"] if f["check"] == "not_checked"]
    assert dangling["asset"].endswith("/gone.jpg") and dangling["severity"] == "high"
    assert "does not exist" in dangling["evidence"]["reason"]
    (skipped,) = document["scan"]["files_skipped"]
    assert skipped["url"].endswith("/notes.txt") and "not a picture" in skipped["reason"]
    assert "not checked: 1 file" in result.output


def test_fix_copies_photos_whatever_their_names(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    result = CliRunner().invoke(main, ["fix", str(folder), "--out", str(tmp_path / "safe")])
    assert result.exit_code == 1, result.output  # the link to nothing is listed as not fixed
    manifest = json.loads((tmp_path / "safe-manifest.json").read_text())
    fixed = {Path(f["source"]).name for f in manifest["files"] if f["status"] == "fixed"}
    assert {"IMG_0001.jpg ", "IMG_0002.jpg.", "IMG_0003"} <= fixed
    (failed,) = [f for f in manifest["files"] if f["status"] == "failed"]
    assert failed["source"].endswith("gone.jpg")
    for copy in (tmp_path / "safe").iterdir():
        with Image.open(copy) as img:
            assert not img.getexif().get_ifd(0x8825), copy.name  # no GPS left in any copy


def test_fix_never_writes_two_copies_one_disk_would_see_as_one_name(tmp_path: Path) -> None:
    """Names that differ only in case or Unicode form, or by a trailing dot, are one file on Windows, macOS or an
    exFAT stick: one copy would replace another while the manifest listed both. Each copy gets a name of its own."""
    folder = tmp_path / "in"
    folder.mkdir()
    names = ["A.jpg", "a.jpg", "caf\u00e9.jpg", "cafe\u0301.jpg", "x.jpg", "x.jpg."]
    for k, name in enumerate(names):
        (folder / name).write_bytes(images.jpeg(images.scene(seed=k), lat=51.5, lon=-0.12))
    result = CliRunner().invoke(main, ["fix", str(folder), "--out", str(tmp_path / "safe")])
    assert result.exit_code == 0, result.output
    outputs = [f["output"] for f in json.loads((tmp_path / "safe-manifest.json").read_text())["files"]]
    assert len(outputs) == len(names)
    assert len({unicodedata.normalize("NFC", o).casefold() for o in outputs}) == len(names), outputs
    assert not any(o.endswith((".", " ")) for o in outputs)
