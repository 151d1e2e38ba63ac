"""HLS playlists (``.m3u8``): the video a streaming player would show, as one file the analysis can read.

A master playlist lists renditions; the one with the most pixels (then the highest bandwidth) is taken, because the
exposure is the best picture anyone can download. Its media playlist's first segments, up to ``max_seconds`` of
footage and ``max_bytes``, are fetched (each through the same robots and scope rules as any asset) and joined after
its initialisation segment (``EXT-X-MAP``) into one MPEG-TS or fragmented-MP4 file. An encrypted stream
(``EXT-X-KEY`` other than ``NONE``) is not read: it is reported, never taken as clean. DASH manifests (``.mpd``) are
not read yet (the note of issue 16 says so).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

MAX_PLAYLIST_BYTES = 1024 * 1024
MAX_SEGMENTS = 400
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


class NotPlayable(Exception):
    """The playlist cannot be turned into a video here (encrypted, empty, malformed); the message says which."""


@dataclass(slots=True)
class MediaPlaylist:
    init: str | None = None
    segments: list[tuple[str, float]] = field(default_factory=list)  # (URL, seconds)


def is_playlist(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#EXTM3U")


def _attributes(line: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _ATTRIBUTE.findall(line.split(":", 1)[1] if ":" in line else "")}


def best_rendition(text: str, base: str) -> str | None:
    """The URL of the master playlist's largest rendition, or ``None`` when ``text`` is a media playlist."""
    best: tuple[int, int, str] | None = None
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        if not line.startswith("#EXT-X-STREAM-INF"):
            continue
        uri = next((u for u in lines[i + 1 :] if u and not u.startswith("#")), None)
        if uri is None:
            continue
        attrs = _attributes(line)
        width, _, height = attrs.get("RESOLUTION", "0x0").partition("x")
        pixels = int(width) * int(height) if width.isdigit() and height.isdigit() else 0
        bandwidth = int(attrs["BANDWIDTH"]) if attrs.get("BANDWIDTH", "").isdigit() else 0
        candidate = (pixels, bandwidth, urljoin(base, uri))
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None


def media_playlist(text: str, base: str, max_seconds: float) -> MediaPlaylist:
    """The initialisation segment and the first segments covering ``max_seconds``."""
    found = MediaPlaylist()
    duration, total = 0.0, 0.0
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-KEY") and _attributes(line).get("METHOD", "NONE").upper() != "NONE":
            raise NotPlayable("an encrypted stream (EXT-X-KEY): its pictures cannot be read here")
        if line.startswith("#EXT-X-MAP"):
            uri = _attributes(line).get("URI")
            found.init = urljoin(base, uri) if uri else None
        elif line.startswith("#EXTINF:"):
            try:
                duration = float(line[8:].split(",", 1)[0])
            except ValueError:
                duration = 0.0
        elif line and not line.startswith("#"):
            if total >= max_seconds or len(found.segments) >= MAX_SEGMENTS:
                break
            found.segments.append((urljoin(base, line), duration))
            total += duration
    if not found.segments:
        raise NotPlayable("a playlist with no segments")
    return found


class Joined:
    """The segments written one after another into a temporary file beside ``folder``'s other downloads."""

    def __init__(self, folder: Path) -> None:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".hls-")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def add(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def close(self) -> str:
        self._file.close()
        return self._hash.hexdigest()

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)
