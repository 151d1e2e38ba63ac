"""Small, redacted copies of images for the report, as ``data:`` URIs.

The report is itself sensitive: by default every face is pixelated and blurred before the thumbnail is embedded,
and an image whose faces are unknown (face analysis skipped or failed) is blurred whole. Only Pillow is used here.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from auditor.analyze.metadata import NOT_READABLE, open_quietly

THUMB_SIDE = 240
MAX_SOURCE_PIXELS = 60_000_000


def _redact_faces(img: Image.Image, faces: list[dict[str, Any]], scale: float) -> Image.Image:
    for face in faces:
        x, y, w, h = (round(v * scale) for v in face["box"])
        pad_w, pad_h = max(2, w // 4), max(2, h // 4)
        region = (max(0, x - pad_w), max(0, y - pad_h), min(img.width, x + w + pad_w), min(img.height, y + h + pad_h))
        if region[2] - region[0] < 2 or region[3] - region[1] < 2:
            continue
        patch = img.crop(region)
        blocks = patch.resize((max(1, patch.width // 8), max(1, patch.height // 8)), Image.Resampling.BILINEAR)
        patch = blocks.resize(patch.size, Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(3))
        img.paste(patch, region[:2])
    return img


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
            img = ImageOps.exif_transpose(src).convert("RGB")
    except NOT_READABLE:
        return None
    return data_uri(_finish(img, faces, full_width, redact))


def redacted_thumbnail(pixels: np.ndarray, boxes: list[tuple[int, int, int, int]], full_width: int | None = None
                       ) -> bytes:
    """The redacted thumbnail of an upright image already decoded (the face stage makes it while it holds the
    pixels, so the report does not decode every image a second time). ``pixels`` may be a reduced copy of the
    picture; ``boxes`` (the faces, x, y, w, h) are in the coordinates of the picture ``full_width`` wide."""
    img = Image.fromarray(pixels)
    return _finish(img, [{"box": list(b)} for b in boxes], full_width or img.width, True)


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _finish(img: Image.Image, faces: list[dict[str, Any]] | None, full_width: int, redact: bool) -> bytes:
    img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    if redact and faces is None:
        img = img.filter(ImageFilter.GaussianBlur(8))
    elif redact and faces:
        img = _redact_faces(img, faces, img.width / max(full_width, 1))
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=80)
    return buf.getvalue()
