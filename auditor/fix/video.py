"""Safe copies of videos: the container rewritten without its metadata, streams copied packet for packet (the
picture and the sound are byte-identical: nothing is re-encoded).

With ``--blur``, :func:`blur_video` re-encodes instead, with faces covered in every frame.

Dropped: every container and stream tag (the place a phone wrote, the device, title, artist and comments), and
every stream that is neither picture nor sound: data tracks such as a GoPro's GPS telemetry (``gpmd``), subtitles
and timed metadata. Kept: the video and audio streams, as they were.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from auditor.fix.strip import CannotStrip

if TYPE_CHECKING:
    from auditor.fix.transform import Policy

# Output muxer per input container (FFmpeg's names): the copy stays the container its name says.
_MUXERS = {"mov": "mov", "mp4": "mp4", "m4v": "mp4", "3gp": "3gp", "webm": "webm", "mkv": "matroska", "avi": "avi"}


def strip_video(data: bytes, extension: str) -> tuple[bytes, list[str]]:
    """The video without metadata (and without data, subtitle or attachment streams); what was removed."""
    import av

    muxer = _MUXERS.get(extension.lower().lstrip("."))
    if muxer is None:
        raise CannotStrip(f"videos with the extension .{extension} are not rewritten")
    removed: list[str] = []
    out_buf = io.BytesIO()
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="replace") as source:
            tags = [k for k in source.metadata if k not in ("major_brand", "minor_version", "compatible_brands")]
            if tags:
                removed.append("container tags: " + ", ".join(sorted(tags)))
            with av.open(out_buf, "w", format=muxer) as target:
                mapping = {}
                for stream in source.streams:
                    if stream.type in ("video", "audio"):
                        copy = target.add_stream_from_template(stream)
                        copy.metadata.clear()
                        mapping[stream.index] = copy
                    else:
                        removed.append(f"{stream.type} stream {stream.index} ({stream.codec_context.name or 'data'})")
                if not mapping:
                    raise CannotStrip("no video or audio stream to keep")
                for packet in source.demux(*[source.streams[i] for i in mapping]):
                    if packet.dts is None:
                        continue  # the demuxer's end-of-stream marker
                    packet.stream = mapping[packet.stream.index]
                    target.mux(packet)
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise CannotStrip(f"not a readable video ({str(exc).splitlines()[0][:200]})") from exc
    return out_buf.getvalue(), removed


BLUR_DETECT_SIDE = 960  # faces are looked for in each frame at most this size (a 4K frame is searched at 960 px)
_ENCODERS = {"webm": ("libvpx-vp9", {"crf": "30", "b": "0"}), "default": ("libx264", {"crf": "18"})}


def blur_video(data: bytes, extension: str, policy: Policy, label: str) -> tuple[bytes, list[str], int]:
    """The video with faces covered in every frame (``policy.blur``: all faces, or possible minors and faces too
    small to judge), **re-encoded** (H.264, or VP9 for WebM, at high quality): slow, one face search per frame, and
    said so. Sound is copied as it was; metadata and data streams are dropped as by :func:`strip_video`. A face is
    covered in the frame it is found in and in the next one too, so a face the detector misses for one frame is
    not shown. Returns the bytes, what changed, and how many frames had a face covered."""
    import av

    from auditor.analyze.face_models import resolve
    from auditor.analyze.faces import analyse_picture
    from auditor.fix.transform import MINOR
    from auditor.imaging import redact_faces

    ext = extension.lower().lstrip(".")
    muxer = _MUXERS.get(ext)
    if muxer is None:
        raise CannotStrip(f"videos with the extension .{extension} are not rewritten")
    thresholds, choice = policy.thresholds(label), resolve("default", None)
    codec, options = _ENCODERS["webm" if muxer == "webm" else "default"]
    out_buf = io.BytesIO()
    covered_frames = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="replace") as source:
            if not source.streams.video:
                raise CannotStrip("no video stream")
            video = source.streams.video[0]
            with av.open(out_buf, "w", format=muxer) as target:
                encoder = target.add_stream(codec, rate=video.average_rate or 25, options=options)
                assert isinstance(encoder, av.VideoStream)
                encoder.width, encoder.height = video.codec_context.width, video.codec_context.height
                encoder.pix_fmt = "yuv420p"
                sounds = {a.index: target.add_stream_from_template(a) for a in source.streams.audio}
                previous: list[tuple[float, float, float, float]] = []
                for packet in source.demux(video, *source.streams.audio):
                    if packet.dts is None:
                        continue
                    if packet.stream.index in sounds:
                        packet.stream = sounds[packet.stream.index]
                        target.mux(packet)
                        continue
                    for frame in packet.decode():
                        assert isinstance(frame, av.VideoFrame)
                        pixels: np.ndarray = frame.to_ndarray(format="rgb24")
                        scale = min(1.0, BLUR_DETECT_SIDE / max(pixels.shape[:2]))
                        small = pixels if scale == 1.0 else _shrink(pixels, scale)
                        found = analyse_picture(small, thresholds, choice).faces
                        wanted = [f for f in found if policy.blur == "all" or f.triage in MINOR]
                        boxes = [(x / scale, y / scale, w / scale, h / scale) for x, y, w, h in (f.box for f in wanted)]
                        if boxes or previous:
                            covered_frames += 1
                            image = redact_faces(Image.fromarray(pixels), [*boxes, *previous])
                            pixels = np.asarray(image)
                        previous = boxes
                        shown = av.VideoFrame.from_ndarray(pixels.astype(np.uint8, copy=False), format="rgb24")
                        for out in encoder.encode(shown):
                            target.mux(out)
                for out in encoder.encode():
                    target.mux(out)
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise CannotStrip(f"not a readable video ({str(exc).splitlines()[0][:200]})") from exc
    changes = [
        f"re-encoded ({codec}) with faces covered in {covered_frames} frames (--blur {policy.blur}); sound copied",
    ]
    return out_buf.getvalue(), changes, covered_frames


def _shrink(pixels: np.ndarray, scale: float) -> np.ndarray:
    image = Image.fromarray(pixels)
    size = (max(2, round(image.width * scale)), max(2, round(image.height * scale)))
    return np.asarray(image.resize(size, Image.Resampling.BILINEAR))
