"""Where each safe copy goes: a harmless name for every part of a URL or path, the extension of the format the
copy really is, and a name no other copy shares on any disk (case and Unicode form folded)."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

MAX_SEGMENT = 100  # characters of one folder or file name of a copy (file systems stop at 255 bytes)


def safe_segment(raw: str) -> str:
    """One decoded URL path segment as a harmless file or folder name: no separators, control characters, dot
    names or leading dot, at most MAX_SEGMENT characters (a long one keeps its extension and gains a hash)."""
    text = "".join("_" if c in "/\\" or ord(c) < 32 or ord(c) == 127 else c for c in unquote(raw)).strip()
    if text in ("", ".", ".."):
        text = text.replace(".", "_") or "_"
    if text.startswith("."):
        text = "_" + text[1:]
    if len(text) > MAX_SEGMENT:
        stem, dot, ext = text.rpartition(".")
        ext = ext if dot and len(ext) <= 8 else ""
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        keep = MAX_SEGMENT - len(digest) - 1 - (len(ext) + 1 if ext else 0)
        text = f"{(stem if ext else text)[:keep]}-{digest}" + (f".{ext}" if ext else "")
    return text


def copy_name(url: str) -> str:
    """Where the safe copy of ``url`` goes under ``--out``: ``host_port/path``, every segment made safe, always
    inside the host's folder (``%2e%2e`` or ``%00`` in a URL can neither escape it nor crash the write)."""
    parts = urlsplit(url)
    host = safe_segment(parts.netloc.replace(":", "_")) or "host"
    segments = [safe_segment(seg) for seg in parts.path.split("/") if seg not in ("",)]
    return "/".join([host, *(segments or ["index"])])


_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp", "TIFF": ".tif", "HEIF": ".heic"}
_FORMAT_OF = {
    **{e: "JPEG" for e in (".jpg", ".jpeg", ".jpe", ".jfif")},
    ".png": "PNG",
    ".gif": "GIF",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".heic": "HEIF",
    ".heif": "HEIF",
}


def named_for(target: Path, fmt: str | None) -> Path:
    """``target`` with the extension of the format its copy really is (``scan.bmp`` re-encoded as PNG is
    ``scan.png``): a file named for one format and holding another is opened wrongly, or not at all. Trailing
    dots and spaces go from every part of the name (``IMG_0001.jpg ``, ``IMG_0002.jpg.``): Windows and many
    file shares drop them, so such a copy would land on another copy's name."""
    target = Path(*(part.rstrip(". ") or "_" for part in target.parts))
    if fmt is None or _FORMAT_OF.get(target.suffix.lower()) == fmt or fmt not in _EXTENSIONS:
        return target
    return target.with_name(target.stem + _EXTENSIONS[fmt])


def folded(path: Path | str) -> str:
    """A copy's name as a case-insensitive, normalisation-insensitive file system sees it (Windows, macOS, an
    exFAT stick): ``A.jpg`` and ``a.jpg``, or ``é`` composed and decomposed, are one file there."""
    return unicodedata.normalize("NFC", str(path)).casefold()


def unique_name(target: Path, files: set[str], folders: set[str]) -> Path:
    """``target``, renamed (``name-1.jpg``, ``name-2.jpg``...) when a copy already has that name, when a folder
    of that name holds other copies, or when one of its folders is already a copy's file name; names are compared
    as :func:`folded` (``files`` and ``folders`` hold folded names), so no copy can replace another on any disk."""
    clashes = [p for p in target.parents if folded(p) in files]
    if clashes:  # a folder of it is a file already: move it beside that file
        first = clashes[-1]
        target = first.with_name(first.name + "-dir") / target.relative_to(first)
    candidate, n = target, 0
    while folded(candidate) in files or folded(candidate) in folders:
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    return candidate


def manifest_path(out: Path) -> Path:
    """Beside ``out``, not inside it: the folder of safe copies is what gets uploaded, the manifest is not."""
    return out.resolve().parent / f"{out.resolve().name}-manifest.json"
