"""Small, redacted copies of images for the report, as ``data:`` URIs.

The report is itself sensitive: by default every face is covered (:func:`auditor.imaging.redact_faces`, the same
routine ``auditor fix`` uses) before the thumbnail is embedded, and an image whose faces are unknown (face analysis
skipped or failed) is pixelated whole. Only Pillow is used here.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from auditor.analyze.metadata import NOT_READABLE, open_quietly
from auditor.imaging import redact_faces, redact_unknown, rgb

THUMB_SIDE = 240
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
    return data_uri(_finish(img, faces, full_width, redact))


def redacted_thumbnail(
    pixels: np.ndarray, boxes: list[tuple[int, int, int, int]], full_width: int | None = None
) -> bytes:
    """The redacted thumbnail of an upright image already decoded (the face stage makes it while it holds the
    pixels, so the report does not decode every image a second time). ``pixels`` may be a reduced copy of the
    picture; ``boxes`` (the faces, x, y, w, h) are in the coordinates of the picture ``full_width`` wide."""
    img = Image.fromarray(pixels)
    return _finish(img, [{"box": list(b)} for b in boxes], full_width or img.width, True)


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _finish(img: Image.Image, faces: list[dict[str, Any]] | None, full_width: int, redact: bool) -> bytes:
    img = rgb(img)
    img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    if redact and faces is None:
        img = redact_unknown(img)
    elif redact and faces:
        img = redact_faces(img, [tuple(f["box"]) for f in faces], img.width / max(full_width, 1))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()
