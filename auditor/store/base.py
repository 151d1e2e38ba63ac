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

from auditor.errors import DamagedStore, StoreError, plain
from auditor.files import file_url_path
from auditor.store.schema import SCHEMA, upgrade_columns

FULL_HINT = "the disk is full: free some space and run the same command to resume"
DAMAGED_HINT = "run the same command with --fresh to start the scan over"


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's "database or disk is full", a file-size limit, or the I/O error a full disk often surfaces as;
    not "database disk image is malformed" or "file is not a database" (a damaged store)."""
    text = str(exc).lower()
    return "database or disk is full" in text or "too big" in text or "disk i/o error" in text


class StoreBase:
    """One scan's SQLite database and blob folder inside ``--out``. Holds an exclusive lock while open.

    Writes go through ``self.db`` (one connection, used by the crawl's event loop); ``transaction()`` groups them.
    The concerns built on it (frontier, assets, hosts, results) are the other modules of this package."""

    DB_NAME = "scan.sqlite3"

    # Files and folders the store creates inside --out; none of them may be a symbolic link (opening or emptying
    # one would write or delete outside the folder the user chose).
    OWN = ("blobs", "tmp", ".lock", DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm")

    def __init__(self, out: Path, fresh: bool = False) -> None:
        """Open (or create) the store in ``out``. ``fresh``: a damaged store is discarded instead of refused."""
        self.out = out
        self.blobs = out / "blobs"
        self.tmp = out / "tmp"
        try:
            out.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._refuse_links()
            self.blobs.mkdir(exist_ok=True, mode=0o700)
            self.tmp.mkdir(exist_ok=True, mode=0o700)
            fd = os.open(out / ".lock", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            self._lock = os.fdopen(fd, "w")
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
        try:
            try:
                self._connect()
            except DamagedStore:
                if not fresh:
                    raise
                for name in (self.DB_NAME, self.DB_NAME + "-wal", self.DB_NAME + "-shm"):
                    (out / name).unlink(missing_ok=True)
                self._connect()
        except StoreError:
            self._lock.close()
            raise

    def _refuse_links(self) -> None:
        for name in self.OWN:
            if (self.out / name).is_symlink():
                raise StoreError(
                    f"{self.out / name}: is a symbolic link; the auditor never follows links inside --out (it "
                    "would write or delete files elsewhere). Remove it, or choose another --out"
                )

    def _connect(self) -> None:
        path = self.out / self.DB_NAME
        blobs_kept = any(self.blobs.iterdir())
        if path.exists() and path.stat().st_size == 0 and blobs_kept:
            raise DamagedStore(
                f"{path}: the scan store is empty but its files are still here (damaged?); {DAMAGED_HINT}"
            )
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
            if is_disk_full(exc):
                raise StoreError(f"{path}: cannot write the scan store ({exc}); {FULL_HINT}") from exc
            raise DamagedStore(f"{path}: the scan store is damaged ({exc}); {DAMAGED_HINT}") from exc

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
            return file_url_path(url)
        return self.blob_path(sha256)

    def count(self, table: str, where: str = "1") -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0])

    # -- errors -------------------------------------------------------------------------------------------------
    def add_error(self, url: str, stage: str, message: str) -> None:
        """One error per URL and stage, in plain words (no Python internals), at most 2,000 characters."""
        self.db.execute("INSERT OR REPLACE INTO errors VALUES (?, ?, ?)", (url, stage, plain(message)[:2000]))

    def clear_error(self, url: str, stage: str) -> None:
        self.db.execute("DELETE FROM errors WHERE url = ? AND stage = ?", (url, stage))
