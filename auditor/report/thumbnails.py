"""Small, redacted copies of images for the report, as ``data:`` URIs.

The report is itself sensitive: by default every face is covered (:func:`auditor.imaging.redact_faces`, the same
routine ``auditor fix`` uses) before the thumbnail is embedded, and an image whose faces are unknown (face analysis
skipped or failed) is pixelated whole. Most thumbnails are made by the face stage; this module makes the rest.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from PIL import ImageOps

from auditor.imaging import NOT_READABLE, THUMB_SIDE, open_quietly, rgb, thumbnail_jpeg

MAX_SOURCE_PIXELS = 60_000_000


def thumbnail_uri(path: Path, faces: list[dict[str, Any]] | None, redact: bool) -> str | None:
    """A JPEG data URI of the image at most THUMB_SIDE px, faces redacted (or all of it when faces are unknown).
    Face boxes are in the upright full-size image's coordinates (as the face stage stores them)."""
    try:
        with open_quietly(path) as src:
            if src.width * src.height > MAX_SOURCE_PIXELS:
                return None
            turned = src.getexif().get(0x0112, 1) in (5, 6, 7, 8)
            full_width = src.height if turned else src.width
            src.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))
            img = rgb(ImageOps.exif_transpose(src))
    except NOT_READABLE:
        return None
    boxes = None if faces is None else [(b[0], b[1], b[2], b[3]) for b in (f["box"] for f in faces)]
    return data_uri(thumbnail_jpeg(img, boxes, full_width, redact))


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
