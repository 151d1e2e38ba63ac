"""``auditor fix``: safe copies of photos, a manifest of what changed, and a check of the result.

Originals are never modified: copies go to ``--out`` under the same relative names. A file that cannot be fixed
is listed as failed and not copied. The run ends by reading every copy back with the same reader the checks use.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from PIL import Image

from auditor.analyze.faces import Thresholds, analyse, load_image
from auditor.analyze.metadata import NOT_READABLE, UnreadableImage, read
from auditor.analyze.metadata_checks import is_boilerplate_name, is_placeholder_serial
from auditor.crawl.urls import IMAGE_EXTENSIONS
from auditor.errors import ConfigError
from auditor.fix.strip import CannotStrip, Stripped, strip_jpeg, strip_png, strip_webp, upright_losslessly
from auditor.fix.transform import Policy, transform
from auditor.report.findings_json import write_atomic
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


def local_sources(paths: list[Path]) -> list[tuple[str, bytes, str]]:
    """(label, bytes, relative output name) for every image under ``paths``."""
    found = []
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix[1:].lower() in IMAGE_EXTENSIONS):
                found.append((str(file), file.read_bytes(), str(file.relative_to(path))))
        elif path.is_file():
            found.append((str(path), path.read_bytes(), path.name))
        else:
            raise ConfigError(f"{path}: no such file or folder")
    return found


def scan_sources(out: Path) -> list[tuple[str, bytes, str]]:
    """The fetched images of a finished scan, named ``host/path`` so each can replace its published copy."""
    if not (out / Store.DB_NAME).exists():
        raise ConfigError(f"{out}: no scan store here (--from-scan needs the --out folder of a scan)")
    store = Store(out)
    try:
        rows = store.db.execute("SELECT url, sha256 FROM assets WHERE type = 'image' AND sha256 IS NOT NULL "
                                "AND derived_from IS NULL ORDER BY url").fetchall()
        found = []
        for url, sha in rows:
            parts = urlsplit(url)
            name = unquote(parts.path).lstrip("/") or "index"
            rel = os.path.normpath(f"{parts.netloc.replace(':', '_')}/{name}").lstrip("./")
            found.append((url, store.asset_path(url, sha).read_bytes(), rel))
        return found
    finally:
        store.close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fix_one(label: str, data: bytes, policy: Policy) -> tuple[FixedFile, bytes | None]:
    entry = FixedFile(label, None, "failed", bytes_before=len(data), sha256_before=_sha(data))
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, entry.size_before = img.format or "", list(img.size)
            orientation = int(img.getexif().get(0x0112, 1) or 1) if fmt == "JPEG" else 1
    except NOT_READABLE as exc:
        entry.error = f"not a readable image: {exc}"
        return entry, None
    try:
        stripped: Stripped | None = (strip_jpeg(data) if fmt == "JPEG" else strip_png(data) if fmt == "PNG"
                                     else strip_webp(data) if fmt == "WEBP" else None)
        turned = upright_losslessly(stripped.data, orientation) if stripped and orientation not in (0, 1) else None
        sideways = orientation not in (0, 1) and turned is None  # needs the one high-quality re-encode
        result = transform(data, policy, force=stripped is None or sideways)
        if result is None:
            assert stripped is not None
            out, entry.lossless, entry.removed = stripped.data, True, stripped.removed
            entry.size_after = entry.size_before
            if turned is not None:
                out = turned
                width, height = entry.size_before or [0, 0]
                entry.size_after = [height, width] if orientation >= 5 else [width, height]
                entry.changes.append(f"turned upright without re-encoding (jpegtran, EXIF orientation {orientation})")
        else:
            out, entry.changes, entry.faces_blurred = result.data, result.changes, result.faces_blurred
            entry.removed, entry.size_after = ["all metadata (new file written without any)"], list(result.size)
    except (CannotStrip, OSError, ValueError) as exc:
        entry.error = str(exc)
        return entry, None
    entry.status, entry.bytes_after, entry.sha256_after = "fixed", len(out), _sha(out)
    return entry, out


def verify(data: bytes, policy: Policy) -> list[str]:
    """What the checks would still report on a fixed copy (empty when it is safe under the policy)."""
    remaining = []
    try:
        meta = read(data)
    except UnreadableImage as exc:
        return [f"unreadable after fixing: {exc}"]
    if meta.gps is not None:
        remaining.append("gps_location")
    if any(not is_placeholder_serial(v) for v in meta.serials.values()):
        remaining.append("device_serial")
    if any(not is_boilerplate_name(v) for v in meta.names.values()):
        remaining.append("person_name_metadata")
    if meta.has_xmp or meta.has_iptc or meta.thumbnail:
        remaining.append("metadata blocks (XMP/IPTC/thumbnail)")
    if policy.max_side and max(meta.width, meta.height) > policy.max_side:
        remaining.append(f"larger than --max-side {policy.max_side}")
    if policy.max_face_iod:
        pixels = load_image(data, 10**9)
        faces = analyse(pixels, Thresholds()) if pixels is not None else []
        if any(f.iod >= policy.max_face_iod for f in faces):
            remaining.append(f"a face at or above --max-face-iod {policy.max_face_iod}")
    return remaining


def fix(sources: list[tuple[str, bytes, str]], out: Path, policy: Policy) -> dict[str, Any]:
    """Write safe copies and ``fix-manifest.json`` into ``out``; returns the manifest."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot write there ({exc.strerror})") from exc
    files, used = [], set()
    for label, data, rel in sources:
        entry, result = fix_one(label, data, policy)
        if result is not None:
            target = Path(rel)
            while str(target) in used:
                target = target.with_name(f"{target.stem}-1{target.suffix}")
            used.add(str(target))
            path = out / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(result)
            entry.output = str(target)
            entry.remaining = verify(result, policy)
        files.append(entry)
    manifest = {"schema": "exposure-auditor/fix-manifest@1", "policy": asdict(policy),
                "fixed": sum(f.status == "fixed" for f in files), "failed": sum(f.status == "failed" for f in files),
                "files": [asdict(f) for f in files]}
    write_atomic(out / "fix-manifest.json", json.dumps(manifest, indent=2) + "\n")
    os.chmod(out / "fix-manifest.json", 0o644)
    return manifest


__all__ = ["Policy", "fix", "fix_one", "local_sources", "scan_sources", "verify"]
