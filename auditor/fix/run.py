"""``auditor fix``: safe copies of photos, a manifest of what changed, and a check of the result.

Originals are never modified: copies go to ``--out`` under the same relative names. A file that cannot be fixed
is listed as failed and not copied. The run ends by reading every copy back with the same reader the checks use.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from auditor.analyze import xmp
from auditor.analyze.faces import Thresholds, analyse, load_image
from auditor.analyze.metadata import ImageMetadata, UnreadableImage, read
from auditor.analyze.video import UnreadableVideo, as_image_metadata
from auditor.analyze.video import read_metadata as read_video_metadata
from auditor.checks import REGISTRY
from auditor.errors import ConfigError, plain
from auditor.files import write_atomic
from auditor.fix.names import copy_name, folded, manifest_path, named_for, unique_name
from auditor.fix.reserve import Reservation, add_xmp
from auditor.fix.sign import C2paSigner, CannotSign
from auditor.fix.strip import CannotStrip, Stripped, strip_jpeg, strip_png, strip_webp, upright_losslessly
from auditor.fix.transform import Policy, transform
from auditor.fix.video import blur_video, strip_video
from auditor.imaging import NOT_READABLE
from auditor.local_files import collect
from auditor.progress import Counters, NullProgress, Progress
from auditor.store import Store


@dataclass(slots=True)
class FixedFile:
    source: str
    output: str | None
    status: str  # fixed | failed
    lossless: bool = False
    removed: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    bytes_before: int = 0
    bytes_after: int | None = None
    sha256_before: str = ""
    sha256_after: str | None = None
    size_before: list[int] | None = None
    size_after: list[int] | None = None
    faces_blurred: int = 0
    error: str | None = None
    remaining: list[str] = field(default_factory=list)
    format_after: str | None = None  # the copy's real format; its name's extension follows it
    reserved: bool = False  # the copy carries the AI-training reservation (XMP plus:DataMining)
    c2pa_signed: bool = False  # the copy carries a C2PA manifest signed with --c2pa-sign's certificate


@dataclass(frozen=True, slots=True)
class Source:
    """One file to fix: ``label`` as the manifest shows it (relative to the folder given, or the URL), a way to
    read it (files are read one at a time, when their turn comes), and the name of its copy under ``--out``."""

    label: str
    read: Callable[[], bytes]
    rel: str
    kind: str = "image"  # image | document
    size: int = 0  # bytes, from the file system (a 3 GiB sparse file is refused before it is read)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # unreadable: reading it says why


def local_sources(paths: list[Path]) -> list[Source]:
    """Every image, document and video under ``paths``, decided by content as ``auditor check`` decides
    (:mod:`auditor.local_files`: ``IMG_0003`` and ``x.jpg.`` are photos), labelled relative to the folder given
    (never a home folder). A link to nothing is listed as not fixed, with why."""
    found = []
    for path in paths:
        try:
            files, _ = collect([path])
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: no such file or folder") from exc
        folder = path if path.is_dir() else path.parent
        for file in files:
            base = folder.absolute() if file.unreadable else folder.resolve()
            rel = str(file.path.relative_to(base)) if file.path.is_relative_to(base) else file.path.name
            label = f"{path.name}/{rel}" if path.is_dir() else path.name
            found.append(Source(label, file.path.read_bytes, rel, file.kind, _size(file.path)))
    return found


def refuse_overlap(sources: list[Path], out: Path) -> None:
    """``--out`` may be neither a source folder, nor inside one, nor hold one: a fix never writes into what it
    reads, and never reads its own earlier output as input. Checked before anything is written."""
    target = out.resolve()
    for source in sources:
        folder = source.resolve() if source.is_dir() else source.resolve().parent
        if target == folder or folder in target.parents or target in folder.parents:
            raise ConfigError(
                f"--out {out}: it overlaps the source {source}; choose a folder outside it (safe "
                "copies must never be written into, or read back from, the originals' folder)"
            )


def scan_sources(out: Path) -> list[Source]:
    """The fetched images and documents of a finished scan, named ``host/path`` so each can replace its copy."""
    if not (out / Store.DB_NAME).exists():
        raise ConfigError(f"{out}: no scan store here (--from-scan needs the --out folder of a scan)")
    store = Store(out)
    try:
        rows = store.fixable()
        found = []
        for url, sha, kind in rows:
            blob = store.asset_path(url, sha)
            found.append(Source(url, blob.read_bytes, copy_name(url), kind, _size(blob)))
        return found
    finally:
        store.close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fix_one(
    label: str, data: bytes, policy: Policy, signer: C2paSigner | None = None
) -> tuple[FixedFile, bytes | None]:
    entry = FixedFile(label, None, "failed", bytes_before=len(data), sha256_before=_sha(data))
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, entry.size_before = img.format or "", list(img.size)
            orientation = int(img.getexif().get(0x0112, 1) or 1) if fmt == "JPEG" else 1
    except NOT_READABLE as exc:
        entry.error = f"not a readable image: {plain(str(exc))}"
        return entry, None
    try:
        stripped: Stripped | None = (
            strip_jpeg(data)
            if fmt == "JPEG"
            else strip_png(data)
            if fmt == "PNG"
            else strip_webp(data)
            if fmt == "WEBP"
            else None
        )
        turned = upright_losslessly(stripped.data, orientation) if stripped and orientation not in (0, 1) else None
        sideways = orientation not in (0, 1) and turned is None  # needs the one high-quality re-encode
        result = transform(data, policy, force=stripped is None or sideways, label=label)
        if result is None:
            assert stripped is not None
            out, entry.lossless, entry.removed = stripped.data, True, stripped.removed
            entry.format_after = fmt
            entry.size_after = entry.size_before
            if turned is not None:
                out = turned
                width, height = entry.size_before or [0, 0]
                entry.size_after = [height, width] if orientation >= 5 else [width, height]
                entry.changes.append(f"turned upright without re-encoding (jpegtran, EXIF orientation {orientation})")
        else:
            out, entry.changes, entry.faces_blurred = result.data, result.changes, result.faces_blurred
            entry.format_after = result.format
            entry.removed, entry.size_after = ["all metadata (new file written without any)"], list(result.size)
    except (CannotStrip, OSError, ValueError) as exc:
        entry.error = plain(str(exc))
        return entry, None
    out = _marked(entry, out, policy, signer)
    entry.status, entry.bytes_after, entry.sha256_after = "fixed", len(out), _sha(out)
    return entry, out


def _marked(entry: FixedFile, data: bytes, policy: Policy, signer: C2paSigner | None) -> bytes:
    """The copy with the reservation written (``policy.reserve``) and signed (``signer``), each losslessly; a
    format that cannot carry one is said in the entry's changes, and the copy is kept without it."""
    fmt = entry.format_after or ""
    if policy.reserve:
        try:
            with Image.open(io.BytesIO(data)) as img:  # the header only: the size and whether there is alpha
                alpha = "A" in img.getbands() or "transparency" in img.info
            width, height = entry.size_after or [1, 1]
            data = add_xmp(data, fmt, reservation(policy).packet(), (width, height), alpha)
        except (CannotStrip, *NOT_READABLE) as exc:
            entry.changes.append(f"no AI-training reservation written: {plain(str(exc))}")
        else:
            entry.reserved = True
            entry.changes.append("AI-training reservation written (XMP plus:DataMining: prohibited)")
    if signer is not None:
        try:
            data = signer.sign(data, fmt, Path(entry.source).name)
        except CannotSign as exc:
            entry.changes.append(f"no C2PA manifest added: {plain(str(exc))}")
        else:
            entry.c2pa_signed = True
            entry.changes.append("C2PA manifest added (cawg.training-mining: notAllowed), signed with --c2pa-sign")
    return data


