"""Streams (HLS ``.m3u8`` playlists, DASH ``.mpd`` manifests): the video a streaming player would show, as one file
the analysis can read.

A master playlist lists renditions; the one with the most pixels (then the highest bandwidth) is taken, because the
exposure is the best picture anyone can download. Its media playlist's first segments, up to ``max_seconds`` of
footage and ``max_bytes``, are fetched (each through the same robots and scope rules as any asset) and joined after
its initialisation segment (``EXT-X-MAP``) into one MPEG-TS or fragmented-MP4 file. An encrypted stream
(``EXT-X-KEY`` other than ``NONE``) is not read: it is reported, never taken as clean. DASH is read the same way
(:func:`dash_segments`).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
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
    more: bool = False  # the stream goes on past the segments taken: the rest is not read (and is said not to be)


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
                found.more = True
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


# DASH (``.mpd``): the same idea for an MPEG-DASH manifest. Only the first period's video representations are
# read; SegmentTemplate ($Number$ with a duration, or a SegmentTimeline), SegmentList and a single-file BaseURL
# are understood. Protected content (ContentProtection) is reported, not read.
_TEMPLATE_FIELD = re.compile(r"\$(RepresentationID|Number|Bandwidth|Time)(%0(\d+)d)?\$")


def is_manifest(head: bytes) -> bool:
    return b"<MPD" in head[:4096]


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _children(element: Any, name: str) -> list[Any]:
    return [c for c in element if isinstance(c.tag, str) and _local(c.tag) == name]


def _expand(template: str, representation: str, bandwidth: str, number: int | None, time: int | None) -> str:
    def field(match: re.Match[str]) -> str:
        kind, width = match.group(1), int(match.group(3) or 0)
        value: str | int = {"RepresentationID": representation, "Bandwidth": bandwidth}.get(kind, "")
        if kind == "Number":
            value = number or 0
        elif kind == "Time":
            value = time or 0
        return f"{value:0{width}d}" if isinstance(value, int) else str(value)

    return _TEMPLATE_FIELD.sub(field, template).replace("$$", "$")


def _seconds(text: str | None) -> float:
    """``PT1H2M3.5S`` → seconds (0 when absent or unreadable)."""
    match = re.fullmatch(r"P(?:\d+D)?T?(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?", text or "")
    if match is None:
        return 0.0
    hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + secs


def dash_segments(data: bytes, base: str, max_seconds: float) -> MediaPlaylist:
    """The largest video representation's initialisation segment and first segments covering ``max_seconds``."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data[:MAX_PLAYLIST_BYTES], parser)
    except etree.XMLSyntaxError as exc:
        raise NotPlayable(f"not a readable DASH manifest ({exc})") from exc
    if root is None or _local(root.tag) != "MPD":
        raise NotPlayable("not a DASH manifest")
    period = next(iter(_children(root, "Period")), None)
    if period is None:
        raise NotPlayable("a DASH manifest with no period")
    url = base
    for holder in (root, period):
        for element in _children(holder, "BaseURL"):
            url = urljoin(url, (element.text or "").strip())
    total = _seconds(root.get("mediaPresentationDuration"))
    best: tuple[int, int, Any, Any, str] | None = None
    for adaptation in _children(period, "AdaptationSet"):
        kind = (adaptation.get("contentType") or adaptation.get("mimeType") or "").lower()
        for representation in _children(adaptation, "Representation"):
            mime = (representation.get("mimeType") or kind).lower()
            if "video" not in mime and "video" not in kind:
                continue
            if _children(adaptation, "ContentProtection") or _children(representation, "ContentProtection"):
                raise NotPlayable("a protected (DRM) stream: its pictures cannot be read here")
            width, height = int(representation.get("width") or 0), int(representation.get("height") or 0)
            bandwidth = int(representation.get("bandwidth") or 0)
            where = url
            for holder in (adaptation, representation):
                for element in _children(holder, "BaseURL"):
                    where = urljoin(where, (element.text or "").strip())
            candidate = (width * height, bandwidth, adaptation, representation, where)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    if best is None:
        raise NotPlayable("a DASH manifest with no video representation")
    _, bandwidth, adaptation, representation, where = best
    rep_id, rate = representation.get("id") or "", str(bandwidth)
    found = MediaPlaylist()
    template = next(
        iter(_children(representation, "SegmentTemplate") or _children(adaptation, "SegmentTemplate")), None
    )
    listing = next(iter(_children(representation, "SegmentList") or _children(adaptation, "SegmentList")), None)
    if template is not None:
        init = template.get("initialization")
        found.init = urljoin(where, _expand(init, rep_id, rate, None, None)) if init else None
        media = template.get("media") or ""
        timescale = int(template.get("timescale") or 1)
        number = int(template.get("startNumber") or 1)
        timeline = next(iter(_children(template, "SegmentTimeline")), None)
        spans: list[tuple[int, int]] = []  # (start time, duration) in timescale units
        capped = False  # the stream has segments past the MAX_SEGMENTS listed here (or no stated end)
        if timeline is not None:
            clock = 0
            for s in _children(timeline, "S"):
                clock = int(s.get("t") or clock)
                repeats = int(s.get("r") or 0) + 1
                if len(spans) + repeats > MAX_SEGMENTS:
                    repeats, capped = MAX_SEGMENTS - len(spans), True
                for _ in range(repeats):
                    spans.append((clock, int(s.get("d") or 0)))
                    clock += int(s.get("d") or 0)
                if capped:
                    break
        else:
            step = int(template.get("duration") or 0)
            if step <= 0:
                raise NotPlayable("a SegmentTemplate with neither a duration nor a timeline")
            wanted = math.ceil(total * timescale / step) if total else None  # None: no end given (a live stream)
            capped = wanted is None or wanted > MAX_SEGMENTS
            spans = [(k * step, step) for k in range(MAX_SEGMENTS if capped else max(1, wanted or 1))]
        seconds = 0.0
        for k, (start, length) in enumerate(spans):
            if total and start / timescale >= total:
                break
            if seconds >= max_seconds:
                found.more = True
                break
            found.segments.append((urljoin(where, _expand(media, rep_id, rate, number + k, start)), length / timescale))
            seconds += length / timescale
        else:
            found.more = found.more or capped  # every listed segment taken, and the stream goes on past them
    elif listing is not None:
        init = next(iter(_children(listing, "Initialization")), None)
        found.init = urljoin(where, init.get("sourceURL")) if init is not None and init.get("sourceURL") else None
        each = int(listing.get("duration") or 0) / int(listing.get("timescale") or 1)
        seconds = 0.0
        for segment in _children(listing, "SegmentURL"):
            if seconds >= max_seconds or len(found.segments) >= MAX_SEGMENTS:
                found.more = True
                break
            found.segments.append((urljoin(where, segment.get("media") or ""), each))
            seconds += each or max_seconds  # no duration given: one segment at a time, all that is read
    else:
        found.segments.append((where, total))  # one file (SegmentBase): read up to the size limit
    if not found.segments:
        raise NotPlayable("a DASH manifest with no segments")
    return found
