"""What a face worker does with one job: faces in a picture (and its redacted thumbnail while the pixels are
decoded), the recogniser's vectors for faces known from the cache, faces in a picture held in memory, a cheap
fingerprint to tell smaller copies of one photo apart. Module-level functions, so the spawned workers can run them;
each worker runs its models single-threaded (:func:`single_threaded`) so the workers, not the libraries, use the
cores."""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from auditor.analyze import face_models, persons
from auditor.analyze.face_models import FaceModelChoice, FaceModelUnavailable
from auditor.analyze.faces import (
    Face,
    Thresholds,
    analyse_picture,
    decode,
    later_frames,
    load_image,
    merge_faces,
)
from auditor.analyze.variants import Fingerprint, fingerprint
from auditor.children import exit_with_parent
from auditor.errors import plain
from auditor.imaging import NOT_READABLE, open_quietly, thumbnail_jpeg


@dataclass(frozen=True, slots=True)
class PictureFaces:
    """The faces in one picture (by content hash). ``copy_of``: the content hash of the larger copy of the same
    photo they were read from, scaled to this picture's size (``None`` when read from this picture itself).
    ``thumbnail``: the report's thumbnail with every face pixelated and blurred (JPEG), never an unredacted one."""

    faces: list[Face]
    copy_of: str | None = None
    thumbnail: bytes | None = None
    error: str | None = None  # the models failed on this picture: its faces are unknown, it was not checked
    # The recogniser's vector for each recognisable face (None for the others), in memory for this scan's person
    # grouping only: never cached, stored or reported (a face from the cache has none).
    prints: tuple[np.ndarray | None, ...] = field(default=(), compare=False, repr=False)
    describe_s: float = field(default=0.0, compare=False, repr=False)  # seconds the recogniser took on it

    def to_cache(self) -> dict[str, Any]:
        thumbnail = None if self.thumbnail is None else base64.b64encode(self.thumbnail).decode("ascii")
        return {"faces": [f.to_cache() for f in self.faces], "copy_of": self.copy_of, "thumbnail": thumbnail}

    @staticmethod
    def from_cache(data: dict[str, Any]) -> PictureFaces:
        thumbnail = data.get("thumbnail")
        return PictureFaces(
            [Face.from_cache(f) for f in data["faces"]],
            data.get("copy_of"),
            None if thumbnail is None else base64.b64decode(thumbnail),
        )


def single_threaded(parent: int) -> None:
    exit_with_parent(parent)  # a scan killed with kill -9 leaves no worker behind, even one still starting
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    face_models.THREADS = 1
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 comes with the face detector
        pass


def faces_of(job: tuple[str, str, int, Thresholds, FaceModelChoice]) -> tuple[str, PictureFaces | str]:
    """Faces in one picture and, while its pixels are decoded, the report's redacted thumbnail of it."""
    sha256, path, max_pixels, thresholds, choice = job
    try:
        data = Path(path).read_bytes()
    except OSError as exc:  # the stored copy went missing under us: this picture's error, not the scan's end
        return sha256, PictureFaces([], error=f"cannot read the stored copy ({exc.strerror})")
    pixels = decode(data, max_pixels)
    if isinstance(pixels, str):  # not "nobody in it": nobody has looked
        return sha256, PictureFaces([], error=pixels)
    frames = later_frames(data, max_pixels)
    if isinstance(frames, str):  # an animation with a damaged frame: nobody has looked at what follows it
        return sha256, PictureFaces([], error=frames)
    try:
        seen = analyse_picture(pixels, thresholds, choice)
        started = time.perf_counter()
        described = list(zip(seen.faces, persons.describe(pixels, seen.faces), strict=True))
        describe_s = time.perf_counter() - started
        for frame in frames:
            later = analyse_picture(frame, thresholds, choice).faces
            started = time.perf_counter()
            described += zip(later, persons.describe(frame, later), strict=True)
            describe_s += time.perf_counter() - started
    except FaceModelUnavailable as exc:
        return sha256, str(exc)
    except Exception as exc:  # one picture that breaks a model is that picture's error, never the scan's end
        return sha256, PictureFaces([], error=f"the face models failed on this picture ({plain(str(exc))[:200]})")
    # An animation: every face in it, once (merge_faces keeps the face objects, so their vectors follow them).
    found = merge_faces([f for f, _ in described]) if frames else seen.faces
    vectors = {id(f): v for f, v in described}
    hidden = [f.box for f in found] + seen.weak
    thumbnail = thumbnail_jpeg(
        Image.fromarray(seen.preview),
        [(float(x), float(y), float(w), float(h)) for x, y, w, h in hidden],
        pixels.shape[1],
    )
    prints = tuple(vectors[id(f)] for f in found)
    return sha256, PictureFaces(found, thumbnail=thumbnail, prints=prints, describe_s=describe_s)


def prints_of(job: tuple[str, str, int, list[Face], Thresholds, FaceModelChoice]) -> tuple[np.ndarray | None, ...]:
    """The recogniser's vectors for faces already known from the cache (boxes and landmarks, no pixels): the
    picture is decoded again but not searched again. An animation is analysed again in full (its faces may come
    from any frame). Empty when the picture cannot be read now: its faces are then simply not grouped."""
    sha256, path, max_pixels, known, thresholds, choice = job
    try:
        data = Path(path).read_bytes()
        with open_quietly(data) as img:
            animated = int(getattr(img, "n_frames", 1)) > 1
    except (OSError, *NOT_READABLE):
        return ()
    if animated:
        result = faces_of((sha256, path, max_pixels, thresholds, choice))[1]
        return result.prints if not isinstance(result, str) and len(result.faces) == len(known) else ()
    pixels = decode(data, max_pixels)
    if isinstance(pixels, str):
        return ()
    try:
        return tuple(persons.describe(pixels, known))
    except Exception:  # a model failure here only leaves this picture's faces ungrouped
        return ()


def faces_in(job: tuple[bytes, int, Thresholds, FaceModelChoice]) -> list[Face]:
    data, max_pixels, thresholds, choice = job
    pixels = load_image(data, max_pixels)
    return [] if pixels is None else analyse_picture(pixels, thresholds, choice).faces


def fingerprint_of(job: tuple[str, str, int]) -> tuple[str, Fingerprint | None]:
    sha256, path, max_pixels = job
    return sha256, fingerprint(Path(path).read_bytes(), max_pixels)
