"""``check`` and ``fix`` fail closed: an unreadable file is a finding, a fix never writes into (or reads back) its
sources, documents are listed as not fixed, the manifest names no home folder, and ``--blur minors`` follows the
same triage options as ``scan`` and ``check``. Real CLI, real files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image

from auditor.cli import main
from tests.analyze import documents, images


def _check(*args: str) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    out = Path(args[args.index("--out") + 1])
    result = CliRunner().invoke(main, ["check", *args])
    return result.exit_code, result.output, json.loads((out / "findings.json").read_text())


def test_files_check_cannot_read_are_not_checked_findings_at_high(tmp_path: Path) -> None:
    folder = tmp_path / "to-upload"
    folder.mkdir()
    good = images.jpeg()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 4000)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4 this is not a pdf" + b" " * 2000)
    (folder / "tiny.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)  # too small to hold any photo
    (folder / "fine.png").write_bytes(images.save(images.scene(), "PNG"))
    status, output, document = _check(str(folder), "--out", str(tmp_path / "o"), "--fail-on", "high")
    assert status == 1, output
    not_checked = {Path(f["asset"]).name: f for f in document["findings"] if f["check"] == "not_checked"}
    assert set(not_checked) == {"truncated.jpg", "corrupt.png", "notes.pdf", "tiny.png"}
    tiny = not_checked.pop("tiny.png")
    assert tiny["severity"] == "info" and "too small" in tiny["evidence"]["reason"]
    assert all(f["severity"] == "high" and f["evidence"]["reason"] for f in not_checked.values())
    assert "object at 0x" not in json.dumps(document)
    html = (tmp_path / "o" / "report.html").read_text()
    assert "Files that could not be checked" in html


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file, so an unreadable one cannot be made")
def test_a_file_without_read_permission_is_not_checked(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    locked = folder / "locked.jpg"
    locked.write_bytes(images.jpeg())
    locked.chmod(0o000)
    status, _, document = _check(str(folder), "--out", str(tmp_path / "o"), "--fail-on", "high")
    assert status == 1 and [f["check"] for f in document["findings"]] == ["not_checked"]


def test_jpeg_xl_is_read_when_the_plugin_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("pillow_jxl", reason="pillow-jxl-plugin is not installed (the jxl extra)")
    photo = tmp_path / "in" / "portrait.jxl"
    photo.parent.mkdir()
    Image.fromarray(skimage.data.astronaut()).save(photo, "JXL")
    # In a process of its own: this test imported the plugin, which registers it here whatever the auditor does.
    result = subprocess.run(
        [sys.executable, "-m", "auditor", "check", str(photo.parent), "--out", str(tmp_path / "o"), "--no-state"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    assert document["assets"][0]["metadata"]["format"] == "JXL"
    assert "identifiable_face" in {f["check"] for f in document["findings"]}


@pytest.mark.parametrize("where", ["same", "inside", "around"])
def test_fix_refuses_an_out_folder_that_overlaps_a_source(tmp_path: Path, where: str) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    (src / "a.jpg").write_bytes(images.jpeg(lat=51.5, lon=-0.12))
    out = {"same": src, "inside": src / "safe", "around": tmp_path}[where]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["fix", str(src), "--out", str(out)])
    assert result.exit_code == 2 and "overlaps the source" in result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written


def test_documents_are_listed_as_not_fixed(tmp_path: Path) -> None:
    src = tmp_path / "newsletter"
    src.mkdir()
    portrait = images.save(Image.fromarray(skimage.data.astronaut()), "JPEG")
    (src / "summer.pdf").write_bytes(documents.pdf_with_jpeg(portrait))
    (src / "photo.jpg").write_bytes(images.jpeg(lat=51.5, lon=-0.12))
    result = CliRunner().invoke(main, ["fix", str(src), "--out", str(tmp_path / "safe")])
    assert result.exit_code == 1, result.output
    assert "not fixed (not copied): newsletter/summer.pdf" in result.output
    assert not (tmp_path / "safe" / "summer.pdf").exists() and (tmp_path / "safe" / "photo.jpg").exists()
    manifest = json.loads((tmp_path / "safe-manifest.json").read_text())
    entry = next(f for f in manifest["files"] if f["source"] == "newsletter/summer.pdf")
    assert entry["status"] == "failed" and "documents" in entry["error"]


def test_the_manifest_is_beside_the_copies_and_names_no_home_folder(tmp_path: Path) -> None:
    src = tmp_path / "home" / "jo.bloggs" / "Desktop" / "to-upload"
    src.mkdir(parents=True)
    (src / "trip.jpg").write_bytes(images.jpeg(lat=51.5, lon=-0.12))
    out = tmp_path / "safe-to-upload"
    assert CliRunner().invoke(main, ["fix", str(src), "--out", str(out)]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["trip.jpg"]  # only what is to be uploaded
    text = (tmp_path / "safe-to-upload-manifest.json").read_text()
    assert "jo.bloggs" not in text and str(tmp_path) not in text
    assert json.loads(text)["files"][0]["source"] == "to-upload/trip.jpg"


def test_a_second_fix_run_does_not_read_its_own_copies(tmp_path: Path) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    (src / "a.jpg").write_bytes(images.jpeg(lat=51.5, lon=-0.12))
    for _ in range(2):
        assert CliRunner().invoke(main, ["fix", str(src), "--out", str(tmp_path / "safe")]).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "safe").rglob("*")) == ["a.jpg"]
    assert json.loads((tmp_path / "safe-manifest.json").read_text())["fixed"] == 1


def test_blur_minors_follows_the_same_triage_options_as_check(tmp_path: Path) -> None:
    """The astronaut (as this JPEG) reads as about 38, confidently adult (P(under 18) about 0.002): an adult at the
    default threshold, a possible minor below 40 (a chosen line flags every reading under it), and below 37 not
    even in the school context: its two years widen the borderline band, which spares confident adult readings,
    as in check."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "portrait.jpg").write_bytes(images.save(Image.fromarray(skimage.data.astronaut()), "JPEG"))

    def covered(*options: str) -> int:
        out = tmp_path / f"safe{len(options)}"
        result = CliRunner().invoke(main, ["fix", str(src), "--out", str(out), "--blur", "minors", *options])
        assert result.exit_code == 0, result.output
        return int(json.loads((tmp_path / f"{out.name}-manifest.json").read_text())["files"][0]["faces_blurred"])

    assert covered() == 0
    assert covered("--minor-below", "40") == 1
    assert covered("--minor-below", "37", "--context", "general") == 0
    assert covered("--minor-below", "37", "--context", "school", "--max-side", "4096") == 0
    _, _, document = _check(str(src), "--out", str(tmp_path / "c"), "--minor-below", "40", "--context", "general")
    assert "minor_face" in {f["check"] for f in document["findings"]}


