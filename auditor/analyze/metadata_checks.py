"""Metadata findings for one image: ``gps_location``, ``device_serial``, ``person_name_metadata``,
``thumbnail_mismatch``, plus the info facts shown on the asset card.

Boilerplate is not a finding: cameras write their model into Copyright ("KODAK DC240 ZOOM DIGITAL CAMERA",
"(C) by RDC-5300 User") and placeholders into serial fields ("#00000001", "N/A"); those are listed in
:func:`is_boilerplate_name` and :func:`is_placeholder_serial` so the judgement is in one place.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image

from auditor.analyze.metadata import ImageMetadata
from auditor.imaging import NOT_READABLE, open_quietly
from auditor.models import Finding, Severity

_BOILERPLATE = [
    re.compile(r"digital\s+(still\s+)?camera", re.I),
    re.compile(r"^\(c\)\s*by\s+.*\buser$", re.I),
    re.compile(r"^(copyright|\(c\)|©)?[\s,.:]*(\d{4})?[\s.]*$", re.I),
    re.compile(r"^(unknown|none|n/?a|-+|\?+|default|owner|user|camera owner|picasa|copyright\s+\d{4})$", re.I),
    re.compile(r"^(region|face|person)\s*\d*$", re.I),  # unnamed face regions
]
_PLACEHOLDER_SERIAL = re.compile(r"^(#?0+1?|n/?a|none|unknown|0+|x+|-+|\s*)$", re.I)


def is_boilerplate_name(value: str) -> bool:
    """True for values cameras and software write by default: not a person's name."""
    text = value.strip()
    return not any(c.isalpha() for c in text) or any(p.search(text) for p in _BOILERPLATE)


def is_placeholder_serial(value: str) -> bool:
    """True for serial fields that carry no serial ("#00000001", "N/A", zeros)."""
    return bool(_PLACEHOLDER_SERIAL.match(str(value).strip()))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine), enough to tell "at the school" from "at someone's home"."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


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


@dataclass(frozen=True, slots=True)
class Subject:
    """What is being checked: the asset URL (or file URI), where it was found, and its content hash."""

    url: str
    page: str | None
    sha256: str

    @property
    def location(self) -> str:
        """Where the exposure is, for a stable finding id that survives renaming the file: the site (scheme and
        host) of the page it was found on, or ``local`` for ``auditor check``."""
        where = self.page or self.url
        if where.startswith("file:"):
            return "local"
        scheme, _, rest = where.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"

    def finding_id(self, check: str) -> str:
        """Check + content hash + location: the same photo re-uploaded under another name keeps its id."""
        return Finding.make_id(check, self.sha256, self.location)


def _finding(
    check: str, severity: Severity, title: str, subject: Subject, evidence: dict[str, Any], advice: str
) -> Finding:
    return Finding(subject.finding_id(check), check, severity, title, subject.url, subject.page, evidence, advice)


def gps_findings(subject: Subject, meta: ImageMetadata, site_location: tuple[float, float] | None) -> list[Finding]:
    if meta.gps is None:
        return []
    gps = meta.gps
    evidence: dict[str, Any] = {
        "field": gps.source,
        "lat": round(gps.lat, 4),
        "lon": round(gps.lon, 4),
        "altitude_m": None if gps.alt is None else round(gps.alt, 1),
        "timestamp": gps.timestamp,
        "precise": gps.precise,
    }
    if site_location is not None:
        evidence["distance_to_site_km"] = round(distance_km(site_location, (gps.lat, gps.lon)), 2)
    far = evidence.get("distance_to_site_km", 0) > 1.0
    return [
        _finding(
            "gps_location",
            "critical" if gps.precise else "medium",
            "GPS position in the photo" + (" far from the site: it may reveal a home" if far else ""),
            subject,
            evidence,
            "Remove the location from the file (auditor fix, or re-export without location) and replace the "
            "published copy; switch off location tagging on the cameras and phones used for school photos.",
        )
    ]


def serial_findings(subject: Subject, meta: ImageMetadata) -> list[Finding]:
    serials = {k: v for k, v in meta.serials.items() if not is_placeholder_serial(v)}
    if not serials:
        return []
    return [
        _finding(
            "device_serial",
            "medium",
            "Camera or lens serial number in the photo",
            subject,
            {"fields": serials},
            "Strip metadata before publishing: a serial number links every photo taken with the same camera, "
            "across sites and years.",
        )
    ]


def name_findings(
    subject: Subject, meta: ImageMetadata, caption_names: dict[str, list[str]] | None = None
) -> list[Finding]:
    names = {k: v for k, v in meta.names.items() if not is_boilerplate_name(v)}
    names |= {k: "; ".join(v) for k, v in (caption_names or {}).items() if v}
    if not names:
        return []
    return [
        _finding(
            "person_name_metadata",
            "medium",
            "Names in the photo's metadata",
            subject,
            {"fields": names},
            "Strip metadata before publishing: names of photographers, owners or people shown let a stranger "
            "connect the picture to real people.",
        )
    ]


def thumbnail_finding(subject: Subject, difference: dict[str, Any]) -> Finding:
    """``thumbnail_mismatch`` from what :func:`thumbnail_difference` found."""
    return _finding(
        "thumbnail_mismatch",
        "high",
        "Embedded thumbnail differs from the published image",
        subject,
        {"field": "EXIF:IFD1:ThumbnailImage", **difference},
        "The file carries an older preview that may show what was cropped or blurred. Re-export the "
        "image without its EXIF thumbnail and replace the published copy.",
    )


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
