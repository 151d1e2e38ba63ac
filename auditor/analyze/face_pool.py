"""Face analysis on every core: one worker process per CPU, each loading the models once. Pictures are first
fingerprinted (cheap: a reduced decode) so that the smaller copies of a photo are not analysed again.

Small jobs stay in this process (starting workers costs a few seconds). Workers are spawned, not forked: the
parent may already hold ONNX Runtime and OpenCV thread pools, which do not survive a fork. Each worker runs its
models single-threaded so the workers, not the libraries, use the cores.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from auditor.analyze import face_models, faces, variants
from auditor.analyze.face_models import FaceModelChoice, FaceModelUnavailable
from auditor.analyze.faces import Face, Thresholds, analyse, load_image, reclassify, rescaled
from auditor.analyze.variants import Fingerprint, fingerprint
from auditor.report.thumbnails import redacted_thumbnail

POOL_MIN_IMAGES = 24
J = TypeVar("J")
R = TypeVar("R")


def _single_threaded() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 comes with the face detector
        pass


def _faces_of(job: tuple[str, str, int, Thresholds, FaceModelChoice]) -> tuple[str, PictureFaces | str]:
    """Faces in one picture and, while its pixels are decoded, the report's redacted thumbnail of it."""
    sha256, path, max_pixels, thresholds, choice = job
    pixels = load_image(Path(path).read_bytes(), max_pixels)
    if pixels is None:
        return sha256, PictureFaces([])
    try:
        found = analyse(pixels, thresholds, choice)
    except FaceModelUnavailable as exc:
        return sha256, str(exc)
    return sha256, PictureFaces(found, thumbnail=redacted_thumbnail(pixels, [f.box for f in found]))


def _fingerprint_of(job: tuple[str, str, int]) -> tuple[str, Fingerprint | None]:
    sha256, path, max_pixels = job
    return sha256, fingerprint(Path(path).read_bytes(), max_pixels)


def workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class PictureFaces:
    """The faces in one picture (by content hash). ``copy_of``: the content hash of the larger copy of the same
    photo they were read from, scaled to this picture's size (``None`` when read from this picture itself).
    ``thumbnail``: the report's thumbnail with every face pixelated and blurred (JPEG), never an unredacted one."""

    faces: list[Face]
    copy_of: str | None = None
    thumbnail: bytes | None = None

    def to_cache(self) -> dict[str, Any]:
        thumbnail = None if self.thumbnail is None else base64.b64encode(self.thumbnail).decode("ascii")
        return {"faces": [f.to_cache() for f in self.faces], "copy_of": self.copy_of, "thumbnail": thumbnail}

    @staticmethod
    def from_cache(data: dict[str, Any]) -> PictureFaces:
        thumbnail = data.get("thumbnail")
        return PictureFaces([Face.from_cache(f) for f in data["faces"]], data.get("copy_of"),
                            None if thumbnail is None else base64.b64decode(thumbnail))


class FaceCache(Protocol):
    """Faces already computed for a content hash by the same models (the scan history keeps them)."""

    def get(self, sha256: str, key: str) -> PictureFaces | None: ...

    def put_all(self, key: str, found: dict[str, PictureFaces]) -> None: ...


def cache_key(choice: FaceModelChoice, max_pixels: int) -> str:
    """Everything that changes what the models would find: the models and the detection settings."""
    parts = ("faces-3", choice.backend, choice.pack, faces.COARSE_LONG_SIDE, faces.DETECT_LONG_SIDE,
             face_models.DETECT_THRESHOLD, max_pixels, variants.MAX_DIFFERENCE)
    return "|".join(str(p) for p in parts)


def faces_for(jobs: list[tuple[str, Path]], max_pixels: int, thresholds: Thresholds, choice: FaceModelChoice,
              cache: FaceCache | None = None) -> dict[str, PictureFaces | str]:
    """Faces per content hash (or the reason the models could not run), using every core for large jobs and the
    cache for pictures seen by an earlier scan. Smaller copies of one photo are analysed once, at the largest
    size (:mod:`auditor.analyze.variants`). Cached faces are re-triaged with the current thresholds."""
    key = cache_key(choice, max_pixels)
    found: dict[str, PictureFaces | str] = {}
    if cache is not None:
        for sha, _ in jobs:
            hit = cache.get(sha, key)
            if hit is not None:
                found[sha] = replace(hit, faces=reclassify(hit.faces, thresholds))
    todo = [(sha, path) for sha, path in jobs if sha not in found]
    with _Workers(len(todo)) as run:
        prints = {sha: fp for sha, fp in run(_fingerprint_of, [(sha, str(path), max_pixels) for sha, path in todo])
                  if fp is not None}
        largest = variants.largest_copies(prints)
        paths = dict(todo)
        originals = sorted({largest.get(sha, sha) for sha, _ in todo})
        read = dict(run(_faces_of, [(sha, str(paths[sha]), max_pixels, thresholds, choice) for sha in originals]))
    computed: dict[str, PictureFaces | str] = {}
    for sha, _ in todo:
        source = largest.get(sha, sha)
        result = read[source]
        if isinstance(result, str) or source == sha:
            computed[sha] = result
        else:  # the same photo, so the same thumbnail
            scaled = rescaled(result.faces, prints[sha].width / prints[source].width, thresholds)
            computed[sha] = PictureFaces(scaled, copy_of=source, thumbnail=result.thumbnail)
    if cache is not None:
        cache.put_all(key, {sha: r for sha, r in computed.items() if not isinstance(r, str)})
    return {**found, **computed}


class _Workers:
    """``run(function, jobs)`` over every core for a large batch, in this process for a small one."""

    def __init__(self, jobs: int) -> None:
        count = workers()
        self._pool: ProcessPoolExecutor | None = None
        if jobs >= POOL_MIN_IMAGES and count >= 2:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_single_threaded)

    def __enter__(self) -> Callable[[Callable[[J], R], list[J]], list[R]]:
        return self._run

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def _run(self, function: Callable[[J], R], jobs: list[J]) -> list[R]:
        if self._pool is None:
            return [function(job) for job in jobs]
        return list(self._pool.map(function, jobs, chunksize=4))
