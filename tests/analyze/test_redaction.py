"""Faces the report shows are irreversibly hidden, a face is counted once, unusual pixel formats are read, a model
failing on one picture is that picture's error, and models that see nothing stop the scan before it starts.

Pictures: scikit-image's public-domain NASA portrait ("astronaut") and insightface's bundled group photo; the
second detector is insightface's SCRFD from ``../shared/models`` (skipped without it) and, always, our own
detector at a threshold far below the one that makes findings."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image

from auditor.analyze import face_models, faces
from auditor.analyze.faces import DEFAULT_MODELS, Thresholds, analyse, decode, load_image, merge_boxes
from auditor.cli import main
from auditor.imaging import face_region, redact_faces
from tests.analyze import images
from tests.server import Route, Site

SCRFD = Path(__file__).resolve().parents[3] / "shared" / "models" / "insightface-scrfd"


def _jpeg(img: Image.Image) -> bytes:
    return images.save(img, "JPEG")


def _astronaut() -> Image.Image:
    return Image.fromarray(skimage.data.astronaut())


def _group() -> Image.Image:
    insightface = pytest.importorskip("insightface", reason="insightface is not installed (its sample photo is used)")
    return Image.open(Path(insightface.__file__).parent / "data" / "images" / "t1.jpg").convert("RGB")


def _thumbnails(report: Path) -> list[np.ndarray]:
    uris = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', report.read_text())
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(u))).convert("RGB")) for u in uris]


def _second_detectors(tmp_path: Path) -> dict[str, face_models.Detector]:
    """Detectors that did not decide what to hide: SCRFD (when ../shared is here) and CenterFace at a low bar."""
    found: dict[str, face_models.Detector] = {"centerface": face_models.detector(DEFAULT_MODELS)}
    if (SCRFD / "scrfd_2.5g_kps.onnx").exists():
        pytest.importorskip("insightface")
        pack = tmp_path / "scrfd"
        pack.mkdir()
        (pack / "scrfd_2.5g_kps.onnx").symlink_to(SCRFD / "scrfd_2.5g_kps.onnx")  # read from ../shared, not copied
        found["scrfd"] = face_models._insightface(pack)
    return found


def _report_for(tmp_path: Path, pictures: dict[str, bytes], *options: str) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for name, data in pictures.items():
        (folder / name).write_bytes(data)
    out = tmp_path / ("o" + "".join(options).replace("-", ""))
    result = CliRunner().invoke(main, ["check", str(folder), "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    return out / "report.html"


def test_no_second_detector_finds_a_face_in_the_report(tmp_path: Path) -> None:
    pictures = {"portrait.jpg": _jpeg(_astronaut()), "closeup.jpg": _jpeg(_astronaut().crop((150, 20, 310, 200)))}
    with contextlib.suppress(pytest.skip.Exception):
        pictures["group.jpg"] = _jpeg(_group())
    detectors = _second_detectors(tmp_path)
    redacted = _thumbnails(_report_for(tmp_path, pictures))
    plain = _thumbnails(_report_for(tmp_path, pictures, "--no-redact"))
    # Each picture once in the cards (the "People" section shows the same thumbnail again: checked all the same).
    assert len({t.tobytes() for t in redacted}) == len({t.tobytes() for t in plain}) == len(pictures)
    for name, run in detectors.items():
        assert sum(bool(run(t, 0.5)) for t in plain) >= 2, name  # the detector does see faces in thumbnails
        for thumbnail in redacted:
            assert run(thumbnail, 0.5) == [], name


def test_a_redacted_face_keeps_nothing_of_the_face(tmp_path: Path) -> None:
    """A flat patch: nothing for a recognition model (or a de-blurring one) to work from."""
    photo = np.asarray(_astronaut())
    face = analyse(photo, Thresholds())[0]
    hidden = np.asarray(redact_faces(Image.fromarray(photo), [face.box]))
    left, top, right, bottom = face_region(face.box, 1.0, photo.shape[1], photo.shape[0])  # type: ignore[misc]
    patch = hidden[top:bottom, left:right].reshape(-1, 3)
    assert (patch == patch[0]).all()
    assert (right - left) > face.box[2] and (bottom - top) > face.box[3]  # hair and jaw line too


def test_fix_covers_faces_with_the_same_routine_as_the_report(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "portrait.png").write_bytes(images.save(_astronaut(), "PNG"))
    result = CliRunner().invoke(main, ["fix", str(src), "--out", str(tmp_path / "safe"), "--blur", "all"])
    assert result.exit_code == 0, result.output
    fixed = np.asarray(Image.open(tmp_path / "safe" / "portrait.png").convert("RGB"))
    face = analyse(np.asarray(_astronaut()), Thresholds())[0]
    expected = np.asarray(redact_faces(_astronaut(), [face.box]))
    assert (fixed == expected).all()
    assert analyse(fixed, Thresholds()) == []


@pytest.mark.parametrize("side", [512, 1400, 2800])
def test_a_single_portrait_is_one_face_at_any_size(side: int) -> None:
    """At 2,800 px the cascade's second look and its four tiles all see the face: still one."""
    close_up = _astronaut().crop((120, 0, 360, 240)).resize((side, side), Image.Resampling.LANCZOS)
    assert len(analyse(np.asarray(close_up), Thresholds())) == 1
    assert len(analyse(np.asarray(_astronaut().resize((side, side))), Thresholds())) == 1


