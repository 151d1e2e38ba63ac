"""Face analysis on every core: one worker process per CPU, each loading the models once.

Small jobs stay in this process (starting workers costs a few seconds). Workers are spawned, not forked: the
parent may already hold ONNX Runtime and OpenCV thread pools, which do not survive a fork. Each worker runs its
models single-threaded so the workers, not the libraries, use the cores.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Protocol

from auditor.analyze import face_models, faces
from auditor.analyze.face_models import FaceModelChoice, FaceModelUnavailable
from auditor.analyze.faces import Face, Thresholds, analyse, load_image, reclassify

POOL_MIN_IMAGES = 24


def _single_threaded() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 comes with the face detector
        pass


def _faces_of(job: tuple[str, str, int, Thresholds, FaceModelChoice]) -> tuple[str, list[Face] | str]:
    sha256, path, max_pixels, thresholds, choice = job
    pixels = load_image(Path(path).read_bytes(), max_pixels)
    try:
        return sha256, [] if pixels is None else analyse(pixels, thresholds, choice)
    except FaceModelUnavailable as exc:
        return sha256, str(exc)


def workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class FaceCache(Protocol):
    """Faces already computed for a content hash by the same models (the scan history keeps them)."""

    def get(self, sha256: str, key: str) -> list[Face] | None: ...

    def put(self, sha256: str, key: str, faces: list[Face]) -> None: ...


def cache_key(choice: FaceModelChoice, max_pixels: int) -> str:
    """Everything that changes what the models would find: the models and the detection settings."""
    parts = ("faces-1", choice.backend, choice.pack, faces.DETECT_LONG_SIDE, face_models.DETECT_THRESHOLD, max_pixels)
    return "|".join(str(p) for p in parts)


def faces_for(jobs: list[tuple[str, Path]], max_pixels: int, thresholds: Thresholds, choice: FaceModelChoice,
              cache: FaceCache | None = None) -> dict[str, list[Face] | str]:
    """Faces per content hash (or the reason the models could not run), using every core for large jobs and the
    cache for pictures seen by an earlier scan. Cached faces are re-triaged with the current thresholds."""
    key = cache_key(choice, max_pixels)
    found: dict[str, list[Face] | str] = {}
    if cache is not None:
        for sha, _ in jobs:
            hit = cache.get(sha, key)
            if hit is not None:
                found[sha] = reclassify(hit, thresholds)
    computed = _compute([(sha, path) for sha, path in jobs if sha not in found], max_pixels, thresholds, choice)
    if cache is not None:
        for sha, faces in computed.items():
            if not isinstance(faces, str):
                cache.put(sha, key, faces)
    return {**found, **computed}


def _compute(jobs: list[tuple[str, Path]], max_pixels: int, thresholds: Thresholds,
             choice: FaceModelChoice) -> dict[str, list[Face] | str]:
    tasks = [(sha, str(path), max_pixels, thresholds, choice) for sha, path in jobs]
    count = workers()
    if len(tasks) < POOL_MIN_IMAGES or count < 2:
        return dict(_faces_of(task) for task in tasks)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_single_threaded) as pool:
        return dict(pool.map(_faces_of, tasks, chunksize=4))
