"""Remove metadata without touching the pixels: JPEG segments, PNG chunks and WebP chunks are dropped by
rewriting the container; the compressed image data is copied byte for byte. A sideways JPEG is turned upright in
the compressed domain by ``jpegtran -perfect`` (libjpeg-turbo) when it is installed and the image allows it.

What is kept: JPEG JFIF (APP0), ICC colour profiles (APP2), Adobe colour-transform info (APP14) and every
structural segment; PNG critical chunks and colour/physical chunks (iCCP, sRGB, gAMA, cHRM, sBIT, pHYs, tRNS, bKGD,
PLTE, acTL/fcTL/fdAT); WebP image, alpha, animation and ICC chunks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

_JPEGTRAN_OPS = {
    2: ["-flip", "horizontal"],
    3: ["-rotate", "180"],
    4: ["-flip", "vertical"],
    5: ["-transpose"],
    6: ["-rotate", "90"],
    7: ["-transverse"],
    8: ["-rotate", "270"],
}


def upright_losslessly(jpeg: bytes, orientation: int) -> bytes | None:
    """The JPEG turned upright without re-encoding (``jpegtran -perfect``), or ``None`` when jpegtran is missing
    or the image's size is not a whole number of blocks (a perfect transform is impossible)."""
    import shutil
    import subprocess

    tool = shutil.which("jpegtran")
    if tool is None or orientation not in _JPEGTRAN_OPS:
        return None
    result = subprocess.run(
        [tool, "-copy", "icc", "-perfect", *_JPEGTRAN_OPS[orientation]], input=jpeg, capture_output=True, check=False
    )
    return result.stdout if result.returncode == 0 and result.stdout[:2] == b"\xff\xd8" else None


class CannotStrip(Exception):
    """The file is not the container it claims to be, or is damaged."""


@dataclass(slots=True)
class Stripped:
    data: bytes
    removed: list[str] = field(default_factory=list)


_JPEG_KEEP_APP = {0xE0: "APP0 JFIF", 0xE2: "APP2 ICC", 0xEE: "APP14 Adobe"}
_JPEG_NAMES = {
    0xE1: "APP1 (EXIF/XMP)",
    0xED: "APP13 (IPTC/Photoshop)",
    0xFE: "COM (comment)",
    0xEB: "APP11 (JUMBF/C2PA)",
    0xEC: "APP12 (PictureInfo/Ducky)",
}


def _scan_end(data: bytes, start: int) -> int:
    """Where the entropy-coded data that begins at ``start`` ends: the first 0xFF not followed by a stuffed 0x00,
    a restart marker or another fill byte; the end of the file when no marker follows (no EOI: nothing is
    hidden after it either)."""
    i = start
    while True:
        j = data.find(b"\xff", i)
        if j == -1 or j + 1 >= len(data):
            return len(data)
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            i = j + 1 if following == 0xFF else j + 2
            continue
        return j


def strip_jpeg(data: bytes) -> Stripped:
    if data[:2] != b"\xff\xd8":
        raise CannotStrip("not a JPEG (no SOI marker)")
    out = bytearray(data[:2])
    removed: list[str] = []
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise CannotStrip(f"damaged JPEG: expected a marker at byte {pos}")
        marker = data[pos + 1] if pos + 1 < len(data) else 0
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image: whatever follows (a second photo, its metadata) is not copied
            out += data[pos : pos + 2]
            pos += 2
            if pos < len(data):
                removed.append(f"{len(data) - pos:,} bytes after the end of the image")
            return Stripped(bytes(out), removed)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += data[pos : pos + 2]
            pos += 2
            continue
        if pos + 4 > len(data):
            raise CannotStrip("damaged JPEG: truncated segment header")
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        end = pos + 2 + length
        if end > len(data):
            raise CannotStrip("damaged JPEG: segment runs past the end of the file")
        if marker == 0xDA:  # start of scan: its header, then entropy-coded data up to the next marker
            scan_end = _scan_end(data, end)
            out += data[pos:scan_end]
            pos = scan_end
            continue
        is_app = 0xE0 <= marker <= 0xEF
        if (is_app and marker not in _JPEG_KEEP_APP) or marker == 0xFE:
            removed.append(_JPEG_NAMES.get(marker, f"APP{marker - 0xE0}"))
        else:
            out += data[pos:end]
        pos = end
    return Stripped(bytes(out), removed)


_PNG_DROP = {b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME", b"caBX", b"dSIG"}


def strip_png(data: bytes) -> Stripped:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise CannotStrip("not a PNG (bad signature)")
    out = bytearray(data[:8])
    removed: list[str] = []
    pos = 8
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise CannotStrip("damaged PNG: a chunk runs past the end of the file")
        if kind in _PNG_DROP or (
            kind[:1].islower()
            and kind
            not in {
                b"iCCP",
                b"sRGB",
                b"gAMA",
                b"cHRM",
                b"sBIT",
                b"pHYs",
                b"tRNS",
                b"bKGD",
                b"acTL",
                b"fcTL",
                b"fdAT",
                b"sPLT",
                b"hIST",
            }
        ):
            removed.append(kind.decode("latin-1"))
        else:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            break
    return Stripped(bytes(out), removed)


def strip_webp(data: bytes) -> Stripped:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise CannotStrip("not a WebP (bad RIFF header)")
    chunks: list[bytes] = []
    removed: list[str] = []
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > len(data):
            raise CannotStrip("damaged WebP: a chunk runs past the end of the file")
        chunk = data[pos : min(end, len(data))]
        if kind in (b"EXIF", b"XMP "):
            removed.append(kind.decode("latin-1").strip())
        else:
            if kind == b"VP8X":  # clear the "has EXIF" (0x08) and "has XMP" (0x04) flags
                chunk = chunk[:8] + bytes([chunk[8] & ~0x0C]) + chunk[9:]
            chunks.append(chunk)
        pos = end
    body = b"WEBP" + b"".join(chunks)
    return Stripped(b"RIFF" + struct.pack("<I", len(body)) + body, removed)
