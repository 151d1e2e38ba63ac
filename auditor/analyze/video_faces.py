"""Faces in videos: the frames sampled through each video on a face worker (bounded by the sampling, the pixel
cap and a time budget), what they showed, and the redacted contact sheet the report shows."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from auditor.analyze import persons
from auditor.analyze.face_models import FaceModelChoice, FaceModelUnavailable
from auditor.analyze.faces import Face, Thresholds, analyse_picture, reclassify
from auditor.errors import plain
from auditor.models import MINOR_CLASSES


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One sampled frame of a video in which faces were found: when, the faces, and (in memory only) the
    recogniser's vectors of its recognisable faces, for grouping people across frames, videos and photos."""

    at: float
    faces: list[Face]
    prints: tuple[np.ndarray | None, ...] = ()


@dataclass(frozen=True, slots=True)
class VideoFaces:
    """What the sampled frames of one video showed. ``sheet``: the report's contact sheet (faces covered);
    ``stopped``: why sampling ended before the end (the time budget), said in the report, never silent."""

    frames: list[VideoFrame]
    sampled: int
    sheet: bytes | None = None
    stopped: str | None = None
    error: str | None = None

    def to_cache(self) -> dict[str, Any]:
        """Times and faces (boxes, landmarks, ages) and the redacted contact sheet: never the vectors."""
        sheet = None if self.sheet is None else base64.b64encode(self.sheet).decode("ascii")
        frames = [{"at": f.at, "faces": [face.to_cache() for face in f.faces]} for f in self.frames]
        return {"video": frames, "sampled": self.sampled, "sheet": sheet}

    @staticmethod
    def from_cache(data: dict[str, Any], thresholds: Thresholds) -> VideoFaces:
        frames = [
            VideoFrame(f["at"], reclassify([Face.from_cache(x) for x in f["faces"]], thresholds)) for f in data["video"]
        ]
        sheet = data.get("sheet")
        return VideoFaces(frames, data["sampled"], None if sheet is None else base64.b64decode(sheet))


@dataclass(frozen=True, slots=True)
class VideoJob:
    sha256: str
    path: str
    every_s: float
    max_frames: int
    max_seconds: float
    max_side: int
    budget_s: float  # seconds of work this video may take; sampling stops there and says so
    thresholds: Thresholds
    choice: FaceModelChoice
    duration_s: float | None = None  # what the container says: the samples are spread over all of it

    @property
    def interval(self) -> float:
        """Seconds between samples: ``every_s``, or wider so that ``max_frames`` samples cover the whole video (up
        to ``max_seconds``): a long film is looked at from start to end, never only in its first minutes."""
        span = min(self.duration_s or 0.0, self.max_seconds)
        return max(self.every_s, span / self.max_frames if self.max_frames else self.every_s)


SHEET_SIDE = 480  # each frame kept for the contact sheet is this small: four of them cost under 3 MB
VIDEO_MAX_SIDE = 1920  # frames are read at most this size (a 4K video's faces are measured at 1080p)


def video_key(key: str, job: VideoJob) -> str:
    """The cache key of a video's frames: the models, and how it was sampled."""
    return f"{key}|video|{job.interval:g}|{job.max_frames}|{job.max_seconds:g}|{job.max_side}"


def video_of(job: VideoJob) -> tuple[str, VideoFaces | str]:
    """Faces in the frames sampled through one video, on a worker: decoding is bounded by the sampling, the pixel
    cap and the time budget; a damaged file is this video's error, never the scan's end."""
    from auditor.analyze.video import UnreadableVideo, frames
    from auditor.imaging import contact_sheet

    started = time.monotonic()
    found: list[VideoFrame] = []
    sheet: list[tuple[tuple[int, float], float, Image.Image, list[tuple[float, float, float, float]]]] = []
    sampled, stopped = 0, None
    try:
        for at, pixels in frames(Path(job.path), job.interval, job.max_frames, job.max_seconds, job.max_side):
            if time.monotonic() - started > job.budget_s:
                stopped = f"sampling stopped at {at:.0f} s: the video took over its {job.budget_s:.0f} s budget"
                break
            sampled += 1
            seen = analyse_picture(pixels, job.thresholds, job.choice).faces
            if not seen:
                continue
            found.append(VideoFrame(at, seen, tuple(persons.describe(pixels, seen))))
            rank = (sum(f.triage in MINOR_CLASSES for f in seen), max(f.iod for f in seen))
            small = Image.fromarray(pixels)
            small.thumbnail((SHEET_SIDE, SHEET_SIDE))
            scale = small.width / pixels.shape[1]
            boxes = [(x * scale, y * scale, w * scale, h * scale) for x, y, w, h in (f.box for f in seen)]
            sheet = sorted([*sheet, (rank, at, small, boxes)], key=lambda s: s[0], reverse=True)[:4]
    except UnreadableVideo as exc:
        if not sampled:
            return job.sha256, VideoFaces([], sampled, error=f"{exc}; its faces were not checked")
        stopped = f"{exc}: the frames before it were checked, the rest of the video was not"  # a truncated file
    except FaceModelUnavailable as exc:
        return job.sha256, str(exc)
    except Exception as exc:  # one video that breaks a model is that video's error, never the scan's end
        return job.sha256, VideoFaces(
            [], sampled, error=f"the face models failed on this video ({plain(str(exc))[:200]})"
        )
    shown = [(img, boxes) for _, _, img, boxes in sorted(sheet, key=lambda s: s[1])]
    return job.sha256, VideoFaces(found, sampled, contact_sheet(shown) if shown else None, stopped)