def test_a_huge_file_is_refused_unread_by_fix_and_check(tmp_path: Path) -> None:
    import tracemalloc

    src = tmp_path / "in"
    src.mkdir()
    with (src / "huge.jpg").open("wb") as fh:  # 3 GiB, sparse: costs no disk, but read whole it would cost 3 GiB
        fh.write(images.jpeg())
        fh.truncate(3 * 1024**3)
    (src / "ok.jpg").write_bytes(images.jpeg(lat=51.5, lon=-0.12))
    tracemalloc.start()
    fixed = CliRunner().invoke(main, ["fix", str(src), "--out", str(tmp_path / "safe")])
    checked = CliRunner().invoke(main, ["check", str(src), "--out", str(tmp_path / "c"), "--fail-on", "high"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 512 * 1024 * 1024
    assert fixed.exit_code == 1 and "huge.jpg: not fixed: 3,221,225,472 bytes is over --max-bytes" in fixed.output
    assert (tmp_path / "safe" / "ok.jpg").exists()
    assert checked.exit_code == 1
    document = json.loads((tmp_path / "c" / "findings.json").read_text())
    huge = next(f for f in document["findings"] if f["asset"].endswith("huge.jpg"))
    assert huge["check"] == "not_checked" and "larger than --max-bytes" in huge["evidence"]["reason"]


def test_from_scan_names_stay_inside_the_host_folder_and_never_crash(tmp_path: Path) -> None:
    from tests.server import Route, Site

    long_name = "x" * 300 + ".jpg"
    paths = ["/deep/%2e%2e/%2e%2e/fix-manifest.json.jpg", "/a%00b.jpg", f"/{long_name}", "/same", "/same/in.jpg"]
    served = ["/fix-manifest.json.jpg", *paths[1:]]  # the first as the crawler normalizes it
    routes = {
        p: Route(images.jpeg(images.scene(seed=i), lat=51.5, lon=-0.12), content_type="image/jpeg")
        for i, p in enumerate(served)
    }
    routes["/"] = Route("".join(f'<img src="{p}">' for p in paths))
    routes["/robots.txt"] = Route("", status=404)
    with Site(routes).serve() as base:
        scan = CliRunner().invoke(
            main,
            ["scan", base + "/", "--out", str(tmp_path / "scan"), "--no-state", "--render", "never", "--rate", "100"],
        )
    assert scan.exit_code == 0, scan.output
    result = CliRunner().invoke(main, ["fix", "--from-scan", str(tmp_path / "scan"), "--out", str(tmp_path / "safe")])
    assert result.exit_code == 0, result.output
    host = base.removeprefix("http://").replace(":", "_")
    written = sorted(str(p.relative_to(tmp_path / "safe")) for p in (tmp_path / "safe").rglob("*") if p.is_file())
    assert all(w.startswith(host + "/") for w in written) and len(written) == len(paths)
    assert not (tmp_path / "fix-manifest.json.jpg").exists() and all(len(Path(w).name) <= 100 for w in written)
    manifest = json.loads((tmp_path / "safe-manifest.json").read_text())
    assert manifest["fixed"] == len(paths) and manifest["failed"] == 0


@pytest.mark.parametrize("progressive", [False, True])
def test_a_photo_hidden_after_the_end_of_the_image_is_not_copied(tmp_path: Path, progressive: bool) -> None:
    from auditor.analyze.metadata import read
    from auditor.fix.run import Policy, fix_one

    buf = io.BytesIO()
    images.scene(seed=3).save(buf, "JPEG", quality=90, progressive=progressive)
    hidden = images.jpeg(lat=51.5, lon=-0.12, serial="SN-HIDDEN", artist="Jo Teacher")
    data = buf.getvalue() + hidden  # a complete second JPEG, with GPS, a serial and a name, after EOI
    assert read(data).gps is not None or b"SN-HIDDEN" in data  # what a reader of the whole file can recover
    entry, out = fix_one("trip.jpg", data, Policy(reserve=False))
    assert out is not None and entry.lossless and out == buf.getvalue()  # the image itself, byte for byte
    assert any("after the end of the image" in r for r in entry.removed)
    assert b"SN-HIDDEN" not in out and read(out).gps is None


def _animation(tmp_path: Path) -> Path:
    """A 4-frame GIF whose face appears only in its third frame."""
    first, second, last = (images.scene(512, 512, seed=s) for s in (8, 9, 10))  # distinct: GIF merges equal ones
    face = Image.fromarray(skimage.data.astronaut())
    path = tmp_path / "in" / "sports-day.gif"
    path.parent.mkdir(exist_ok=True)
    first.save(path, "GIF", save_all=True, append_images=[second, face, last], duration=200, loop=0)
    return path


def test_faces_in_later_frames_of_an_animation_are_found_and_covered(tmp_path: Path) -> None:
    from auditor.analyze.faces import Thresholds, analyse

    gif = _animation(tmp_path)
    _, _, document = _check(str(gif.parent), "--out", str(tmp_path / "c"))
    assert "identifiable_face" in {f["check"] for f in document["findings"]}
    result = CliRunner().invoke(main, ["fix", str(gif.parent), "--out", str(tmp_path / "safe"), "--blur", "all"])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "safe" / "sports-day.gif") as fixed:
        assert fixed.format == "GIF" and getattr(fixed, "n_frames", 1) == 4
        for index in range(4):
            fixed.seek(index)
            assert analyse(np.asarray(fixed.convert("RGB")), Thresholds()) == [], index


def test_a_copy_is_named_for_the_format_it_really_is(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    images.scene(seed=2).save(src / "scan.bmp", "BMP")
    result = CliRunner().invoke(main, ["fix", str(src), "--out", str(tmp_path / "safe")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "safe").iterdir()) == ["scan.png"]
    with Image.open(tmp_path / "safe" / "scan.png") as copy:
        assert copy.format == "PNG"


def test_an_animation_with_a_damaged_frame_is_not_checked(tmp_path: Path) -> None:
    """Its first frame reads fine; what follows the damage was never looked at, so it cannot pass as clean."""
    frames = [images.scene(256, 256, seed=s) for s in (1, 2, 3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "assembly.gif").write_bytes(buf.getvalue()[: int(len(buf.getvalue()) * 0.8)])
    status, output, document = _check(str(folder), "--out", str(tmp_path / "o"), "--fail-on", "high")
    assert status == 1, output
    finding = next(f for f in document["findings"] if f["check"] == "not_checked")
    assert "a frame of the animation could not be decoded" in finding["evidence"]["reason"]
