"""Facts about one image that are not findings: how its embedded thumbnail differs from it (for
``thumbnail_mismatch``, compared while the file's bytes are in hand) and what the asset card shows."""

from __future__ import annotations

from typing import Any

from PIL import Image

from auditor.analyze.metadata import ImageMetadata
from auditor.imaging import NOT_READABLE, open_quietly


def _dhash(img: Image.Image) -> int:
    small = img.convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    px = small.tobytes()
    return sum(1 << i for i in range(64) if px[(i // 8) * 9 + i % 8] > px[(i // 8) * 9 + i % 8 + 1])


def thumbnail_difference(image_bytes: bytes, thumbnail: bytes, max_pixels: int) -> dict[str, Any] | None:
    """How an embedded thumbnail differs from the image it belongs to, or ``None`` when it matches (or cannot
    be compared). A differing thumbnail often still shows what was cropped out or blurred in the main image."""
    try:
        with open_quietly(image_bytes) as main, open_quietly(thumbnail) as thumb:
            if main.width * main.height > max_pixels or thumb.width * thumb.height > max_pixels:
                return None
            main.draft("L", (main.width // 8 or 1, main.height // 8 or 1))
            main_ratio, thumb_ratio = main.width / main.height, thumb.width / thumb.height
            distance = bin(_dhash(main) ^ _dhash(thumb)).count("1")
            thumb_size = list(thumb.size)
    except (*NOT_READABLE, ZeroDivisionError):
        return None
    ratio_change = abs(main_ratio - thumb_ratio) / main_ratio
    # Thumbnails are often letterboxed to 160x120, so compare both ways round before calling it a crop.
    if ratio_change > 0.05 and abs(main_ratio - 1 / thumb_ratio) / main_ratio > 0.05 and distance > 6:
        return {
            "reason": "different aspect ratio (cropped?)",
            "thumbnail_size": thumb_size,
            "image_aspect": round(main_ratio, 3),
            "thumbnail_aspect": round(thumb_ratio, 3),
            "hash_distance": distance,
        }
    if distance > 14:
        return {
            "reason": "different content (edited or blurred after the thumbnail was made?)",
            "thumbnail_size": thumb_size,
            "hash_distance": distance,
        }
    return None


def info(meta: ImageMetadata) -> dict[str, Any]:
    """Facts shown on the asset card (not findings)."""
    return {
        "format": meta.format,
        "width": meta.width,
        "height": meta.height,
        "software": meta.software,
        "camera": meta.camera,
        "date_taken": meta.date_taken,
        "has_exif": meta.has_exif,
        "has_xmp": meta.has_xmp,
        "has_iptc": meta.has_iptc,
        "has_c2pa": meta.has_c2pa,
        "data_mining": meta.data_mining,
        "has_thumbnail": meta.thumbnail is not None,
        "gps_block_present": meta.gps_block_present,
        "provenance": meta.provenance.as_dict() if meta.provenance is not None else None,
    }
