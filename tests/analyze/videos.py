"""Real video files for the video tests, encoded here with PyAV (FFmpeg in its wheel): frames of a generated
scene, and scikit-image's public-domain "astronaut" portrait for a few seconds (no photo of a child)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import skimage.data
from PIL import Image

from tests.analyze import images


def make(
    path: Path,
    seconds: int = 8,
    fps: int = 5,
    face_from: float | None = 2.0,
    face_to: float = 4.0,
    tags: dict[str, str] | None = None,
    size: int = 640,
    gop: int | None = None,
) -> Path:
    """An H.264 MP4 (or whatever ``path``'s extension says) of ``seconds`` at ``fps``; the portrait fills the
    frames from ``face_from`` to ``face_to`` seconds; ``tags``: container metadata (``location`` as ISO 6709)."""
    face = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((size, size)))
    scene = np.asarray(images.scene(size, size, seed=3))
    codec = "libvpx-vp9" if path.suffix == ".webm" else "libx264"
    with av.open(str(path), "w") as out:
        for key, value in (tags or {}).items():
            out.metadata[key] = value
        stream = out.add_stream(codec, rate=fps, options={"g": str(gop)} if gop else None)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = size, size, "yuv420p"
        for i in range(seconds * fps):
            t = i / fps
            show = face if face_from is not None and face_from <= t < face_to else scene
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(show), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _segmented(
    path: Path, muxer: str, options: dict[str, str], seconds: int, fps: int, face_from: float, face_to: float, seed: int
) -> None:
    """A 480 px H.264 stream written by one of FFmpeg's segmenting muxers (hls, dash): a keyframe every two
    seconds, so each segment starts with one; the portrait from ``face_from`` to ``face_to`` seconds."""
    face = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((480, 480)))
    scene = np.asarray(images.scene(480, 480, seed=seed))
    with av.open(str(path), "w", format=muxer, options=options) as out:
        stream = out.add_stream("libx264", rate=fps, options={"g": str(2 * fps), "sc_threshold": "0"})
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 480, 480, "yuv420p"
        for i in range(seconds * fps):
            show = face if face_from <= i / fps < face_to else scene
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(show), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def hls(folder: Path, seconds: int = 6, fps: int = 5, face_from: float = 2.0, face_to: float = 4.0) -> Path:
    """A real HLS rendition written by FFmpeg's own segmenter: ``index.m3u8`` and 2-second ``segN.ts`` files with
    continuous timestamps."""
    folder.mkdir(parents=True, exist_ok=True)
    options = {"hls_time": "2", "hls_list_size": "0", "hls_segment_filename": str(folder / "seg%d.ts")}
    _segmented(folder / "index.m3u8", "hls", options, seconds, fps, face_from, face_to, seed=5)
    return folder / "index.m3u8"


def dash(folder: Path, seconds: int = 6, fps: int = 5, face_from: float = 2.0, face_to: float = 4.0) -> Path:
    """A real MPEG-DASH presentation written by FFmpeg's own muxer: ``manifest.mpd`` with a SegmentTemplate, an
    initialisation segment and 2-second fragmented-MP4 chunks."""
    folder.mkdir(parents=True, exist_ok=True)
    options = {"seg_duration": "2", "use_template": "1", "use_timeline": "0"}
    _segmented(folder / "manifest.mpd", "dash", options, seconds, fps, face_from, face_to, seed=6)
    return folder / "manifest.mpd"
