"""Read what an image file says about where, by whom and with which camera it was taken.

Pillow (with pillow-heif for HEIC/HEIF) opens the file and gives the EXIF IFDs, PNG text chunks and IPTC; our own
small readers cover what Pillow leaves as bytes: maker notes (:mod:`auditor.analyze.makernotes`), XMP
(:mod:`auditor.analyze.xmp`), ImageMagick's hex-encoded EXIF in PNG text, APP12 "PictureInfo" text and the
presence of a C2PA/JUMBF manifest. Pixels are never decoded here (only the size is read), so a decompression
bomb costs nothing; a file Pillow cannot open raises :class:`UnreadableImage` and is reported as an error, never
as clean.
"""

from __future__ import annotations

import contextlib
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, IptcImagePlugin

from auditor.analyze import provenance, xmp
from auditor.analyze.gps import GpsFix, exif_gps, text_value, xmp_gps
from auditor.analyze.makernotes import ciff_owner, flir_serial, infiray_serial, parse_maker_note
from auditor.errors import plain
from auditor.imaging import NOT_READABLE, open_quietly

EXIF_IFD, GPS_IFD, IFD1 = 0x8769, 0x8825, -1  # Pillow's ExifTags.IFD.IFD1 is -1
IFD0_NAMES = {0x013B: "EXIF:Artist", 0x8298: "EXIF:Copyright", 0x9C9D: "EXIF:XPAuthor"}
IFD0_SERIALS = {0xC62F: "EXIF:CameraSerialNumber"}
EXIF_SERIALS = {0xA431: "EXIF:BodySerialNumber", 0xA435: "EXIF:LensSerialNumber"}
EXIF_NAMES = {0xA430: "EXIF:CameraOwnerName"}
IPTC_NAMES = {
    (2, 80): "IPTC:By-line",
    (2, 110): "IPTC:Credit",
    (2, 116): "IPTC:CopyrightNotice",
    (2, 122): "IPTC:Writer-Editor",
}
IPTC_CAPTIONS = {(2, 120): "IPTC:Caption-Abstract", (2, 25): "IPTC:Keywords"}
PNG_NAMES = {"Author": "PNG:Author", "Copyright": "PNG:Copyright"}
MIME_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "HEIF": "image/heif",
    "AVIF": "image/avif",
    "GIF": "image/gif",
    "JXL": "image/jxl",
}
_PICTUREINFO_SERIAL = re.compile(rb"SerialNumber=([^\r\n\x00]+)")


class UnreadableImage(Exception):
    """Pillow cannot open the file (corrupt, truncated, or a format it does not know)."""


@dataclass(slots=True)
class ImageMetadata:
    """Everything the metadata checks look at, for one image. Values keep the exact field name as key."""

    format: str
    width: int
    height: int
    gps: GpsFix | None = None
    gps_block_present: bool = False
    serials: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    # Captions, keywords and descriptions: free text in which the name finder looks for people.
    captions: dict[str, list[str]] = field(default_factory=dict)
    software: str | None = None
    camera: str | None = None  # EXIF Make and Model: the device that wrote the place or serial, for "fix first"
    date_taken: str | None = None
    has_exif: bool = False
    has_xmp: bool = False
    has_iptc: bool = False
    has_c2pa: bool = False
    data_mining: str | None = None
    provenance: provenance.Provenance | None = None
    thumbnail: bytes | None = None


def _tiff_block(img: Image.Image, raw: bytes) -> bytes | None:
    """The EXIF TIFF block (byte-order mark first) that maker-note and thumbnail offsets count from."""
    exif = img.info.get("exif")
    if exif is None and img.format == "PNG":
        exif = _png_exif_bytes(raw)
    if isinstance(exif, bytes):
        start = exif.find(b"II*\x00") if b"II*\x00" in exif[:16] else exif.find(b"MM\x00*")
        return exif[start:] if start >= 0 else None
    if raw[:4] in (b"II*\x00", b"MM\x00*"):
        return raw
    return None


def _png_exif_bytes(raw: bytes) -> bytes | None:
    """A PNG's eXIf chunk, found by walking the chunks: Pillow's getexif() would decode every pixel to reach an
    eXIf placed after the image data, which is how a decompression bomb would get its way."""
    pos = 8
    while pos + 8 <= len(raw):
        length = int.from_bytes(raw[pos : pos + 4], "big")
        kind = raw[pos + 4 : pos + 8]
        if kind == b"eXIf":
            body = raw[pos + 8 : pos + 8 + length]
            return body[6:] if body.startswith(b"Exif\x00\x00") else body
        if kind == b"IEND":
            break
        pos += 12 + length
    return None


def _png_exif(raw: bytes) -> Image.Exif:
    exif = Image.Exif()
    body = _png_exif_bytes(raw)
    if body:
        exif.load(body)
    return exif


