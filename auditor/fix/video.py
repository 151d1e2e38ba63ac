"""Safe copies of videos: the container rewritten without its metadata, streams copied packet for packet (the
picture and the sound are byte-identical: nothing is re-encoded).

Dropped: every container and stream tag (the place a phone wrote, the device, title, artist and comments), and
every stream that is neither picture nor sound: data tracks such as a GoPro's GPS telemetry (``gpmd``), subtitles
and timed metadata. Kept: the video and audio streams, as they were.
"""

from __future__ import annotations

import io

from auditor.fix.strip import CannotStrip

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