def test_boxes_of_one_face_are_merged_across_passes() -> None:
    landmarks = np.zeros((5, 2), np.float32)
    head, face, other = (100.0, 80.0, 300.0, 330.0), (140.0, 150.0, 260.0, 300.0), (400.0, 80.0, 600.0, 330.0)
    kept = merge_boxes([(face, 0.9, landmarks), (head, 0.8, landmarks), (other, 0.7, landmarks)])
    assert [k[0] for k in kept] == [face, other]


def test_a_16_bit_portrait_is_read_and_its_face_found(tmp_path: Path) -> None:
    grey = np.asarray(_astronaut().convert("L"), dtype=np.uint16) * 257
    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, "PNG")  # uint16: Pillow's I;16
    pixels = load_image(buf.getvalue(), 10**8)
    assert pixels is not None and 60 < pixels.mean() < 160  # not clipped to white
    assert len(analyse(pixels, Thresholds())) == 1
    photo = tmp_path / "in" / "portrait16.png"
    photo.parent.mkdir()
    photo.write_bytes(buf.getvalue())
    result = CliRunner().invoke(main, ["check", str(photo.parent), "--out", str(tmp_path / "o")])
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    assert result.exit_code == 0 and len(document["assets"][0]["faces"]) == 1


def test_a_truncated_picture_is_not_a_picture_of_nobody() -> None:
    data = _jpeg(_astronaut())
    assert isinstance(decode(data[: len(data) // 2], 10**8), str)


def test_a_model_failing_on_one_picture_is_that_pictures_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model crash cannot be produced on demand with a real file, so the picture the detector chokes on is
    marked by its size (257 px wide) and the detector raises for it: the edge a fake is for. The other
    picture on the page is still read, and the scan finishes."""
    real = face_models.detector(DEFAULT_MODELS)

    def choking(pixels: np.ndarray, threshold: float = face_models.DETECT_THRESHOLD) -> list[face_models.Detection]:
        if pixels.shape[1] == 257:
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code")
        return real(pixels, threshold)

    monkeypatch.setattr(faces, "detector", lambda choice: choking)
    site = Site(
        {
            "/": Route('<p>Photos</p><img src="/a.jpg"><img src="/b.jpg">'),
            "/robots.txt": Route("", 404),
            "/a.jpg": Route(_jpeg(images.scene(257, 200, seed=3)), content_type="image/jpeg"),
            "/b.jpg": Route(_jpeg(_astronaut()), content_type="image/jpeg"),
        }
    )
    with site.serve() as base:
        result = CliRunner().invoke(
            main, ["scan", base + "/", "--out", str(tmp_path / "o"), "--no-state", "--render", "never", "--rate", "200"]
        )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    checks = {(f["check"], f["asset"].rsplit("/", 1)[1]) for f in document["findings"] if f["asset"]}
    assert ("not_checked", "a.jpg") in checks and ("identifiable_face", "b.jpg") in checks
    error = next(e for e in document["errors"] if e["url"].endswith("/a.jpg"))
    assert error["message"].startswith("the face models failed on this picture")
    assert "Traceback" not in result.output


def test_models_that_see_nothing_stop_the_scan_before_it_crawls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What CenterFace on OpenCV 4.x did: load fine, find nothing. The canary must catch it."""
    monkeypatch.setattr(faces, "detector", lambda choice: lambda pixels, threshold=0.4: [])
    site = Site({"/": Route("<p>hi</p>")})
    with site.serve() as base:
        result = CliRunner().invoke(main, ["scan", base + "/", "--out", str(tmp_path / "o"), "--no-state"])
    assert result.exit_code == 2
    assert "failed their start-up check" in result.output and "found 0 faces" in result.output
    assert sum(site.hits.values()) == 0
