"""Camera serial numbers and owner names hidden in vendor blocks: maker notes (which Pillow hands over as raw
bytes), FLIR's FFF records, InfiRay's APP9 and Canon's CIFF heap.

Why our own parser: Pillow does not decode maker notes, ExifRead knows only a few vendors' serial tags, and the
library that knows most (exiv2) is GPL. A maker note is, for the vendors that matter here, a TIFF IFD behind a
vendor header; this module reads IFD entries defensively (every offset bounds-checked, loops and depth capped) and
looks up a short table of tags per vendor, from ExifTool's tag documentation.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
MAX_ENTRIES = 1000


@dataclass(frozen=True, slots=True)
class Entry:
    tag: int
    type: int
    count: int
    raw: bytes
    offset: int  # where ``raw`` starts in the data it was read from (a sub-IFD stored inline starts there)

    def value(self, endian: str) -> str | int | None:
        """ASCII/undefined as text, a single integer as int; anything else ``None``."""
        if self.type in (2, 7):
            text = self.raw.strip(b"\x00").split(b"\x00", 1)[0].decode("latin-1").strip()
            return text or None
        if self.type in (3, 4) and self.count >= 1:
            fmt = {3: "H", 4: "I"}[self.type]
            return int(struct.unpack_from(endian + fmt, self.raw)[0])
        return None


def read_ifd(data: bytes, offset: int, endian: str, base: int = 0) -> Iterator[Entry]:
    """Entries of the IFD at ``offset``; value offsets are relative to ``base``. Never raises on bad data."""
    if offset < 0 or offset + 2 > len(data):
        return
    (count,) = struct.unpack_from(endian + "H", data, offset)
    for i in range(min(count, MAX_ENTRIES)):
        pos = offset + 2 + 12 * i
        if pos + 12 > len(data):
            return
        tag, typ, n = struct.unpack_from(endian + "HHI", data, pos)
        size = _TYPE_SIZES.get(typ, 0) * n
        if size == 0 or size > 1 << 20:
            continue
        if size <= 4:
            start = pos + 8
            raw = data[start : start + size]
        else:
            (value_offset,) = struct.unpack_from(endian + "I", data, pos + 8)
            start = base + value_offset
            if start < 0 or start + size > len(data):
                continue
            raw = data[start : start + size]
        yield Entry(tag, typ, n, raw, start)


# vendor -> {tag: field name}; field names follow ExifTool's so evidence matches what users look up.
_CANON = {0x0009: "OwnerName", 0x000C: "SerialNumber", 0x0096: "InternalSerialNumber"}
_NIKON = {0x001D: "SerialNumber", 0x00A0: "SerialNumber"}
_OLYMPUS = {0x0404: "SerialNumber"}
_OLYMPUS_EQUIPMENT = {0x0101: "SerialNumber", 0x0102: "InternalSerialNumber", 0x0202: "LensSerialNumber"}
_PANASONIC = {0x0025: "InternalSerialNumber"}
_PENTAX = {0x0229: "SerialNumber"}
_SIGMA = {0x0002: "SerialNumber"}
_MOTOROLA = {0x5501: "SerialNumber"}
_FUJIFILM = {0x0010: "InternalSerialNumber"}
_SAMSUNG = {0xA002: "SerialNumber"}
_SONY_SERIAL = 0x2031  # ILCE-9 firmware 2.00: an ASCII serial with its digit pairs reversed

# Sony enciphers some binary maker-note records (0x9050, 0x94xx) with a substitution: byte b is stored as
# b**3 mod 249 (bytes 249-255 unchanged). ExifTool's Sony.pm documents it; the table below inverts it.
_SONY_DECIPHER = bytes.maketrans(bytes((b**3) % 249 for b in range(2, 248)), bytes(range(2, 248)))
# Where the 0x9050 record keeps InternalSerialNumber, by model: ExifTool's Tag9050a-d tables and their conditions.
_SONY_9050D = re.compile(r"^(ILCE-(6700|7CM2|7CR)|ILME-FX2|ZV-E1)\b")
_SONY_9050D_ZEROS = re.compile(r"^ILCE-(1M2|7M5)")  # 9050d only when the record starts with five zero bytes
_SONY_9050C_1 = re.compile(r"^ILCE-1\b")
_SONY_9050C = re.compile(r"^(ILCE-(7M4|7RM5|7SM3)|ILME-FX3)")
_SONY_9050B = re.compile(
    r"^(ILCE-(6100A?|6300|6400A?|6500|6600|7C|7M3|7RM2|7RM3A?|7RM4A?|7SM2|9|9M2)|ILCA-99M2|ZV-E10)\b"
)
_SONY_9050A_NOT = re.compile(
    r"^(DSC-|Stellar|ILCE-(1|6100|6300|6400|6500|6600|6700|7C|7M3|7M4|7M5|7RM2|7RM3A?|7RM4A?|7RM5|7SM2|7SM3|9|9M2)"
    r"|ILCA-99M2|ILME-(FX2|FX3)|ZV-)"
)
_SONY_9050A_LONG = re.compile(r"^(SLT-|HV|ILCA-)")
_SONY_9050A_NONE = re.compile(r"^(Lunar|NEX-(5N|7|VG20E))")


def _sony_serial_place(model: str, record: bytes) -> tuple[int, int] | None:
    """(offset, length) of InternalSerialNumber in a deciphered 0x9050 record, or ``None`` (no serial there, or a
    model ExifTool has no layout for: nothing is guessed)."""
    if _SONY_9050D.search(model) or (_SONY_9050D_ZEROS.search(model) and record[:5] == b"\x00" * 5):
        return 0x38, 6
    if _SONY_9050C_1.search(model):
        return 0x8A, 6
    if _SONY_9050C.search(model) or _SONY_9050B.search(model):
        return 0x88, 6
    if _SONY_9050A_NOT.search(model):
        return None
    if _SONY_9050A_LONG.search(model):
        return 0xF0, 5
    return None if _SONY_9050A_NONE.search(model) else (0x7C, 4)


@dataclass(frozen=True, slots=True)
class MakerNoteFields:
    vendor: str
    fields: dict[str, str]


def _collect(entries: Iterator[Entry], table: dict[int, str], endian: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in entries:
        name = table.get(entry.tag)
        if name is None:
            continue
        value = entry.value(endian)
        if value is not None and str(value).strip():
            out.setdefault(name, str(value).strip())
    return out


def parse_maker_note(
    note: bytes, make: str, tiff: bytes | None, endian: str, model: str = ""
) -> MakerNoteFields | None:
    """Serials and owner names in a maker note. ``tiff`` is the whole EXIF TIFF block (for vendors whose offsets
    are relative to it); ``endian`` is its byte order (``<`` or ``>``); ``model`` the camera model (Sony's
    records are laid out per model)."""
    make = make.lower()
    try:
        if note.startswith(b"SONY") or (make.startswith("sony") and tiff is not None):
            return _sony(note, tiff, endian, model.strip())
        return _parse(note, make, tiff, endian)
    except (struct.error, ValueError, IndexError):
        return None


def _sony(note: bytes, tiff: bytes | None, endian: str, model: str) -> MakerNoteFields | None:
    """Sony: an IFD after a 12-byte "SONY DSC " header (or none), value offsets from the TIFF header. The serial is
    in the enciphered 0x9050 record for ILCE/NEX/SLT bodies, or ASCII in 0x2031 (ILCE-9 firmware 2.00)."""
    skip = 12 if note.startswith((b"SONY DSC ", b"SONY CAM ", b"SONY MOBILE")) else 0
    if tiff is not None and (position := tiff.find(note)) >= 0:
        entries, data = list(read_ifd(tiff, position + skip, endian)), tiff
    else:  # the note on its own: offsets cannot be resolved, values stored inline still can
        entries, data = list(read_ifd(note, skip, endian)), note
    fields: dict[str, str] = {}
    for entry in entries:
        if entry.tag == _SONY_SERIAL and entry.type == 2:
            text = entry.raw.split(b"\x00", 1)[0].decode("latin-1").strip()
            if re.fullmatch(r"\d{8}", text):
                text = str(int(text[6:8] + text[4:6] + text[2:4] + text[0:2]))
            if text:
                fields["SerialNumber"] = text
        elif entry.tag == 0x9050 and entry.type in (1, 7) and data is not None:
            record = entry.raw.translate(_SONY_DECIPHER)
            place = _sony_serial_place(model, record)
            if place is not None:
                serial = record[place[0] : place[0] + place[1]]
                if len(serial) == place[1] and serial.strip(b"\x00\xff"):
                    fields["InternalSerialNumber"] = serial.hex()
    return MakerNoteFields("Sony", fields)


def _parse(note: bytes, make: str, tiff: bytes | None, endian: str) -> MakerNoteFields | None:
    if note.startswith(b"Nikon\x00\x02"):
        inner = note[10:]
        inner_endian = "<" if inner[:2] == b"II" else ">"
        (ifd,) = struct.unpack_from(inner_endian + "I", inner, 4)
        return MakerNoteFields("Nikon", _collect(read_ifd(inner, ifd, inner_endian), _NIKON, inner_endian))
    if note.startswith((b"OLYMPUS\x00", b"OM SYSTEM\x00")):
        start = 12 if note.startswith(b"OLYMPUS") else 16
        inner_endian = "<" if note[start - 4 : start - 2] == b"II" else ">"
        fields: dict[str, str] = {}
        entries = list(read_ifd(note, start, inner_endian))
        fields = _collect(iter(entries), _OLYMPUS, inner_endian) | _equipment(note, entries, inner_endian, 0)
        return MakerNoteFields("Olympus", fields)
    if note.startswith(b"OLYMP\x00") and tiff is not None:
        return _relative_ifd(note, tiff, endian, 8, "Olympus", _OLYMPUS, equipment=True)
    if note.startswith(b"Panasonic\x00") and tiff is not None:
        return _relative_ifd(note, tiff, endian, 12, "Panasonic", _PANASONIC)
    if note.startswith(b"AOC\x00") and tiff is not None:
        pentax_endian = {b"MM": ">", b"II": "<"}.get(note[4:6], endian)
        pentax = _relative_ifd(note, tiff, pentax_endian, 6, "Pentax", _PENTAX)
        if pentax is not None:
            pentax.fields.update(_pentax_camera_info(note, tiff, pentax_endian))
        return pentax
    if note.startswith(b"\x01\xf1") and len(note) >= 72:  # Reconyx HyperFire: fixed layout, UTF-16 serial
        serial = note[42:72].decode("utf-16-le", "ignore").split("\x00", 1)[0].strip()
        return MakerNoteFields("Reconyx", {"SerialNumber": serial} if serial else {})
    if note.startswith((b"SIGMA\x00", b"FOVEON\x00")) and tiff is not None:
        return _relative_ifd(note, tiff, endian, 10, "Sigma", _SIGMA)
    if note.startswith((b"Ricoh", b"RICOH")) and tiff is not None:
        position = tiff.find(note)
        for entry in read_ifd(tiff, position + 8, endian):
            if entry.tag == 0x0005 and entry.type == 7 and entry.count == 16 and entry.raw.strip(b"\x00"):
                return MakerNoteFields("Ricoh", {"InternalSerialNumber": entry.raw.hex()})  # binary, shown as hex
        return None
    if note.startswith(b"MOT\x00"):  # Motorola: big-endian IFD after an 8-byte header, offsets from the note
        return MakerNoteFields("Motorola", _collect(read_ifd(note, 8, ">"), _MOTOROLA, ">"))
    if note.startswith(b"FUJIFILM"):  # always little-endian; IFD offset stored at 8, relative to the note
        (ifd,) = struct.unpack_from("<I", note, 8)
        return MakerNoteFields("FujiFilm", _collect(read_ifd(note, ifd, "<"), _FUJIFILM, "<"))
    if make.startswith("samsung") and tiff is not None and not note.startswith(b"SAMSUNG"):
        return _relative_ifd(note, tiff, endian, 0, "Samsung", _SAMSUNG)
    if make.startswith("canon") and tiff is not None:
        return _relative_ifd(note, tiff, endian, 0, "Canon", _CANON)
    return None


def flir_serial(raw: bytes) -> str | None:
    """FLIR thermal cameras keep their serial in the CameraInfo record (type 0x20) of the FFF block carried in
    APP1 "FLIR" segments; the serial is the ASCII field at 0x104 of that record."""
    start = raw.find(b"FLIR\x00")
    fff_at = raw.find(b"FFF\x00", start) if start >= 0 else -1
    if fff_at < 0 or fff_at - start > 16:
        return None
    fff = raw[fff_at : fff_at + (1 << 20)]
    try:
        _, directory, count = struct.unpack_from(">III", fff, 20)
        for k in range(min(count, 64)):
            kind, _, _, _, offset, _length = struct.unpack_from(">HHIIII", fff, directory + 32 * k)
            if kind == 0x20 and offset + 0x114 <= len(fff):
                serial = fff[offset + 0x104 : offset + 0x114].split(b"\x00", 1)[0].decode("latin-1").strip()
                return serial or None
    except struct.error:
        return None
    return None


def infiray_serial(raw: bytes) -> str | None:
    """InfiRay thermal cameras: an APP9 segment starting "infisense" with the sensor serial as ASCII at 192."""
    start = raw.find(b"\xff\xe9")
    while start >= 0:
        payload = raw[start + 4 : start + 4 + int.from_bytes(raw[start + 2 : start + 4], "big")]
        if payload.startswith(b"infisense") and len(payload) >= 224:
            serial = payload[192:224].split(b"\x00", 1)[0].decode("latin-1").strip()
            return serial if serial.isprintable() and serial else None
        start = raw.find(b"\xff\xe9", start + 2)
    return None


def ciff_owner(raw: bytes) -> str | None:
    """Canon's older cameras put a CIFF heap in an APP0 segment ("II" + header + "HEAPJPGM"); OwnerName is the
    ASCII record 0x0810, possibly inside sub-directories."""
    start = raw.find(b"HEAPJPGM", 0, 4096)
    if start < 6 or raw[start - 6 : start - 4] != b"II":
        return None
    length = int.from_bytes(raw[start - 8 : start - 6], "big") - 2  # the APP0 segment's payload length
    heap = raw[start - 6 : start - 6 + length]
    header = int.from_bytes(heap[2:6], "little")
    return _ciff_find(heap[header:], 0x0810, depth=0)


def _ciff_find(block: bytes, wanted: int, depth: int) -> str | None:
    if len(block) < 6 or depth > 4:
        return None
    table = int.from_bytes(block[-4:], "little")
    if table + 2 > len(block):
        return None
    count = int.from_bytes(block[table : table + 2], "little")
    for k in range(min(count, 256)):
        pos = table + 2 + 10 * k
        if pos + 10 > len(block):
            return None
        kind, size, offset = struct.unpack_from("<HII", block, pos)
        if kind & 0xC000:
            continue  # data stored in the entry itself: never a string this long
        if kind & 0x3800 in (0x2800, 0x3000):
            found = _ciff_find(block[offset : offset + size], wanted, depth + 1)
            if found:
                return found
        elif kind & 0x3FFF == wanted and offset + size <= len(block):
            text = block[offset : offset + size].split(b"\x00", 1)[0].decode("latin-1").strip()
            return text or None
    return None


def _pentax_camera_info(note: bytes, tiff: bytes, endian: str) -> dict[str, str]:
    """Pentax CameraInfo (0x0215): [model id, manufacture date, production code x2, internal serial number]."""
    position = tiff.find(note)
    for entry in read_ifd(tiff, position + 6, endian):
        if entry.tag == 0x0215 and entry.type == 4 and entry.count >= 5:
            return {"InternalSerialNumber": str(struct.unpack_from(endian + "I", entry.raw, 16)[0])}
    return {}


def _relative_ifd(
    note: bytes, tiff: bytes, endian: str, skip: int, vendor: str, table: dict[int, str], equipment: bool = False
) -> MakerNoteFields | None:
    """Vendors whose IFD follows a header inside the note but whose value offsets count from the TIFF header."""
    position = tiff.find(note)
    if position < 0:
        return None
    entries = list(read_ifd(tiff, position + skip, endian))
    fields = _collect(iter(entries), table, endian)
    if equipment:
        fields |= _equipment(tiff, entries, endian, 0)
    return MakerNoteFields(vendor, fields)


def _equipment(data: bytes, entries: list[Entry], endian: str, base: int) -> dict[str, str]:
    """Olympus keeps serials in an "Equipment" sub-IFD (tag 0x2010): a pointer, or the IFD stored inline."""
    for entry in entries:
        if entry.tag != 0x2010:
            continue
        if entry.type in (4, 13):
            (sub,) = struct.unpack_from(endian + "I", entry.raw)
            return _collect(read_ifd(data, base + sub, endian, base), _OLYMPUS_EQUIPMENT, endian)
        if entry.type == 7:
            return _collect(read_ifd(data, entry.offset, endian, base), _OLYMPUS_EQUIPMENT, endian)
    return {}
