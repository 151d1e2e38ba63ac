"""A photo's position, as EXIF's GPS block and XMP give it: degrees, whether finer than whole degrees (a real
place, not a country), altitude and time; and the EXIF value readers the rest of the metadata reader shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditor.analyze import xmp


@dataclass(frozen=True, slots=True)
class GpsFix:
    """Where a photo was taken, where that was read (``source``), and whether it is finer than whole degrees."""

    lat: float
    lon: float
    alt: float | None
    timestamp: str | None
    source: str
    precise: bool


def text_value(value: Any) -> str | None:
    """An EXIF or IPTC value as text (EXIF's ``ASCII``/``UNICODE`` prefixes, UTF-16 or Latin-1 bytes), or ``None``."""
    if isinstance(value, bytes):
        if value.startswith(b"ASCII\x00\x00\x00") or value.startswith(b"UNICODE\x00"):
            value = value[8:]
        try:
            value = value.decode("utf-16-le") if value[1:2] == b"\x00" else value.decode("utf-8")
        except UnicodeDecodeError:
            value = value.decode("latin-1")
    if value is None or isinstance(value, tuple | list | dict):
        return None
    text = str(value).replace("\x00", "").strip()
    return text or None


def _rational(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _dms(value: Any) -> tuple[float, bool] | None:
    """Degrees from an EXIF (deg, min, sec) triple; and whether it is finer than whole degrees."""
    if not isinstance(value, tuple | list) or len(value) != 3:
        return None
    parts = [_rational(v) for v in value]
    if any(p is None for p in parts):
        return None
    d, m, s = (p or 0.0 for p in parts)
    return d + m / 60 + s / 3600, bool(m or s or d != int(d))


def exif_gps(gps: dict[int, Any]) -> GpsFix | None:
    lat, lon = _dms(gps.get(2)), _dms(gps.get(4))
    if lat is None or lon is None:
        return None
    lat_v = -lat[0] if str(gps.get(1, "N")).strip().upper().startswith("S") else lat[0]
    lon_v = -lon[0] if str(gps.get(3, "E")).strip().upper().startswith("W") else lon[0]
    if (lat_v == 0 and lon_v == 0) or not (abs(lat_v) <= 90 and abs(lon_v) <= 180):  # also rejects NaN
        return None
    alt = _rational(gps.get(6))
    if alt is not None and gps.get(5) in (1, b"\x01"):
        alt = -alt
    stamp = gps.get(7)
    time = None
    if isinstance(stamp, tuple) and len(stamp) == 3:
        time = ":".join(f"{_rational(p) or 0:02.0f}" for p in stamp)
    date = text_value(gps.get(29))
    timestamp = " ".join(p for p in (date, time) if p) or None
    return GpsFix(lat_v, lon_v, alt, timestamp, "EXIF:GPS", lat[1] or lon[1])


_XMP_COORD = re.compile(r"^\s*(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?(?:,(\d+(?:\.\d+)?))?\s*([NSEW])\s*$", re.I)


def _xmp_coord(text: str | None) -> tuple[float, bool] | None:
    if not text:
        return None
    match = _XMP_COORD.match(text)
    if match is None:
        try:
            value = float(text)
        except ValueError:
            return None
        return value, value != int(value)
    d, m, s, ref = match.groups()
    value = float(d) + float(m or 0) / 60 + float(s or 0) / 3600
    return (-value if ref.upper() in "SW" else value), bool(m or s or "." in d)


def xmp_gps(data: xmp.XmpData) -> GpsFix | None:
    lat, lon = _xmp_coord(data.first("exif:GPSLatitude")), _xmp_coord(data.first("exif:GPSLongitude"))
    if lat is None or lon is None or (lat[0] == 0 and lon[0] == 0):
        return None
    alt_text = data.first("exif:GPSAltitude")
    alt = None
    if alt_text:
        num, _, den = alt_text.partition("/")
        try:
            alt = float(num) / float(den or 1)
        except (ValueError, ZeroDivisionError):
            alt = None
    return GpsFix(lat[0], lon[0], alt, data.first("exif:GPSTimeStamp"), "XMP:exif:GPSLatitude", lat[1] or lon[1])
