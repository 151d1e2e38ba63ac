"""Videos a site publishes: where they were filmed, by which device and whom they name (container metadata), and
the faces in frames sampled through them.

Why PyAV: it ships FFmpeg's libraries in its wheel (no system FFmpeg), reads MP4/MOV/WebM/MKV/AVI/3GP metadata
without decoding, and decodes only the frames asked for. Audio is never decoded. Everything is bounded: frames are
sampled (one every ``every_s`` seconds, at most ``max_frames``), only the first ``max_seconds`` are looked at, a
stream larger than ``max_pixels`` per frame is refused, and a damaged or truncated file raises
:class:`UnreadableVideo` (reported as ``not_checked``, never as clean).

A minute of footage gives a face generator dozens of views of one child, so a face seen in any sampled frame is
reported with its time codes, the largest face first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from auditor.analyze.gps import GpsFix
from auditor.analyze.metadata import ImageMetadata

VIDEO_EXTENSIONS = frozenset("mp4 m4v mov webm mkv avi 3gp".split())
# Container tags, as FFmpeg names them, that hold a place (ISO 6709), names, or the device.
LOCATION_TAGS = ("location", "com.apple.quicktime.location.iso6709", "location-eng")
NAME_TAGS = ("artist", "author", "composer", "album_artist", "copyright", "com.apple.quicktime.author")
CAPTION_TAGS = ("title", "comment", "description", "synopsis", "keywords", "com.apple.quicktime.description")
DEVICE_TAGS = ("com.apple.quicktime.make", "com.apple.quicktime.model", "make", "model", "encoder")
SERIAL_TAG = re.compile(r"serial", re.I)
_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")


class UnreadableVideo(Exception):
    """PyAV cannot open or decode the file, or it is over a limit; the message says which."""


@dataclass(slots=True)
class VideoMetadata:
    """What the container says (tags keep FFmpeg's names, prefixed ``QuickTime:``/``Matroska:`` by container)."""

    format: str
    width: int
    height: int
    duration_s: float | None
    location: tuple[float, float, float | None] | None = None  # lat, lon, altitude
    location_tag: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    serials: dict[str, str] = field(default_factory=dict)
    device: dict[str, str] = field(default_factory=dict)
    created: str | None = None


def iso6709(text: str) -> tuple[float, float, float | None] | None:
    """``+51.5007-000.1246+012.3/`` → (lat, lon, alt); ``None`` for anything else (or 0, 0)."""
    match = _ISO6709.match(text.strip())
    if match is None:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if (lat == 0 and lon == 0) or abs(lat) > 90 or abs(lon) > 180:
        return None
    return lat, lon, float(match.group(3)) if match.group(3) else None


def _open(path: Path) -> Any:
    import av

    try:
        # Only local files: a playlist or a QuickTime reference inside a hostile file must not reach the network.
        return av.open(str(path), metadata_errors="replace", options={"protocol_whitelist": "file"})
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise UnreadableVideo(f"not a readable video ({str(exc).splitlines()[0][:200]})") from exc


def read_metadata(path: Path, max_pixels: int) -> VideoMetadata:
    """The container's tags and the first video stream's size, without decoding a frame."""
    with _open(path) as container:
        streams = container.streams.video
        if not streams:
            raise UnreadableVideo("no video stream")
        stream = streams[0]
        width, height = int(stream.codec_context.width or 0), int(stream.codec_context.height or 0)
        if width * height > max_pixels:
            raise UnreadableVideo(f"{width} x {height} per frame is over the pixel limit ({max_pixels:,})")
        duration = container.duration / 1_000_000 if container.duration else None
        prefix = "Matroska:" if "matroska" in container.format.name else "QuickTime:"
        # Matroska writes tag names in capitals (ARTIST, LOCATION), MP4 in lower case: compared in lower case.
        tags = {str(k).lower(): str(v).strip() for k, v in container.metadata.items() if str(v).strip()}
        for s in container.streams:
            for k, v in s.metadata.items():
                if str(v).strip():
                    tags.setdefault(str(k).lower(), str(v).strip())
        meta = VideoMetadata(container.format.name.split(",")[0], width, height, duration)
    for key in LOCATION_TAGS:
        if key in tags and (place := iso6709(tags[key])) is not None:
            meta.location, meta.location_tag = place, prefix + key
            break
    meta.names = {prefix + k: tags[k] for k in NAME_TAGS if k in tags}
    meta.captions = {prefix + k: tags[k] for k in CAPTION_TAGS if k in tags}
    meta.device = {prefix + k: tags[k] for k in DEVICE_TAGS if k in tags}
    meta.serials = {prefix + k: v for k, v in tags.items() if SERIAL_TAG.search(k)}
    meta.created = tags.get("creation_time") or tags.get("com.apple.quicktime.creationdate")
    return meta


def _frame_after(container: Any, stream: Any, base: float, target: float, last: float) -> Any:
    """The first frame at or after ``target`` seconds (and after ``last``), reached by seeking to the keyframe
    before it and decoding forward; ``None`` past the end."""
    if target > 0:
        container.seek(int(target / base), stream=stream, backward=True, any_frame=False)
    for frame in container.decode(stream):
        if frame.time is not None and float(frame.time) + 1e-6 >= target and float(frame.time) > last:
            return frame
    return None


def _pixels(frame: Any, max_side: int) -> np.ndarray:
    scale = min(1.0, max_side / max(frame.width, frame.height))
    if scale < 1.0:
        size = max(2, int(frame.width * scale)), max(2, int(frame.height * scale))
        frame = frame.reformat(width=size[0], height=size[1])
    pixels: np.ndarray = frame.to_ndarray(format="rgb24")
    return pixels


def frames(
    path: Path, every_s: float, max_frames: int, max_seconds: float, max_side: int
) -> Iterator[tuple[float, np.ndarray]]:
    """(time in seconds, RGB frame) every ``every_s`` seconds from the start, at most ``max_frames`` and only the
    first ``max_seconds``; a frame whose longer side exceeds ``max_side`` is scaled down to it. Each sample is
    reached by seeking, so a long video costs its samples, not its length."""
    import av

    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        base = float(stream.time_base) if stream.time_base else 1 / 90000
        target, taken, last = 0.0, 0, -1.0
        try:
            while taken < max_frames and target <= max_seconds:
                found = _frame_after(container, stream, base, target, last)
                if found is None:
                    return  # past the end
                at = float(found.time)
                yield at, _pixels(found, max_side)
                taken, last = taken + 1, at
                target = max(target + every_s, at + every_s / 2)
        except (av.FFmpegError, ValueError) as exc:
            raise UnreadableVideo(f"damaged after {target:.0f} s ({str(exc).splitlines()[0][:200]})") from exc


def frames_at(path: Path, times: list[float], max_side: int) -> dict[float, np.ndarray]:
    """The frames :func:`frames` gave at these times (a re-scan's cached samples, read again to describe their
    faces), the video opened once; a time whose frame is not found again is left out."""
    import av

    out: dict[float, np.ndarray] = {}
    with _open(path) as container:
        stream = container.streams.video[0]
        base = float(stream.time_base) if stream.time_base else 1 / 90000
        try:
            for at in sorted(times):
                found = _frame_after(container, stream, base, at, -1.0)
                if found is not None and abs(float(found.time) - at) < 0.01:
                    out[at] = _pixels(found, max_side)
        except (av.FFmpegError, ValueError) as exc:
            raise UnreadableVideo(f"damaged ({str(exc).splitlines()[0][:200]})") from exc
    return out


def timecode(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def as_image_metadata(meta: VideoMetadata) -> ImageMetadata:
    """A video's container metadata as a photo's, so the same metadata checks judge both (a place, a serial,
    names): the evidence names the container tag."""
    gps = None
    if meta.location is not None:
        lat, lon, alt = meta.location
        gps = GpsFix(lat, lon, alt, meta.created, meta.location_tag or "QuickTime:location", True)
    return ImageMetadata(
        format=meta.format.upper(),
        width=meta.width,
        height=meta.height,
        gps=gps,
        gps_block_present=gps is not None,
        serials=dict(meta.serials),
        names=dict(meta.names),
        date_taken=meta.created,
    )
