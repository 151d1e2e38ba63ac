"""Write an AI-training reservation into a safe copy, losslessly: one XMP packet added at the container level (a JPEG
APP1 segment, a PNG ``iTXt`` chunk, a WebP ``XMP`` chunk); the compressed pixels are copied byte for byte, as by
the strip in :mod:`auditor.fix.strip`.

What it says: the PLUS/IPTC 2023.1 "Data Mining" property (``plus:DataMining`` = ``DMI-PROHIBITED``) and "Other
Constraints" in words, and, only when the school gives them, a copyright notice and owner (``--rights-holder``) and
a web statement of rights (``--rights-url``). Nothing personal is written by default. A reservation is a request
that reputable trainers honour (and, in the EU, a machine-readable opt-out under the DSM Directive's article 4(3));
it stops no scraper.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import escape

from auditor.fix.strip import CannotStrip

DATA_MINING = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED"
CONSTRAINTS = (
    "No use for training, fine-tuning or evaluating AI or machine-learning models, and no text and data mining "
    "(a reservation of rights under article 4(3) of EU Directive 2019/790)."
)
_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_FORMATS = ("JPEG", "PNG", "WEBP")


@dataclass(frozen=True, slots=True)
class Reservation:
    """What ``auditor fix --reserve`` writes; ``holder`` and ``url`` come from ``--rights-holder``/``--rights-url``."""

    holder: str | None = None
    url: str | None = None

    def notice(self) -> str | None:
        return f"© {self.holder}" if self.holder else None

    def packet(self) -> bytes:
        """The XMP packet (deterministic: the same settings give the same bytes, which is how a fixed copy's
        only XMP is recognised as ours when it is checked)."""
        fields = [
            f"   <plus:DataMining>{DATA_MINING}</plus:DataMining>",
            '   <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(CONSTRAINTS)}</rdf:li></rdf:Alt></plus:OtherConstraints>",
        ]
        if self.holder:
            holder = escape(self.holder)
            fields += [
                "   <xmpRights:Marked>True</xmpRights:Marked>",
                f'   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{escape(self.notice() or "")}</rdf:li>'
                "</rdf:Alt></dc:rights>",
                '   <plus:CopyrightOwner><rdf:Seq><rdf:li rdf:parseType="Resource">'
                f"<plus:CopyrightOwnerName>{holder}</plus:CopyrightOwnerName></rdf:li></rdf:Seq></plus:CopyrightOwner>",
            ]
        if self.url:
            fields.append(f"   <xmpRights:WebStatement>{escape(self.url)}</xmpRights:WebStatement>")
        body = "\n".join(fields)
        text = (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '  <rdf:Description rdf:about=""\n'
            '    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"\n'
            '    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"\n'
            '    xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f"{body}\n"
            "  </rdf:Description>\n"
            " </rdf:RDF>\n"
            "</x:xmpmeta>\n"
            '<?xpacket end="w"?>'
        )
        return text.encode("utf-8")

    def xmpmeta(self) -> bytes:
        """The ``<x:xmpmeta>`` element of :meth:`packet`, as :func:`auditor.analyze.xmp.packets` finds it."""
        packet = self.packet()
        start = packet.index(b"<x:xmpmeta")
        end = packet.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
        return packet[start:end]


def add_xmp(data: bytes, fmt: str, packet: bytes, size: tuple[int, int], alpha: bool = False) -> bytes:
    """``data`` (a file whose metadata has been stripped) with ``packet`` added; ``size`` and ``alpha`` are needed
    only to give a simple WebP the extended header that metadata requires. Raises :class:`CannotStrip` for a
    container this does not write (the caller says the copy carries no reservation)."""
    if fmt == "JPEG":
        return _jpeg(data, packet)
    if fmt == "PNG":
        return _png(data, packet)
    if fmt == "WEBP":
        return _webp(data, packet, size, alpha)
    raise CannotStrip(f"a reservation cannot be written into {fmt or 'this format'} (only JPEG, PNG and WebP)")


def _jpeg(data: bytes, packet: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise CannotStrip("not a JPEG (no SOI marker)")
    body = _XMP_APP1 + packet
    if len(body) + 2 > 0xFFFF:
        raise CannotStrip("the reservation is too long for one JPEG segment")
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    pos = 2
    if data[2:4] == b"\xff\xe0":  # after JFIF, which readers expect first
        pos = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:pos] + segment + data[pos:]


def _png(data: bytes, packet: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise CannotStrip("not a PNG (bad signature)")
    body = b"iTXt" + b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    after_ihdr = 8 + 12 + struct.unpack(">I", data[8:12])[0]
    return data[:after_ihdr] + chunk + data[after_ihdr:]


def _webp(data: bytes, packet: bytes, size: tuple[int, int], alpha: bool) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise CannotStrip("not a WebP (bad RIFF header)")
    body = data[12 : 8 + struct.unpack("<I", data[4:8])[0]]
    if body[:4] != b"VP8X":
        width, height = size
        flags = 0x10 if alpha else 0
        header = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        body = b"VP8X" + struct.pack("<I", 10) + header + body
    body = body[:8] + bytes([body[8] | 0x04]) + body[9:]  # "has XMP"
    xmp_chunk = b"XMP " + struct.pack("<I", len(packet)) + packet + (b"\x00" if len(packet) & 1 else b"")
    whole = b"WEBP" + body + xmp_chunk
    return b"RIFF" + struct.pack("<I", len(whole)) + whole
