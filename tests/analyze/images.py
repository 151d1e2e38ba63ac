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


def _segment(marker: int, payload: bytes) -> bytes:
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
    return _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet.encode())


def iptc_segment(records: dict[int, str]) -> bytes:
    iim = b"".join(
        b"\x1c\x02" + bytes([k]) + struct.pack(">H", len(v.encode())) + v.encode() for k, v in records.items()
    )
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    if len(iim) % 2:
        resource += b"\x00"
    return _segment(0xED, b"Photoshop 3.0\x00" + resource)


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
    return _segment(0xE1, b"Exif\x00\x00" + tiff)


def jpeg_with_thumbnail(main: Image.Image, thumb_source: Image.Image) -> bytes:
    thumb = thumb_source.copy()
    thumb.thumbnail((160, 160))
    body = save(main, "JPEG", quality=90)
    return insert_segments(body, exif_with_thumbnail(save(thumb, "JPEG", quality=80)))
