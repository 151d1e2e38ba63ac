"""SVG files: vector drawings that can carry photos inside them.

An SVG is XML, not pixels: icon fonts (``fontawesome-webfont.svg``), logos and diagrams show nobody, so reporting
one as a picture "that could not be read" put noise at the top of the report. But an SVG can also wrap a photo, as
a ``data:`` URI in an ``<image>`` element or in a style's ``url(...)``; that photo is taken out and analysed like a
photo inside a PDF (named ``<svg url>#image=K``), GPS, faces and all.

Parsed with lxml with entities, DTD loading and the network switched off (an SVG from the web is hostile input),
and with the same caps as documents. An ``<image>`` that points elsewhere (``href="https://..."``) is named in the
file's facts, not fetched here.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from lxml import etree

from auditor.analyze.documents import MAX_EMBEDDED_IMAGES, MAX_MEMBER_BYTES

SNIFF_BYTES = 1024
_SVG_START = re.compile(  # a BOM, an XML declaration, comments and a DOCTYPE (with an internal subset) may come first
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*|<!--.*?-->\s*|<!DOCTYPE(?:[^>\[]|\[[^\]]*\])*>\s*)*<(?:\w+:)?svg[\s>]",
    re.I | re.S,
)
_DATA_URI = re.compile(r"data:(image/[\w.+-]+)?((?:;[\w-]+=[^;,]*)*)(;base64)?,([^\"')\s]*)", re.I)
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


class UnreadableSvg(Exception):
    """The SVG is not well-formed XML (or too large to hold); the message says why."""


@dataclass(slots=True)
class SvgContent:
    """The pictures an SVG carries: embedded ones (label, bytes), and the addresses of those it points to."""

    images: list[tuple[str, bytes]] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    skipped_images: int = 0  # embedded pictures past MAX_EMBEDDED_IMAGES
    undecodable: int = 0  # embedded pictures whose data: URI is damaged


def is_svg(head: bytes) -> bool:
    """Whether a file's first :data:`SNIFF_BYTES` are an SVG's start (by content: an extension or a
    Content-Type may lie either way)."""
    return bool(_SVG_START.match(head[:SNIFF_BYTES]))


def read_svg(data: bytes) -> SvgContent:
    """Every raster picture an SVG embeds as a ``data:`` URI (``<image href>``, ``xlink:href``, or ``url(...)`` in
    a ``style``), decoded; raises :class:`UnreadableSvg` for XML that cannot be parsed."""
    if len(data) > MAX_MEMBER_BYTES:
        raise UnreadableSvg(f"{len(data):,} bytes: larger than the {MAX_MEMBER_BYTES:,} an SVG is read to")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise UnreadableSvg(f"not well-formed XML: {exc}") from exc
    out = SvgContent()
    references: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        for name in ("href", _XLINK_HREF):
            if (value := element.get(name)) and etree.QName(element).localname == "image":
                references.append(re.sub(r"\s+", "", value))  # Inkscape wraps long base64 payloads over lines
        styles = [element.get("style") or ""]
        if etree.QName(element).localname == "style":
            styles.append(element.text or "")
        references += [m.group(0) for text in styles for m in _DATA_URI.finditer(text)]
    for reference in references:
        if not reference.lower().startswith("data:"):
            if reference and not reference.startswith("#"):
                out.linked.append(reference)
            continue
        picture = _decode(reference)
        if picture is None:
            out.undecodable += _is_picture(reference)
            continue
        if len(out.images) >= MAX_EMBEDDED_IMAGES:
            out.skipped_images += 1
            continue
        out.images.append((f"image={len(out.images)}", picture))
    return out


def _is_picture(uri: str) -> bool:
    """Whether a ``data:`` URI says it holds a raster picture (a nested SVG or another media type does not)."""
    media = (_DATA_URI.match(uri.strip()) or [None, None])[1]
    return media is None or (media.lower().startswith("image/") and media.lower() != "image/svg+xml")


def _decode(uri: str) -> bytes | None:
    """The bytes of an image ``data:`` URI; ``None`` for another media type or a damaged payload."""
    found = _DATA_URI.match(uri.strip())
    if found is None:
        return None
    media, _, is_base64, payload = found.groups()
    if media is not None and not media.lower().startswith("image/"):
        return None
    if media is not None and media.lower() == "image/svg+xml":
        return None  # a drawing inside a drawing: no photo
    try:
        raw = unquote_to_bytes(payload)
        return base64.b64decode(raw + b"=" * (-len(raw) % 4)) if is_base64 else raw
    except (binascii.Error, ValueError):
        return None