def reservation(policy: Policy) -> Reservation:
    return Reservation(policy.rights_holder, policy.rights_url)


def fix_video(label: str, data: bytes, extension: str, policy: Policy) -> tuple[FixedFile, bytes | None]:
    """A video's safe copy: its metadata removed by rewriting the container, the streams copied packet for packet;
    with ``--blur``, re-encoded with faces covered in every frame (slow). ``--max-side`` and ``--max-face-iod``
    do not shrink videos: the manifest says so."""
    entry = FixedFile(label, None, "failed", bytes_before=len(data), sha256_before=_sha(data))
    try:
        if policy.blur != "none":
            out, entry.changes, entry.faces_blurred = blur_video(data, extension, policy, label)
            entry.removed = ["all metadata (new file written without any)"]
        else:
            out, entry.removed = strip_video(data, extension)
            entry.lossless = True
            entry.changes.append("container rewritten without metadata; picture and sound copied, not re-encoded")
    except CannotStrip as exc:
        entry.error = plain(str(exc))
        return entry, None
    entry.format_after = extension.lstrip(".").upper()
    if policy.max_side or policy.max_face_iod:
        entry.changes.append("not shrunk: --max-side and --max-face-iod apply to photos only")
    entry.status, entry.bytes_after, entry.sha256_after = "fixed", len(out), _sha(out)
    return entry, out


