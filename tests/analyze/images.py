"""Real image files with real metadata, written by Pillow (and by hand where Pillow cannot: IFD1 thumbnails,
XMP and IPTC segments), for the metadata tests. Nothing here is a photo of a person."""

from __future__ import annotations

import io
import struct

from PIL import Image, ImageDraw


def scene(width: int = 320, height: int = 240, seed: int = 0) -> Image.Image:
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(img)
    for i in range(6):
        x = (seed * 37 + i * 53) % width
        draw.rectangle((x, i * 30, x + 40, i * 30 + 25), fill=(255 - i * 40, i * 40, 128))
    return img


def exif(
    lat: float | None = None,
    lon: float | None = None,
    serial: str | None = None,
    artist: str | None = None,
    empty_gps: bool = False,
) -> Image.Exif:
    data = Image.Exif()
    data[0x010F] = "TestCam"
    if artist:
        data[0x013B] = artist
    if serial:
        data.get_ifd(0x8769)[0xA431] = serial
    if lat is not None and lon is not None:
        gps = data.get_ifd(0x8825)
        gps[1], gps[3] = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
        for tag, value in ((2, abs(lat)), (4, abs(lon))):
            d = int(value)
            m = int((value - d) * 60)
            gps[tag] = (d, m, round(((value - d) * 60 - m) * 60, 3))
    elif empty_gps:
        data.get_ifd(0x8825)[0] = b"\x02\x03\x00\x00"  # GPSVersionID only: a block with no position
    return data


def jpeg(img: Image.Image | None = None, **exif_kwargs: object) -> bytes:
    buf = io.BytesIO()
    (img or scene()).save(buf, "JPEG", exif=exif(**exif_kwargs) if exif_kwargs else Image.Exif())  # type: ignore[arg-type]
    return buf.getvalue()


def save(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def insert_segments(jpeg_bytes: bytes, *segments: bytes) -> bytes:
    """Put APPn segments right after SOI."""
    assert jpeg_bytes[:2] == b"\xff\xd8"
    return jpeg_bytes[:2] + b"".join(segments) + jpeg_bytes[2:]


def xmp_segment(body: str) -> bytes:
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{body}</rdf:RDF></x:xmpmeta>"
    )
    return segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet.encode())


def iptc_segment(records: dict[int, str]) -> bytes:
    iim = b"".join(
        b"\x1c\x02" + bytes([k]) + struct.pack(">H", len(v.encode())) + v.encode() for k, v in records.items()
    )
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    if len(iim) % 2:
        resource += b"\x00"
    return segment(0xED, b"Photoshop 3.0\x00" + resource)


def exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """An EXIF APP1 segment whose IFD1 carries ``thumbnail`` (Pillow does not write IFD1)."""
    ifd0_offset = 8
    ifd1_offset = ifd0_offset + 2 + 4  # IFD0 has no entries
    data_offset = ifd1_offset + 2 + 2 * 12 + 4
    tiff = b"II*\x00" + struct.pack("<I", ifd0_offset)
    tiff += struct.pack("<H", 0) + struct.pack("<I", ifd1_offset)
    tiff += struct.pack("<H", 2)
    tiff += struct.pack("<HHII", 0x0201, 4, 1, data_offset)
    tiff += struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail))
    tiff += struct.pack("<I", 0) + thumbnail
    return segment(0xE1, b"Exif\x00\x00" + tiff)


def jpeg_with_thumbnail(main: Image.Image, thumb_source: Image.Image) -> bytes:
    thumb = thumb_source.copy()
    thumb.thumbnail((160, 160))
    body = save(main, "JPEG", quality=90)
    return insert_segments(body, exif_with_thumbnail(save(thumb, "JPEG", quality=80)))


SONY_ENCIPHER = bytes.maketrans(bytes(range(2, 248)), bytes((b**3) % 249 for b in range(2, 248)))


def _ifd(entries: list[tuple[int, int, int, bytes]], at: int, next_ifd: int = 0) -> tuple[bytes, bytes]:
    """A little-endian IFD placed at ``at``: (the directory, the values stored after it). Entries are (tag, type,
    count, value bytes); values over four bytes go after the directory, at even offsets."""
    directory_size = 2 + 12 * len(entries) + 4
    extra = b""
    table = struct.pack("<H", len(entries))
    for tag, kind, count, value in sorted(entries):
        if len(value) <= 4:
            table += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
        else:
            table += struct.pack("<HHII", tag, kind, count, at + directory_size + len(extra))
            extra += value + (b"\x00" if len(value) % 2 else b"")
    return table + struct.pack("<I", next_ifd), extra


def sony_tiff(model: str, serial: bytes, offset: int, pixels: bytes | None = None) -> bytes:
    """A little-endian TIFF block as a Sony body writes it: Make, Model, an EXIF IFD whose maker note ("SONY DSC")
    holds the enciphered 0x9050 record with ``serial`` at ``offset``. With ``pixels`` (8-bit grey, 4x4) it is a
    whole TIFF file, as a Sony ARW is; without, the block to put in a JPEG APP1 or a WebP EXIF chunk."""
    record = bytearray(944)
    record[offset : offset + len(serial)] = serial
    enciphered = bytes(record).translate(SONY_ENCIPHER)

    def text(value: str) -> bytes:
        return value.encode() + b"\x00"

    image = []
    if pixels is not None:
        image = [(0x0100, 3, 1, struct.pack("<H", 4)), (0x0101, 3, 1, struct.pack("<H", 4))]
        image += [(0x0102, 3, 1, struct.pack("<H", 8)), (0x0103, 3, 1, struct.pack("<H", 1))]
        image += [(0x0106, 3, 1, struct.pack("<H", 1)), (0x0115, 3, 1, struct.pack("<H", 1))]
        image += [(0x0116, 3, 1, struct.pack("<H", 4)), (0x0117, 4, 1, struct.pack("<I", len(pixels)))]
    ifd0 = [(0x010F, 2, 5, text("SONY")), (0x0110, 2, len(model) + 1, text(model)), *image]
    # Two passes: the sizes do not depend on the offsets, so lay out once with zeros, then with the real ones.
    for _ in range(2):
        entries0 = [*ifd0, (0x8769, 4, 1, struct.pack("<I", 0))]
        if pixels is not None:
            entries0.append((0x0111, 4, 1, struct.pack("<I", 0)))
        d0, x0 = _ifd(entries0, 8)
        exif_at = 8 + len(d0) + len(x0)
        note_at = exif_at + 2 + 12 + 4  # the EXIF IFD has one entry, the maker note, stored after it
        note_ifd_at = note_at + 12
        note_dir, note_extra = _ifd([(0x9050, 7, len(enciphered), enciphered)], note_ifd_at)
        note = b"SONY DSC \x00\x00\x00" + note_dir + note_extra
        exif_dir, exif_extra = _ifd([(0x927C, 7, len(note), note)], exif_at)
        strip_at = exif_at + len(exif_dir) + len(exif_extra)
        entries0 = [*ifd0, (0x8769, 4, 1, struct.pack("<I", exif_at))]
        if pixels is not None:
            entries0.append((0x0111, 4, 1, struct.pack("<I", strip_at)))
        d0, x0 = _ifd(entries0, 8)
    return b"II*\x00" + struct.pack("<I", 8) + d0 + x0 + exif_dir + exif_extra + (pixels or b"")
