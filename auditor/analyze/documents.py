"""Documents (PDF, Word/Excel/PowerPoint, OpenDocument): who wrote them, on which machine, and every photo inside.

A PDF newsletter full of pupils' photos often carries the original JPEGs, EXIF and all. We read the document's own
metadata for ``document_metadata`` and hand each embedded image back to the caller, named
``<document url>#page=N&image=K`` (PDF) or ``#media=<member>`` (Office), to be analysed like any web image.

PDF through pypdf; Office Open XML and OpenDocument are zip files read with :mod:`zipfile`, with the declared
sizes checked before anything is inflated (a zip bomb is refused, not expanded).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

MAX_EMBEDDED_IMAGES = 300
MAX_PDF_PAGES = 1000
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_ZIP_TOTAL = 500 * 1024 * 1024
MAX_ZIP_RATIO = 200
IMAGE_MEMBER = re.compile(r"^(word|xl|ppt)/media/|^Pictures/|^media/", re.IGNORECASE)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".webp", ".heic", ".bmp")
_USER_PATH = re.compile(r"(?:[A-Za-z]:\\(?:Users|Documents and Settings)\\|/Users/|/home/)([^\\/\s]+)", re.I)


class UnreadableDocument(Exception):
    """The document is corrupt, encrypted, or refused as a zip bomb; the message says which."""


@dataclass(slots=True)
class DocumentContent:
    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    images: list[tuple[str, bytes]] = field(default_factory=list)
    skipped_images: int = 0


def kind_of(data: bytes, name: str) -> str | None:
    """``pdf``, ``ooxml``, ``odf`` from the bytes (the extension and Content-Type may lie)."""
    if data[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        head = data[:4096]
        if b"mimetypeapplication/vnd.oasis.opendocument" in head:
            return "odf"
        return "ooxml" if b"[Content_Types].xml" in data or name.lower().endswith(("x", "m")) else None
    return None


def read_document(data: bytes, name: str = "") -> DocumentContent:
    kind = kind_of(data, name)
    if kind == "pdf":
        return _pdf(data)
    if kind in ("ooxml", "odf"):
        return _zip(data, kind)
    raise UnreadableDocument("not a PDF, Office Open XML or OpenDocument file")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    return text or None


def _pdf(data: bytes) -> DocumentContent:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken PDFs are common; their warnings are not ours
    out = DocumentContent("pdf")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except (PdfReadError, NotImplementedError) as exc:
                raise UnreadableDocument(f"encrypted PDF: {exc}") from exc
        info: Any = reader.metadata or {}
        for key in ("/Author", "/Creator", "/Producer", "/Company", "/LastModifiedBy", "/SourceModified"):
            if (value := _text(info.get(key))) is not None:
                out.fields[f"PDF:{key[1:]}"] = value
        xmp = reader.xmp_metadata
        if xmp is not None:
            creators = [c for c in (xmp.dc_creator or []) if c and c.strip()]
            if creators:
                out.fields["XMP:dc:creator"] = "; ".join(creators)
        for number, page in enumerate(reader.pages[:MAX_PDF_PAGES], start=1):
            for index, image in enumerate(page.images):
                if len(out.images) >= MAX_EMBEDDED_IMAGES:
                    out.skipped_images += 1
                    continue
                out.images.append((f"page={number}&image={index}", _original_bytes(image)))
    except UnreadableDocument:
        raise
    except Exception as exc:  # pypdf raises many exception types on hostile input; all mean "unreadable"
        if out.fields or out.images:
            return out  # keep what was read before the damage
        raise UnreadableDocument(f"{type(exc).__name__}: {exc}") from exc
    return out


def _original_bytes(image: Any) -> bytes:
    """A JPEG stored in a PDF as-is (DCTDecode) keeps its EXIF: take the raw stream rather than pypdf's
    re-encoded copy, which would hide exactly the metadata we look for."""
    reference = image.indirect_reference
    if reference is not None:
        stream = reference.get_object()
        filters = stream.get("/Filter")
        names = [str(f) for f in (filters if isinstance(filters, list) else [filters])]
        if names == ["/DCTDecode"]:
            raw = getattr(stream, "_data", b"")
            if raw[:2] == b"\xff\xd8":
                return bytes(raw)
    return bytes(image.data)


_CORE_FIELDS = {
    "{http://purl.org/dc/elements/1.1/}creator": "creator",
    "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastModifiedBy": "lastModifiedBy",
    "{http://purl.org/dc/elements/1.1/}title": None,
}
_APP_FIELDS = {"Company", "Manager", "Template", "Application", "AppVersion"}
_ODF_META = {
    "initial-creator": "initial-creator",
    "creator": "creator",
    "generator": "generator",
    "template": "template",
    "printed-by": "printed-by",
}


def _check_bomb(archive: zipfile.ZipFile, size: int) -> None:
    total = sum(member.file_size for member in archive.infolist())
    if total > MAX_ZIP_TOTAL or total > MAX_ZIP_RATIO * max(size, 1) + 10 * 1024 * 1024:
        raise UnreadableDocument(f"refused: members would inflate to {total:,} bytes from {size:,} (zip bomb?)")


def _xml(archive: zipfile.ZipFile, member: str) -> Any:
    try:
        info = archive.getinfo(member)
    except KeyError:
        return None
    if info.file_size > MAX_MEMBER_BYTES:
        return None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(archive.read(member), parser)
    except etree.XMLSyntaxError:
        return None


def _zip(data: bytes, kind: str) -> DocumentContent:
    out = DocumentContent(kind)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_bomb(archive, len(data))
            if kind == "ooxml":
                _ooxml_fields(archive, out)
            else:
                _odf_fields(archive, out)
            for member in archive.infolist():
                if not (IMAGE_MEMBER.match(member.filename) and member.filename.lower().endswith(IMAGE_SUFFIXES)):
                    continue
                if len(out.images) >= MAX_EMBEDDED_IMAGES or member.file_size > MAX_MEMBER_BYTES:
                    out.skipped_images += 1
                    continue
                out.images.append((f"media={member.filename}", archive.read(member)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
        raise UnreadableDocument(f"{type(exc).__name__}: {exc}") from exc
    return out


def _ooxml_fields(archive: zipfile.ZipFile, out: DocumentContent) -> None:
    core = _xml(archive, "docProps/core.xml")
    if core is not None:
        for element in core.iter():
            name = _CORE_FIELDS.get(element.tag) if isinstance(element.tag, str) else None
            if name and (value := _text(element.text)):
                out.fields[f"OOXML:{name}"] = value
    app = _xml(archive, "docProps/app.xml")
    if app is not None:
        for element in app.iter():
            if not isinstance(element.tag, str):
                continue
            local = etree.QName(element).localname
            if local in _APP_FIELDS and (value := _text(element.text)):
                out.fields[f"OOXML:{local}"] = value


def _odf_fields(archive: zipfile.ZipFile, out: DocumentContent) -> None:
    meta = _xml(archive, "meta.xml")
    if meta is None:
        return
    for element in meta.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local in _ODF_META:
            value = _text(element.text) or _text(element.get("{http://www.w3.org/1999/xlink}href"))
            if value:
                out.fields[f"ODF:{_ODF_META[local]}"] = value


PERSON_FIELDS = ("Author", "creator", "lastModifiedBy", "LastModifiedBy", "initial-creator", "printed-by", "Manager")


def usernames_in_paths(fields: dict[str, str]) -> dict[str, str]:
    """Account names leaked by paths such as ``C:\\Users\\jsmith\\...\\Normal.dotm``."""
    found = {}
    for key, value in fields.items():
        match = _USER_PATH.search(value)
        if match:
            found[key] = match.group(1)
    return found