def verify_video(path: Path) -> list[str]:
    """What the checks would still report on a fixed video (its faces are not changed by ``fix``)."""
    try:
        meta = read_video_metadata(path, 10**12)
    except UnreadableVideo as exc:
        return [f"unreadable after fixing: {exc}"]
    return remaining_findings(as_image_metadata(meta), frozenset())


def remaining_findings(meta: ImageMetadata, given: frozenset[str]) -> list[str]:
    """The checks whose finding a copy with this metadata would still get (each check says what it looks for)."""
    return [c.id for c in REGISTRY.values() if c.verify is not None and c.verify(meta, given)]


def verify(data: bytes, policy: Policy) -> list[str]:
    """What the checks would still report on a fixed copy (empty when it is safe under the policy)."""
    remaining = []
    try:
        meta = read(data)
    except UnreadableImage as exc:
        return [f"unreadable after fixing: {exc}"]
    ours = reservation(policy)
    # The rights holder the school chose to write is not a leak.
    remaining.extend(remaining_findings(meta, frozenset(v for v in (ours.holder, ours.notice()) if v)))
    foreign_xmp = any(p != ours.xmpmeta() for p in xmp.packets(data)) if policy.reserve else meta.has_xmp
    if foreign_xmp or meta.has_iptc or meta.thumbnail:
        remaining.append("metadata blocks (XMP/IPTC/thumbnail)")
    if policy.max_side and max(meta.width, meta.height) > policy.max_side:
        remaining.append(f"larger than --max-side {policy.max_side}")
    if policy.max_face_iod:
        pixels = load_image(data, 10**9)
        faces = analyse(pixels, Thresholds.below(policy.minor_below)) if pixels is not None else []
        if any(f.iod >= policy.max_face_iod for f in faces):
            remaining.append(f"a face at or above --max-face-iod {policy.max_face_iod}")
    return remaining


DOCUMENT_NOT_FIXED = (
    "not fixed: documents (PDF, Office) are not rewritten by auditor fix; remove the author "
    "fields and replace or shrink the photos inside it in the program that made it, export it "
    "again, and run auditor check on the result"
)


def fix(
    sources: list[Source],
    out: Path,
    policy: Policy,
    manifest: Path | None = None,
    max_bytes: int = 200 * 1024**2,
    signer: C2paSigner | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write safe copies into ``out`` and the manifest beside it (``manifest``, default :func:`manifest_path`);
    returns the manifest. Files are read one at a time; one over ``max_bytes`` is listed as not fixed unread.
    ``signer``: add a C2PA manifest to each copy (``--c2pa-sign``); ``progress``: told before each file."""
    progress = progress or NullProgress()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot write there ({exc.strerror})") from exc
    files: list[FixedFile] = []
    used: set[str] = set()  # copies written, and the folders holding them
    folders: set[str] = set()
    for done, source in enumerate(sources):
        progress.update(Counters(stage="fixing", done=done, total=len(sources)))
        label = source.label
        if source.kind == "document":
            files.append(FixedFile(label, None, "failed", error=DOCUMENT_NOT_FIXED))
            continue
        if source.size > max_bytes:
            error = f"not fixed: {source.size:,} bytes is over --max-bytes {max_bytes:,}; it was not read"
            files.append(FixedFile(label, None, "failed", bytes_before=source.size, error=error))
            continue
        try:
            data = source.read()
        except OSError as exc:
            files.append(FixedFile(label, None, "failed", error=f"cannot read it ({exc.strerror})"))
            continue
        if source.kind == "video":
            entry, result = fix_video(label, data, Path(source.rel).suffix, policy)
        else:
            entry, result = fix_one(label, data, policy, signer)
        rel = source.rel
        if result is not None:
            target = unique_name(named_for(Path(rel), entry.format_after), used, folders)
            path = out / target
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(result)
            except OSError as exc:  # one copy that cannot be written is that file's failure
                entry.status, entry.error = "failed", f"the copy could not be written ({exc.strerror})"
                files.append(entry)
                continue
            used.add(folded(target))
            folders.update(folded(p) for p in target.parents)
            entry.output = str(target)
            entry.remaining = verify_video(path) if source.kind == "video" else verify(result, policy)
        files.append(entry)
    document = {
        "schema": "exposure-auditor/fix-manifest@1",
        "policy": {**policy.public_dict(), "c2pa_sign": signer is not None},
        "fixed": sum(f.status == "fixed" for f in files),
        "failed": sum(f.status == "failed" for f in files),
        "files": [asdict(f) for f in files],
    }
    write_atomic(manifest or manifest_path(out), json.dumps(document, indent=2) + "\n")
    return document


__all__ = [
    "Policy",
    "Source",
    "fix",
    "fix_one",
    "local_sources",
    "manifest_path",
    "refuse_overlap",
    "scan_sources",
    "verify",
]
