"""Opening untrusted pictures, their pixels, and the one routine that redacts faces.

Both the report's thumbnails and ``auditor fix --blur`` call :func:`redact_faces`, so a face the report hides
and a face a safe copy hides are hidden the same way. Redaction is a solid fill, not a blur: a blurred or
pixelated close-up still shows where the eyes, mouth and hair are, a second face detector still finds it, and
de-blurring models can bring features back. A flat patch carries nothing of the face but its mean colour.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, ImageDraw, ImageFilter

pillow_heif.register_heif_opener()  # HEIC/HEIF (and AVIF) through libheif, for phones' default formats
# JPEG XL through the optional plugin (GPL-3.0, so an extra: pip install 'exposure-auditor[jxl]'); without it a
# JPEG XL file is reported not_checked, never passed as clean.
with contextlib.suppress(ImportError):
    import pillow_jxl  # noqa: F401 - registers the format with Pillow on import

# What Pillow raises on a file from the web it cannot read (UnidentifiedImageError is an OSError; a decompression
# bomb is refused before it is decoded; the JPEG XL and HEIF plugins raise RuntimeError from their libraries).
# Every reader of untrusted pictures catches exactly these.
NOT_READABLE = (OSError, ValueError, SyntaxError, RuntimeError, Image.DecompressionBombError)


@contextmanager
def open_quietly(source: bytes | Path) -> Iterator[Image.Image]:
    """Pillow's image for untrusted bytes or a file, with Pillow's warnings about damaged files silenced (such a
    file is reported by whoever catches :data:`NOT_READABLE`, not warned about on the terminal)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as img:
            yield img


# How far beyond the detector's box a redaction reaches, as a share of the box: detectors box the face from the
# brows to the chin, while hair, ears and the jaw line also identify a child.
PAD_SIDE, PAD_TOP, PAD_BOTTOM = 0.3, 0.45, 0.25
# A picture whose faces are unknown (analysis skipped or failed) is pixelated whole to this many blocks across.
UNKNOWN_BLOCKS = 12

Box = tuple[float, float, float, float]  # x, y, width, height


def rgb(img: Image.Image) -> Image.Image:
    """``img`` as 8-bit RGB. Pillow's own conversion clips 16- and 32-bit pixels (a 16-bit grey PNG portrait
    reads as almost all white, and no face is found); those are scaled down to 8 bits instead."""
    if img.mode == "RGB":
        return img
    if img.mode.startswith("I") or img.mode == "F":
        values = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        grey = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def rgb_array(img: Image.Image) -> np.ndarray:
    """:func:`rgb` as a numpy array (height, width, 3), without a copy when the picture is already RGB."""
    return np.asarray(rgb(img))


def face_region(box: Box, scale: float, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The rectangle (left, top, right, bottom) that hides a face whose box is in coordinates ``scale`` times
    the picture's; ``None`` when it is less than a pixel."""
    x, y, w, h = (v * scale for v in box)
    left, top = max(0, round(x - w * PAD_SIDE)), max(0, round(y - h * PAD_TOP))
    right, bottom = min(width, round(x + w * (1 + PAD_SIDE))), min(height, round(y + h * (1 + PAD_BOTTOM)))
    return (left, top, right, bottom) if right - left >= 1 and bottom - top >= 1 else None


def redact_faces(img: Image.Image, boxes: list[Box], scale: float = 1.0) -> Image.Image:
    """``img`` (RGB) with every face covered by a flat patch of its surroundings' mean colour. Irreversible: no
    pixel of the face survives. ``boxes`` are (x, y, w, h) in coordinates ``scale`` times ``img``'s."""
    out = rgb(img).copy()
    draw = ImageDraw.Draw(out)
    for box in boxes:
        region = face_region(box, scale, out.width, out.height)
        if region is None:
            continue
        mean = np.asarray(out.crop(region)).reshape(-1, 3).mean(axis=0)
        colour = tuple(int(v * 0.85) for v in mean)  # a little darker than the skin it hides: clearly a mask
        draw.rectangle((region[0], region[1], region[2] - 1, region[3] - 1), fill=colour)
    return out


def redact_unknown(img: Image.Image) -> Image.Image:
    """A picture whose faces are unknown: pixelated whole into :data:`UNKNOWN_BLOCKS` blocks across, then
    softened. Enough to tell a group photo from a document; nothing of any face survives."""
    out = rgb(img)
    across = max(1, UNKNOWN_BLOCKS)
    down = max(1, round(across * out.height / max(out.width, 1)))
    blocks = out.resize((across, down), Image.Resampling.BOX)
    return blocks.resize(out.size, Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(2))


THUMB_SIDE = 240  # the report's thumbnails: enough to recognise the scene, never a face (faces are covered)


def contact_sheet(frames: list[tuple[Image.Image, list[Box]]], redact: bool = True) -> bytes:
    """Up to four video frames side by side in two rows, as one JPEG of at most :data:`THUMB_SIDE` px per frame,
    every face covered (``boxes`` in each frame's own coordinates): what the report shows of a video."""
    tiles = []
    for img, boxes in frames[:4]:
        small = rgb(img).copy()
        small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        if redact and boxes:
            small = redact_faces(small, boxes, small.width / max(img.width, 1))
        tiles.append(small)
    if not tiles:
        raise ValueError("no frames")
    across = 1 if len(tiles) == 1 else 2
    width, height = max(t.width for t in tiles), max(t.height for t in tiles)
    rows = (len(tiles) + across - 1) // across
    sheet = Image.new("RGB", (width * across + 4 * (across - 1), height * rows + 4 * (rows - 1)), (255, 255, 255))
    for k, tile in enumerate(tiles):
        sheet.paste(tile, ((k % across) * (width + 4), (k // across) * (height + 4)))
    buf = io.BytesIO()
    sheet.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def thumbnail_jpeg(img: Image.Image, boxes: list[Box] | None, full_width: int, redact: bool = True) -> bytes:
    """A JPEG at most :data:`THUMB_SIDE` px of an upright picture, every face covered (``boxes``, in the
    coordinates of the picture ``full_width`` wide), or pixelated whole when its faces are unknown (``None``).
    The face stage calls this while it holds the pixels; the report calls it for pictures the stage never saw."""
    small = rgb(img).copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    if redact and boxes is None:
        small = redact_unknown(small)
    elif redact and boxes:
        small = redact_faces(small, boxes, small.width / max(full_width, 1))
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=80)
    return buf.getvalue()
