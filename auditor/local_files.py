"""Which local files ``auditor check`` and ``auditor fix`` read: decided by what the file is, not by its name.

A folder checked before publishing once passed seven photos with a precise GPS position as "checking 0 files",
exit 0, because of their names: ``IMG_0003`` (no extension), ``IMG_0001.jpg `` (a trailing space), ``IMG_0002.jpg.``,
``.jpg_large``, ``.mpo``, ``.dng``, ``.arw``. Here a file's first bytes decide (JPEG, PNG, GIF, WebP, TIFF and the
raw formats built on it, HEIF/AVIF, BMP, JPEG XL, PSD, SVG; PDF and Office/OpenDocument; MP4/MOV, WebM/Matroska,
AVI, MPEG); a name with a known extension is read whatever its content (it is then ``not_checked`` if it cannot be
read); a link to nothing is ``not_checked`` like an unreadable file; and every other file is listed as skipped,
with why, never silently left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from auditor.analyze.svg import SNIFF_BYTES, is_svg
from auditor.crawl.urls import DOCUMENT_EXTENSIONS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

Kind = Literal["image", "document", "video"]
HEAD_BYTES = 4096
_IMAGE_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis", b"crx ")


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file to check: its kind, and why it cannot be read when it cannot (it is then ``not_checked``)."""

    path: Path
    kind: Kind
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that is not a picture, a document or a video, and why it was not checked."""

    path: Path
    why: str


def kind_of(head: bytes) -> Kind | None:
    """What a file is from its first :data:`HEAD_BYTES` bytes, or ``None`` for anything the audit does not read."""
    if head[:3] == b"\xff\xd8\xff" or head[:8] == b"\x89PNG\r\n\x1a\n" or head[:6] in (b"GIF87a", b"GIF89a"):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"IIRO", b"IIU\x00") or (head[:2] == b"BM" and len(head) > 14):
        return "image"  # TIFF and the raw formats built on it (DNG, ARW, NEF, CR2, ORF, RW2), BMP
    if head[:2] == b"\xff\x0a" or head[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n" or head[:4] == b"8BPS":
        return "image"  # JPEG XL, Photoshop
    if head[4:8] == b"ftyp":
        return "image" if head[8:12] in _IMAGE_BRANDS else "video"  # HEIF/AVIF/CR3, else MP4/MOV/3GP
    if head[:4] == b"\x1a\x45\xdf\xa3" or (head[:4] == b"RIFF" and head[8:11] == b"AVI"):
        return "video"  # WebM/Matroska, AVI
    if head[:4] == b"\x00\x00\x01\xba" or (len(head) > 188 and head[0] == 0x47 and head[188] == 0x47):
        return "video"  # MPEG program and transport streams
    if b"%PDF-" in head[:1024]:
        return "document"
    if head[:4] == b"PK\x03\x04" and (b"[Content_Types].xml" in head or b"mimetypeapplication/vnd.oasis" in head):
        return "document"
    if is_svg(head[:SNIFF_BYTES]):
        return "image"
    return None


def kind_by_name(path: Path) -> Kind | None:
    """The kind a file's extension claims (trailing dots and spaces, which Windows drops, ignored)."""
    ext = path.name.rstrip(". ").rsplit(".", 1)[-1].lower() if "." in path.name.rstrip(". ") else ""
    if ext in VIDEO_EXTENSIONS:
        return "video"
    if ext in IMAGE_EXTENSIONS or ext == "xmp":
        return "image"
    return "document" if ext in DOCUMENT_EXTENSIONS else None


def classify(path: Path) -> LocalFile | Skipped:
    """One path: a file to read (by content, else by its name), an unreadable one, or a skipped one."""
    if path.is_symlink() and not path.exists():
        return LocalFile(path, kind_by_name(path) or "image", f"{path}: a link to something that does not exist")
    if not path.is_file():
        return Skipped(path, "not a regular file (a device, pipe or socket)")
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        return LocalFile(path, kind_by_name(path) or "image", f"cannot read {path}: {exc.strerror}")
    kind = kind_of(head) or kind_by_name(path)
    if kind is None:
        what = "empty" if not head else "a zip archive (unzip it and check its files)" if head[:2] == b"PK" else ""
        return Skipped(path, what or "not a picture, document or video (by its content)")
    return LocalFile(path, kind)


def collect(paths: Iterable[Path]) -> tuple[list[LocalFile], list[Skipped]]:
    """Every file under ``paths`` (folders walked recursively, in name order; links followed to files, a link to
    nothing kept as unreadable), to read or skipped. A file named explicitly is read whatever it is."""
    files: list[LocalFile] = []
    skipped: list[Skipped] = []
    for path in (p.absolute() for p in paths):
        if path.is_dir():
            for entry in sorted(path.rglob("*")):
                if entry.is_dir():
                    continue
                found = classify(entry)
                if isinstance(found, LocalFile):
                    files.append(found)
                else:
                    skipped.append(found)
        elif path.is_file() or path.is_symlink():
            found = classify(path)
            files.append(found if isinstance(found, LocalFile) else LocalFile(path, kind_by_name(path) or "image"))
        else:
            raise FileNotFoundError(path)
    # Each file once, under its real path (a link to a file and the file are one); a link to nothing as it is.
    unique = {f.path: f for f in (f if f.unreadable else LocalFile(f.path.resolve(), f.kind) for f in files)}
    return list(unique.values()), skipped
