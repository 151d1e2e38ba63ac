"""The store's connection, lock, meta values, transactions, blobs and errors: what every other part of the store
builds on. The folder and the files are owner-only: they hold photos of the organization's pupils."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from auditor.errors import StoreError, plain
from auditor.store.schema import SCHEMA, upgrade_columns


class StoreBase:
    """One scan's SQLite database and blob folder inside ``--out``. Holds an exclusive lock while open.

    Writes go through ``self.db`` (one connection, used by the crawl's event loop); ``transaction()`` groups them.
    The concerns built on it (frontier, assets, hosts, results) are the other modules of this package."""

    DB_NAME = "scan.sqlite3"

    def __init__(self, out: Path) -> None:
        self.out = out
        self.blobs = out / "blobs"
        self.tmp = out / "tmp"
        try:
            out.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.blobs.mkdir(exist_ok=True, mode=0o700)
            self.tmp.mkdir(exist_ok=True, mode=0o700)
            self._lock = open(out / ".lock", "w")  # noqa: SIM115 - held for the store's lifetime
            os.chmod(out / ".lock", 0o600)
        except OSError as exc:
            raise StoreError(f"{out}: cannot write there ({exc.strerror})") from exc
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._lock.close()
            raise StoreError(f"{out}: another auditor run is using this folder") from exc
        for stale in self.tmp.iterdir():
            stale.unlink(missing_ok=True)
        path = out / self.DB_NAME
        try:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            os.chmod(path, 0o600)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            upgrade_columns(self.db, SCHEMA)
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(Exception):
                self.db.close()
            self._lock.close()
            if "disk" in str(exc) or "full" in str(exc):
                raise StoreError(f"{path}: cannot write the scan store; the disk is full ({exc})") from exc
            raise StoreError(f"{path}: not a usable scan store ({exc})") from exc

    def reader(self) -> sqlite3.Connection:
        """A second, read-only connection, for a thread that watches the scan while the crawl writes (WAL mode
        lets it read without blocking the writer)."""
        path = (self.out / self.DB_NAME).resolve()
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=10)

    def close(self) -> None:
        self.db.close()
        self._lock.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: all of them or none (a ``kill -9`` inside leaves the store as it was before)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- meta ---------------------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def reset(self) -> None:
        """Forget the previous scan in this folder so a new one starts clean, except what lets the new scan ask
        the server "has it changed?": each fetched file's validators (ETag, Last-Modified) and its stored copy.
        Files of the previous scan that are not among them are deleted."""
        with self.transaction():
            db = self.db
            db.execute("DELETE FROM previous_assets")
            db.execute("""INSERT INTO previous_assets SELECT url, final_url, content_type, bytes, sha256, noai,
                          last_modified, etag FROM assets WHERE state = 'done' AND sha256 IS NOT NULL
                          AND derived_from IS NULL AND status BETWEEN 200 AND 299
                          AND (etag IS NOT NULL OR last_modified IS NOT NULL)""")
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                if table != "previous_assets":
                    db.execute(f"DELETE FROM {table}")
        self.remove_unused_blobs("previous_assets")

    def remove_unused_blobs(self, table: str = "assets") -> None:
        """Delete stored files that no row of ``table`` refers to (a photo gone from the site leaves no copy
        behind here after the scan that noticed)."""
        used = {sha for (sha,) in self.db.execute(f"SELECT sha256 FROM {table} WHERE sha256 IS NOT NULL")}
        for folder in self.blobs.iterdir() if self.blobs.is_dir() else []:
            for blob in folder.iterdir() if folder.is_dir() else [folder]:
                if blob.name not in used:
                    blob.unlink(missing_ok=True)

    # -- blobs --------------------------------------------------------------------------------------------------
    def blob_path(self, sha256: str) -> Path:
        return self.blobs / sha256[:2] / sha256

    def write_blob(self, data: bytes) -> str:
        """Store bytes produced here (an image extracted from a document); returns their sha256."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.blob_path(sha256)
        if not target.exists():
            target.parent.mkdir(exist_ok=True, mode=0o700)
            tmp = self.tmp / f"blob-{sha256}"
            tmp.write_bytes(data)
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        return sha256

    def keep_blob(self, tmp: Path, sha256: str) -> Path:
        """Move a fetched body into the content-addressed folder (idempotent: same content, same place)."""
        target = self.blob_path(sha256)
        target.parent.mkdir(exist_ok=True, mode=0o700)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        return target

    def asset_path(self, url: str, sha256: str) -> Path:
        """Where an asset's bytes are: the local file for ``auditor check`` (file: URLs), else the blob store."""
        if url.startswith("file:") and "#" not in url:
            return Path(unquote(urlsplit(url).path))
        return self.blob_path(sha256)

    def count(self, table: str, where: str = "1") -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0])

    # -- errors -------------------------------------------------------------------------------------------------
    def add_error(self, url: str, stage: str, message: str) -> None:
        """One error per URL and stage, in plain words (no Python internals), at most 2,000 characters."""
        self.db.execute("INSERT OR REPLACE INTO errors VALUES (?, ?, ?)", (url, stage, plain(message)[:2000]))

    def clear_error(self, url: str, stage: str) -> None:
        self.db.execute("DELETE FROM errors WHERE url = ? AND stage = ?", (url, stage))
