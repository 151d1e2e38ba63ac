"""XMP packets: find them in any file's bytes (JPEG APP1 and extended XMP, PNG iTXt, WebP, TIFF, HEIC, sidecars)
and read the properties the checks need. Parsed with lxml without entity expansion or network access.

Why not Pillow's ``getxmp()``: it needs defusedxml, covers fewer containers, and drops attribute-form properties'
namespaces; scanning for the ``<x:xmpmeta>`` packet works the same in every container.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from lxml import etree

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "aux": "http://ns.adobe.com/exif/1.0/aux/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "mwg-rs": "http://www.metadataworkinggroup.com/schemas/regions/",
    "MPReg": "http://ns.microsoft.com/photo/1.2/t/Region#",
}
_PREFIX = {uri: prefix for prefix, uri in NS.items()}

NAME_PROPERTIES = {
    "dc:creator",
    "dc:rights",
    "photoshop:Credit",
    "photoshop:CaptionWriter",
    "photoshop:AuthorsPosition",
    "plus:CopyrightOwnerName",
    "plus:ImageCreatorName",
    "plus:LicensorName",
    "plus:CopyrightOwnerID",
    "tiff:Artist",
    "tiff:Copyright",
    "exif:Artist",
    "exif:Copyright",
    "pdf:Author",
    "aux:OwnerName",
    "Iptc4xmpExt:PersonInImage",
    "mwg-rs:Name",
    "MPReg:PersonDisplayName",
}
# Free text that may contain names: read by the name finder, not reported as names themselves.
CAPTION_PROPERTIES = {"dc:description", "dc:subject"}
SERIAL_PROPERTIES = {
    "aux:SerialNumber",
    "aux:LensSerialNumber",
    "exifEX:BodySerialNumber",
    "exifEX:SerialNumber",
    "exifEX:LensSerialNumber",
    "exifEX:CameraOwnerName",
}
OTHER_PROPERTIES = {
    "exif:GPSLatitude",
    "exif:GPSLongitude",
    "exif:GPSAltitude",
    "exif:GPSTimeStamp",
    "xmp:CreatorTool",
    "plus:DataMining",
    "dcterms:provenance",
    "Iptc4xmpExt:DigitalSourceType",
    "photoshop:DateCreated",
    "xmp:CreateDate",
    "exif:DateTimeOriginal",
    "pdf:Creator",
}
GPS_PROPERTIES = {"exif:GPSLatitude", "exif:GPSLongitude", "exif:GPSAltitude", "exif:GPSTimeStamp"}
WANTED = NAME_PROPERTIES | SERIAL_PROPERTIES | OTHER_PROPERTIES | CAPTION_PROPERTIES

_OPEN = re.compile(rb"<([A-Za-z0-9_]{1,32}):x[ma]pmeta\b")
_CLOSE = re.compile(rb"</([A-Za-z0-9_]{1,32}):x[ma]pmeta>")
_EXTENDED = b"http://ns.adobe.com/xmp/extension/\x00"
MAX_PACKET = 4 * 1024 * 1024  # one packet; larger ones are skipped
MAX_TOTAL = 8 * 1024 * 1024  # every packet of one file together, extended XMP included


@dataclass(slots=True)
class XmpData:
    present: bool = False
    values: dict[str, list[str]] = field(default_factory=dict)

    def first(self, key: str) -> str | None:
        values = self.values.get(key)
        return values[0] if values else None


def _scan(data: bytes) -> list[bytes]:
    """Every ``<P:xmpmeta>...</P:xmpmeta>`` packet. The closing tags are listed first, in one pass, and each opening
    is matched to the next closing tag of its prefix by bisection: time linear in the file's size, whatever it
    holds (a lazy regular expression over the whole file took time quadratic in it when openings never close)."""
    closes: dict[bytes, list[tuple[int, int]]] = {}
    for end in _CLOSE.finditer(data):
        closes.setdefault(end.group(1), []).append((end.start(), end.end()))
    found: list[bytes] = []
    total, pos = 0, 0
    while closes and (match := _OPEN.search(data, pos)) is not None:
        ends = closes.get(match.group(1), [])
        i = bisect.bisect_left(ends, (match.end(), 0))
        if i == len(ends) or ends[i][1] - match.start() > MAX_PACKET or total >= MAX_TOTAL:
            pos = match.end()
            continue
        found.append(data[match.start() : ends[i][1]])
        total += ends[i][1] - match.start()
        pos = ends[i][1]
    return found


def packets(data: bytes) -> list[bytes]:
    """Every XMP packet in a file, the JPEG extended-XMP chunks reassembled into one (at most MAX_TOTAL bytes of
    chunks are kept, whatever the file claims)."""
    found = _scan(data)
    chunks: dict[int, bytes] = {}
    kept = 0
    start = data.find(_EXTENDED)
    while start >= 0 and kept < MAX_TOTAL:
        header = start + len(_EXTENDED) + 32
        if header + 8 <= len(data):
            total = int.from_bytes(data[header : header + 4], "big")
            offset = int.from_bytes(data[header + 4 : header + 8], "big")
            seg_len = int.from_bytes(data[start - 2 : start], "big") - 2 - len(_EXTENDED) - 40 if start >= 2 else 0
            if seg_len > 0 and offset < total <= MAX_PACKET and offset not in chunks:
                chunk = data[header + 8 : header + 8 + min(seg_len, MAX_TOTAL - kept)]
                chunks[offset] = chunk
                kept += len(chunk)
        start = data.find(_EXTENDED, start + 1)
    if chunks:
        found.extend(_scan(b"".join(chunks[k] for k in sorted(chunks))[:MAX_PACKET]))
    return found


def _key(tag: str) -> str | None:
    if not tag.startswith("{"):
        return None
    uri, local = tag[1:].split("}", 1)
    prefix = _PREFIX.get(uri)
    return f"{prefix}:{local}" if prefix else None


def parse(data: bytes) -> XmpData:
    """The wanted properties of every packet in ``data`` (attribute or element form, arrays flattened)."""
    result = XmpData()
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    for packet in packets(data):
        try:
            root = etree.fromstring(packet, parser)
        except etree.XMLSyntaxError:
            continue
        if root is None:
            continue
        result.present = True
        # Holding the elements (not their ids) keeps lxml's proxies alive, so membership tests are exact.
        nested = {e for s in root.iter(f"{{{NS['Iptc4xmpExt']}}}*") for e in s.iter()}
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            # GPS inside IPTC location structures describes a place (shown or named), not the camera's fix.
            wanted = WANTED - GPS_PROPERTIES if element in nested else WANTED
            for name, value in element.attrib.items():
                key = _key(name)
                if key in wanted and value.strip():
                    result.values.setdefault(key, []).append(value.strip())
            key = _key(element.tag)
            if key not in wanted:
                continue
            texts = [li.text.strip() for li in element.iter(f"{{{RDF}}}li") if li.text and li.text.strip()]
            if not texts and element.text and element.text.strip():
                texts = [element.text.strip()]
            if texts:
                result.values.setdefault(key, []).extend(texts)
    return result