def _png_raw_profile(img: Image.Image) -> Image.Exif | None:
    """ImageMagick writes EXIF into PNG text as 'Raw profile type exif': a length and hex lines."""
    for key in ("Raw profile type exif", "Raw profile type APP1"):
        text = img.info.get(key)
        if isinstance(text, str):
            parts = text.strip().split(None, 2)
            if len(parts) == 3:
                try:
                    blob = bytes.fromhex("".join(parts[2].split()))
                except ValueError:
                    continue
                exif = Image.Exif()
                exif.load(blob[6:] if blob.startswith(b"Exif\x00\x00") else blob)
                return exif
    return None


def read(source: Path | bytes) -> ImageMetadata:
    """Read ``source`` (a path or the file's bytes). Raises :class:`UnreadableImage` if Pillow cannot open it."""
    raw = source if isinstance(source, bytes) else source.read_bytes()
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<" and re.search(rb"<\w+:x[ma]pmeta\b", raw[:65536]):
        meta = ImageMetadata(format="XMP", width=0, height=0)  # an XMP sidecar: no pixels, same checks
        data = xmp.parse(raw)
        _from_xmp(meta, data)
        meta.provenance = provenance.read(b"", data)
        return meta
    try:
        with open_quietly(raw) as img:
            return _read_open(img, raw)
    except Image.DecompressionBombError as exc:
        raise UnreadableImage(f"decompression bomb? {exc}") from exc
    except NOT_READABLE as exc:
        raise UnreadableImage(
            plain(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
            or "a damaged file, or a format no installed reader knows"
        ) from exc


def _read_open(img: Image.Image, raw: bytes) -> ImageMetadata:
    meta = ImageMetadata(format=img.format or "unknown", width=img.width, height=img.height)
    exif = _png_exif(raw) if img.format == "PNG" else img.getexif()
    meta.has_exif = bool(exif)
    tiff = _tiff_block(img, raw)
    endian = "<" if tiff and tiff[:2] == b"II" else ">"
    _from_exif(meta, exif, tiff, endian)
    for other in _other_exif_blocks(raw, tiff) if img.format in ("JPEG", "MPO") else []:
        _from_exif(meta, other, None, endian)
    extra = _png_raw_profile(img)
    if extra is not None:
        _from_exif(meta, extra, None, endian, prefix="PNG:")
    for key, name in PNG_NAMES.items():
        if (value := text_value(img.info.get(key))) is not None:
            meta.names.setdefault(name, value)
    _from_iptc(meta, img, raw)
    data = xmp.parse(raw)
    _from_xmp(meta, data)
    if (flir := flir_serial(raw)) is not None:
        meta.serials.setdefault("APP1:FLIR:CameraSerialNumber", flir)
    if (infiray := infiray_serial(raw)) is not None:
        meta.serials.setdefault("APP9:InfiRay:IRSensorSerialNumber", infiray)
    if (owner := ciff_owner(raw)) is not None:
        meta.names.setdefault("MakerNotes:CIFF:OwnerName", owner)
    for match in _PICTUREINFO_SERIAL.finditer(raw[: 1 << 20]):
        meta.serials.setdefault("APP12:PictureInfo:SerialNumber", match.group(1).decode("latin-1").strip())
    meta.has_c2pa = provenance.has_manifest(raw)
    meta.provenance = provenance.read(raw, data, MIME_TYPES.get(meta.format), meta.has_c2pa)
    return meta


_EXIF_APP1 = b"\xff\xe1"
MAX_EXIF_BLOCKS = 16


def _other_exif_blocks(raw: bytes, first: bytes | None) -> list[Image.Exif]:
    """EXIF blocks Pillow does not read: a second APP1 segment, an MPF secondary image's, one in a photo hidden
    after the end of the image (exiftool reads them all; a location there is still published). At most
    MAX_EXIF_BLOCKS, each parsed on its own; the one Pillow read (``first``) is skipped."""
    found: list[Image.Exif] = []
    pos = raw.find(_EXIF_APP1 + b"")
    while pos != -1 and len(found) < MAX_EXIF_BLOCKS:
        length = int.from_bytes(raw[pos + 2 : pos + 4], "big")
        body = raw[pos + 4 : pos + 2 + length]
        if body[:6] == b"Exif\x00\x00" and body[6:] != (first or b"") and len(body) > 14:
            exif = Image.Exif()
            with contextlib.suppress(*NOT_READABLE, KeyError, IndexError, TypeError, struct.error):
                exif.load(body[6:])
                found.append(exif)
        pos = raw.find(_EXIF_APP1, pos + 2)
    return found


def _copy_tags(ifd: Any, table: dict[int, str], target: dict[str, str], prefix: str) -> None:
    """Non-blank text values of ``table``'s tags, under their field names (the first source found wins)."""
    for tag, name in table.items():
        if (value := text_value(ifd.get(tag))) is not None:
            target.setdefault(prefix + name, value)


def _from_exif(meta: ImageMetadata, exif: Image.Exif, tiff: bytes | None, endian: str, prefix: str = "") -> None:
    _copy_tags(exif, IFD0_NAMES, meta.names, prefix)
    _copy_tags(exif, IFD0_SERIALS, meta.serials, prefix)
    meta.software = meta.software or text_value(exif.get(0x0131))
    make, model = text_value(exif.get(0x010F)), text_value(exif.get(0x0110))
    if meta.camera is None and (make or model):
        # "Canon" + "Canon EOS 80D" is "Canon EOS 80D", not "Canon Canon EOS 80D"
        meta.camera = (
            model
            if make and model and model.lower().startswith(make.lower().split()[0])
            else " ".join(p for p in (make, model) if p)
        )
    if (description := text_value(exif.get(0x010E))) is not None:
        meta.captions.setdefault(prefix + "EXIF:ImageDescription", [description])
    sub = exif.get_ifd(EXIF_IFD)
    _copy_tags(sub, EXIF_SERIALS, meta.serials, prefix)
    _copy_tags(sub, EXIF_NAMES, meta.names, prefix)
    meta.date_taken = meta.date_taken or text_value(sub.get(0x9003)) or text_value(exif.get(0x0132))
    gps = exif.get_ifd(GPS_IFD)
    if gps:
        meta.gps_block_present = True
        meta.gps = meta.gps or exif_gps(gps)
    note = sub.get(0x927C)
    if isinstance(note, bytes) and note:
        fields = parse_maker_note(
            note, text_value(exif.get(0x010F)) or "", tiff, endian, text_value(exif.get(0x0110)) or ""
        )
        if fields is not None:
            for key, value in fields.fields.items():
                target = meta.names if key == "OwnerName" else meta.serials
                target.setdefault(f"MakerNotes:{fields.vendor}:{key}", value)
    if tiff is not None and meta.thumbnail is None:
        ifd1 = exif.get_ifd(IFD1)
        offset, length = ifd1.get(0x0201), ifd1.get(0x0202)
        if isinstance(offset, int) and isinstance(length, int) and length > 0 and offset + length <= len(tiff):
            meta.thumbnail = tiff[offset : offset + length]


_IIM = re.compile(rb"\x1c\x02([\x50\x6e\x74\x7a])([\x00-\x7f][\x00-\xff])")


def _scan_iim(raw: bytes) -> dict[tuple[int, int], list[bytes]]:
    """IPTC IIM datasets wherever they are (APP13, TIFF, or a trailer such as AFCP that Pillow does not read)."""
    found: dict[tuple[int, int], list[bytes]] = {}
    for match in _IIM.finditer(raw):
        length = int.from_bytes(match.group(2), "big")
        value = raw[match.end() : match.end() + length]
        if 0 < length <= 256 and len(value) == length and all(32 <= b < 127 or b >= 160 for b in value):
            found.setdefault((2, match.group(1)[0]), []).append(value)
    return found


def _from_iptc(meta: ImageMetadata, img: Image.Image, raw: bytes) -> None:
    try:
        info = IptcImagePlugin.getiptcinfo(img)  # type: ignore[arg-type]
    except (SyntaxError, ValueError, IndexError, TypeError):
        info = None
    if not info:
        info = _scan_iim(raw)  # type: ignore[assignment]
    if not info:
        return
    meta.has_iptc = True
    for key, name in IPTC_NAMES.items():
        value = info.get(key)
        values = value if isinstance(value, list) else [value]
        texts = [t for v in values if (t := text_value(v))]
        if texts:
            meta.names.setdefault(name, "; ".join(texts))
    for key, name in IPTC_CAPTIONS.items():
        value = info.get(key)
        texts = [t for v in (value if isinstance(value, list) else [value]) if (t := text_value(v))]
        if texts:
            meta.captions.setdefault(name, texts)


def _from_xmp(meta: ImageMetadata, data: xmp.XmpData) -> None:
    if not data.present:
        return
    meta.has_xmp = True
    for key in sorted(xmp.NAME_PROPERTIES):
        if data.values.get(key):
            meta.names.setdefault(f"XMP:{key}", "; ".join(data.values[key]))
    for key in sorted(xmp.SERIAL_PROPERTIES):
        if data.values.get(key):
            target = meta.names if key.endswith("OwnerName") else meta.serials
            target.setdefault(f"XMP:{key}", data.values[key][0])
    for key in sorted(xmp.CAPTION_PROPERTIES):
        if data.values.get(key):
            meta.captions.setdefault(f"XMP:{key}", data.values[key])
    meta.gps = meta.gps or xmp_gps(data)
    meta.gps_block_present = meta.gps_block_present or "exif:GPSLatitude" in data.values
    meta.software = meta.software or data.first("xmp:CreatorTool")
    meta.date_taken = meta.date_taken or data.first("exif:DateTimeOriginal") or data.first("photoshop:DateCreated")
    meta.data_mining = data.first("plus:DataMining")
