"""``auditor fix`` on real files: lossless stripping (bit-identical pixels), re-encoding where needed, the size and
face policies, the manifest, originals untouched, and the pre-publication routine end to end."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image, ImageCms, ImageOps

from auditor.analyze.faces import Thresholds, analyse, load_image
from auditor.analyze.metadata import read
from auditor.cli import main
from auditor.fix.run import Policy, fix, fix_one, local_sources
from tests.analyze import images


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def leaky_jpeg(orientation: int | None = None) -> bytes:
    exif = images.exif(lat=51.5, lon=-0.12, serial="SN-1", artist="Jo Teacher")
    if orientation:
        exif[0x0112] = orientation
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buf = io.BytesIO()
    images.scene(320, 240, seed=4).save(buf, "JPEG", quality=90, exif=exif, icc_profile=icc, comment=b"Jo's camera")
    xmp = images.xmp_segment(
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq>'
        "<rdf:li>Jo Teacher</rdf:li></rdf:Seq></dc:creator></rdf:Description>"
    )
    return images.insert_segments(buf.getvalue(), xmp, images.iptc_segment({80: "Jo Teacher"}))


def exiftool_groups(data: bytes, tmp_path: Path) -> set[str]:
    path = tmp_path / "probe.bin"
    path.write_bytes(data)
    result = subprocess.run(["exiftool", "-j", "-G1", "-a", str(path)], capture_output=True, text=True, check=True)
    return {key.split(":", 1)[0] for key in json.loads(result.stdout)[0] if ":" in key}


def test_jpeg_is_stripped_without_touching_the_pixels(tmp_path: Path) -> None:
    original = leaky_jpeg()
    entry, out = fix_one("leaky.jpg", original, Policy(reserve=False))
    assert out is not None and entry.lossless and entry.status == "fixed" and not entry.reserved
    assert set(entry.removed) >= {"APP1 (EXIF/XMP)", "APP13 (IPTC/Photoshop)", "COM (comment)"}
    assert np.array_equal(pixels(out), pixels(original))
    assert out[out.index(b"\xff\xda") :] == original[original.index(b"\xff\xda") :]  # the scan data byte for byte
    meta = read(out)
    assert meta.gps is None and not meta.serials and not meta.names and not meta.has_xmp and not meta.has_iptc
    assert Image.open(io.BytesIO(out)).info.get("icc_profile")  # colour profile kept
    if shutil.which("exiftool"):
        groups = exiftool_groups(out, tmp_path)
        assert {g for g in groups if not g.startswith("ICC")} <= {"System", "File", "ExifTool", "Composite", "JFIF"}
        assert {"IFD0", "ExifIFD", "GPS", "XMP-dc", "IPTC"} & exiftool_groups(original, tmp_path)  # the probe works


@pytest.mark.parametrize("jpegtran", [True, False])
def test_a_sideways_jpeg_is_turned_upright(jpegtran: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """With jpegtran: in the compressed domain, no re-encode. Without it: one high-quality re-encode."""
    if jpegtran and not shutil.which("jpegtran"):
        pytest.skip("jpegtran is not installed (Debian: libjpeg-turbo-progs; .ci/run installs it)")
    if not jpegtran:
        monkeypatch.setattr(shutil, "which", lambda name: None)
    original = leaky_jpeg(orientation=6)
    entry, out = fix_one("turned.jpg", original, Policy())
    assert out is not None and entry.lossless is jpegtran
    fixed = Image.open(io.BytesIO(out))
    assert dict(fixed.getexif()) == {} and fixed.size == (240, 320)
    upright = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(original))).convert("RGB"), dtype=float)
    assert np.abs(pixels(out).astype(float) - upright).mean() < (1.0 if jpegtran else 3.0)
    assert read(out).gps is None


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_chunks_are_dropped(fmt: str) -> None:
    kwargs: dict[str, object] = {"exif": images.exif(lat=48.85, lon=2.35, artist="Sam Parent")}
    if fmt == "WEBP":
        kwargs["lossless"] = True
        kwargs["xmp"] = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    original = images.save(images.scene(seed=5), fmt, **kwargs)
    entry, out = fix_one(f"leaky.{fmt.lower()}", original, Policy())
    assert out is not None and entry.lossless and entry.removed
    assert np.array_equal(pixels(out), pixels(original))
    meta = read(out)
    assert meta.gps is None and not meta.names and not meta.has_exif


def test_heic_is_re_encoded_without_metadata() -> None:
    original = images.save(images.scene(seed=6), "HEIF", exif=images.exif(lat=1.5, lon=1.5))
    entry, out = fix_one("phone.heic", original, Policy())
    assert out is not None and not entry.lossless and read(out).gps is None


def test_size_and_face_policies(tmp_path: Path) -> None:
    portrait = images.save(Image.fromarray(skimage.data.astronaut()), "JPEG", quality=95)
    big = images.save(images.scene(3000, 2000), "JPEG")
    _, out = fix_one("big.jpg", big, Policy(max_side=1200))
    assert out is not None and max(Image.open(io.BytesIO(out)).size) == 1200
    _, out = fix_one("portrait.jpg", portrait, Policy(max_face_iod=30))
    assert out is not None
    faces = analyse(load_image(out, 10**8), Thresholds())  # type: ignore[arg-type]
    assert faces and all(f.iod < 30 for f in faces)
    small = images.save(images.scene(200, 150), "JPEG")
    entry, out = fix_one("small.jpg", small, Policy(max_side=1200))
    assert out is not None and Image.open(io.BytesIO(out)).size == (200, 150)  # never upscaled
    assert entry.lossless  # nothing to shrink: only the metadata was stripped


def test_blur_all_faces() -> None:
    portrait = images.save(Image.fromarray(skimage.data.astronaut()), "JPEG", quality=95)
    entry, out = fix_one("portrait.jpg", portrait, Policy(blur="all"))
    assert out is not None and entry.faces_blurred == 1
    x, y, w, h = analyse(load_image(portrait, 10**8), Thresholds())[0].box  # type: ignore[arg-type]
    before = pixels(portrait)[y : y + h, x : x + w].astype(float)
    after = pixels(out)[y : y + h, x : x + w].astype(float)
    assert np.abs(np.diff(after, axis=1)).mean() < 0.3 * np.abs(np.diff(before, axis=1)).mean()


def test_folder_fix_manifest_and_untouched_originals(tmp_path: Path) -> None:
    src = tmp_path / "event"
    (src / "day1").mkdir(parents=True)
    (src / "day1" / "a.jpg").write_bytes(leaky_jpeg())
    (src / "b.png").write_bytes(images.save(images.scene(seed=7), "PNG", exif=images.exif(lat=1.0, lon=2.0)))
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.rglob("*") if p.is_file()}
    result = CliRunner().invoke(main, ["fix", str(src), "--out", str(tmp_path / "safe")])
    assert result.exit_code == 1 and "broken.jpg" in result.output  # one file could not be fixed
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.rglob("*") if p.is_file()} == before
    assert (tmp_path / "safe" / "day1" / "a.jpg").exists() and not (tmp_path / "safe" / "broken.jpg").exists()
    manifest = json.loads((tmp_path / "safe-manifest.json").read_text())  # beside the copies, not among them
    assert manifest["fixed"] == 2 and manifest["failed"] == 1
    for entry in manifest["files"]:
        for key in (
            "source",
            "output",
            "status",
            "removed",
            "changes",
            "bytes_before",
            "bytes_after",
            "sha256_before",
            "sha256_after",
            "remaining",
        ):
            assert key in entry
    fixed = next(e for e in manifest["files"] if e["output"] == "day1/a.jpg")
    assert fixed["sha256_after"] == hashlib.sha256((tmp_path / "safe" / "day1" / "a.jpg").read_bytes()).hexdigest()
    assert fixed["remaining"] == []


def test_pre_publication_routine(tmp_path: Path) -> None:
    """What the README tells a school office to do: check, fix if it fails, check the fixed copies."""
    folder = tmp_path / "to-upload"
    folder.mkdir()
    (folder / "sports.jpg").write_bytes(leaky_jpeg())
    (folder / "portrait.jpg").write_bytes(images.save(Image.fromarray(skimage.data.astronaut()), "JPEG"))
    runner = CliRunner()
    first = runner.invoke(main, ["check", str(folder), "--out", str(tmp_path / "c1"), "--fail-on", "high"])
    assert first.exit_code == 1
    fixed = runner.invoke(main, ["fix", str(folder), "--out", str(tmp_path / "safe"), "--max-face-iod", "30"])
    assert fixed.exit_code == 0, fixed.output
    again = runner.invoke(main, ["check", str(tmp_path / "safe"), "--out", str(tmp_path / "c2"), "--fail-on", "medium"])
    assert again.exit_code == 0, again.output


def test_a_face_filling_a_large_portrait_ends_under_the_limit_as_the_copy_measures_it(tmp_path: Path) -> None:
    """The rule and its check agree: a 2048 px close-up whose face the detector boxes small at full size (322 px
    between the eyes, 45 px in the 181 px copy it made) is reduced until the copy itself is under the limit,
    and the summary never ends in a dangling colon (before: exit 1, "remaining after fixing: " and a face at 30)."""
    folder = tmp_path / "in"
    folder.mkdir()
    close_up = Image.fromarray(skimage.data.astronaut()).crop((150, 30, 330, 210)).resize((2048, 2048))
    (folder / "portrait.jpg").write_bytes(images.save(close_up, "JPEG"))
    fixed = CliRunner().invoke(main, ["fix", str(folder), "--out", str(tmp_path / "safe"), "--max-face-iod", "30"])
    assert fixed.exit_code == 0, fixed.output
    assert "remaining after fixing: nothing" in fixed.output
    copy = (tmp_path / "safe" / "portrait.jpg").read_bytes()
    faces = analyse(pixels(copy), Thresholds())
    assert faces and max(f.iod for f in faces) < 30


def test_fix_from_a_scan(demo_url: str, tmp_path: Path) -> None:
    scan = CliRunner().invoke(
        main,
        [
            "scan",
            demo_url,
            "--out",
            str(tmp_path / "scan"),
            "--render",
            "never",
            "--no-state",
            "--no-link-check",
            "--rate",
            "200",
        ],
    )
    assert scan.exit_code == 0, scan.output
    result = CliRunner().invoke(main, ["fix", "--from-scan", str(tmp_path / "scan"), "--out", str(tmp_path / "safe")])
    assert result.exit_code == 1, result.output  # the site's documents are listed, loudly, as not fixed
    assert "not fixed (not copied): " in result.output and ".pdf: not fixed: documents" in result.output
    host = demo_url.split("//", 1)[1].rstrip("/").replace(":", "_")
    assert read((tmp_path / "safe" / host / "uploads/2024/05/sports-day-1.jpg").read_bytes()).gps is None
    assert local_sources([tmp_path / "safe"])  # the copies are ordinary image files again
    assert fix([], tmp_path / "empty", Policy())["fixed"] == 0
