"""The analysis stage: every fetched (or local) image in the store → metadata findings and asset facts.

Results are keyed by content hash, so the same picture published under five URLs is read once. The stage is
idempotent: it replaces its own findings, facts and errors each time it runs, so a resumed scan ends the same.
A file that cannot be read becomes an ``errors`` entry (stage ``analyze``) and never counts as clean.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

from auditor.analyze.metadata import ImageMetadata, UnreadableImage, read
from auditor.analyze.metadata_checks import Subject, image_findings, info
from auditor.config import ScanConfig
from auditor.models import Finding
from auditor.store import Store

METADATA_CHECKS = ("gps_location", "device_serial", "person_name_metadata", "thumbnail_mismatch")


def source_path(store: Store, url: str, sha256: str) -> Path:
    """Where an asset's bytes are: the local file for ``auditor check`` (file: URLs), else the blob store."""
    if url.startswith("file:"):
        return Path(unquote(urlsplit(url).path))
    return store.blob_path(sha256)


def analyze_images(store: Store, config: ScanConfig) -> None:
    rows = store.db.execute(
        """SELECT a.url, a.sha256, (SELECT MIN(page_url) FROM sources s WHERE s.asset_url = a.url)
           FROM assets a WHERE a.sha256 IS NOT NULL AND a.type = 'image' ORDER BY a.url"""
    ).fetchall()
    cache: dict[str, ImageMetadata | str] = {}
    findings: list[Finding] = []
    facts: list[tuple[str, str]] = []
    errors: list[tuple[str, str]] = []
    for url, sha256, page in rows:
        path = source_path(store, url, sha256)
        try:
            data = path.read_bytes()
        except OSError as exc:
            errors.append((url, f"cannot read {path}: {exc.strerror}"))
            continue
        if sha256 not in cache:
            try:
                cache[sha256] = read(data)
            except UnreadableImage as exc:
                cache[sha256] = f"not a readable image ({exc}); it was not checked"
        meta = cache[sha256]
        if isinstance(meta, str):
            errors.append((url, meta))
            continue
        findings.extend(image_findings(Subject(url, page, sha256), meta, data, config.site_location,
                                       config.max_pixels))
        facts.append((url, json.dumps(info(meta))))
    with store.transaction() as db:
        db.executemany("DELETE FROM findings WHERE check_id = ?", [(c,) for c in METADATA_CHECKS])
        db.execute("DELETE FROM asset_info")
        db.execute("DELETE FROM errors WHERE stage = 'analyze'")
        db.executemany(
            "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(f.id, f.check, f.severity, f.title, f.asset, f.page, json.dumps(f.evidence), f.advice) for f in findings],
        )
        db.executemany("INSERT OR REPLACE INTO asset_info VALUES (?, ?)", facts)
        for url, message in errors:
            store.add_error(url, "analyze", message, db)
