"""The on-disk store of one scan: SQLite (frontier, pages, assets, share links, errors, findings) plus a
content-addressed folder of fetched bodies.

Every step of the crawl is one transaction (a page's discoveries are committed together with the mark that the
page is done), so a ``kill -9`` at any moment leaves a store that the same command resumes. The folder and the
files are owner-only: they hold photos of the organization's pupils.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from auditor.errors import StoreError, plain

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (
  host TEXT PRIMARY KEY, robots_status INTEGER, robots_text TEXT, tdmrep_status INTEGER, tdmrep_text TEXT);
CREATE TABLE IF NOT EXISTS pages (
  url TEXT PRIMARY KEY, depth INTEGER NOT NULL, prank INTEGER NOT NULL, idx INTEGER NOT NULL, rank INTEGER,
  state TEXT NOT NULL DEFAULT 'pending', probe INTEGER NOT NULL DEFAULT 0, parent TEXT, status INTEGER,
  final_url TEXT,
  content_type TEXT, title TEXT, rendered INTEGER NOT NULL DEFAULT 0, listing INTEGER NOT NULL DEFAULT 0,
  noai INTEGER NOT NULL DEFAULT 0, noimageai INTEGER NOT NULL DEFAULT 0, tdm INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS pages_frontier ON pages (state, depth, prank, idx);
CREATE TABLE IF NOT EXISTS resources (url TEXT PRIMARY KEY, status INTEGER, payload TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS assets (
  url TEXT PRIMARY KEY, type TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', status INTEGER,
  final_url TEXT, content_type TEXT, bytes INTEGER, sha256 TEXT, noai INTEGER NOT NULL DEFAULT 0,
  speculative INTEGER NOT NULL DEFAULT 0, derived_from TEXT, last_modified TEXT, etag TEXT,
  not_modified INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS previous_assets (
  url TEXT PRIMARY KEY, final_url TEXT, content_type TEXT, bytes INTEGER, sha256 TEXT NOT NULL, noai INTEGER,
  last_modified TEXT, etag TEXT);
CREATE TABLE IF NOT EXISTS sources (
  asset_url TEXT NOT NULL, page_url TEXT NOT NULL, via TEXT NOT NULL, rendered_w INTEGER, rendered_h INTEGER,
  declared_w INTEGER, declared_h INTEGER, PRIMARY KEY (asset_url, page_url, via));
CREATE TABLE IF NOT EXISTS variants (group_key TEXT NOT NULL, url TEXT NOT NULL, how TEXT NOT NULL,
  PRIMARY KEY (group_key, url));
CREATE TABLE IF NOT EXISTS image_context (asset_url TEXT NOT NULL, page_url TEXT NOT NULL, "where" TEXT NOT NULL,
  text TEXT NOT NULL, PRIMARY KEY (asset_url, page_url, "where", text));
CREATE TABLE IF NOT EXISTS guesses (url TEXT PRIMARY KEY, of_url TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
  status INTEGER);
CREATE TABLE IF NOT EXISTS share_links (
  url TEXT PRIMARY KEY, provider TEXT NOT NULL, access TEXT, status INTEGER, redirect TEXT, detail TEXT);
CREATE TABLE IF NOT EXISTS share_sources (url TEXT NOT NULL, page_url TEXT NOT NULL, PRIMARY KEY (url, page_url));
CREATE TABLE IF NOT EXISTS errors (
  url TEXT NOT NULL, stage TEXT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (url, stage));
CREATE TABLE IF NOT EXISTS asset_info (url TEXT PRIMARY KEY, facts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS faces (url TEXT PRIMARY KEY, faces TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS thumbnails (sha256 TEXT PRIMARY KEY, jpeg BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
  id TEXT PRIMARY KEY, check_id TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL, asset TEXT,
  page TEXT, evidence TEXT NOT NULL, advice TEXT NOT NULL);
"""


def upgrade_columns(db: sqlite3.Connection, schema: str) -> None:
    """Add the columns a newer version of the schema has to a store written by an older version, so an existing
    ``--out`` (or history) keeps working after an upgrade. The expected columns are read from ``schema`` built in
    memory, so there is no second list to keep in step."""
    expected = sqlite3.connect(":memory:")
    expected.executescript(schema)
    tables = [name for (name,) in expected.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for _, name, kind, notnull, default, _pk in expected.execute(f"PRAGMA table_info({table})"):
            if name in have:
                continue
            clause = (
                f" NOT NULL DEFAULT {default}"
                if notnull and default is not None
                else (f" DEFAULT {default}" if default is not None else "")
            )
            db.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {kind}{clause}')
    expected.close()


@dataclass(frozen=True, slots=True)
class FrontierItem:
    url: str
    depth: int
    rank: int
    probe: bool


class Store:
    """One scan's SQLite database and blob folder inside ``--out``. Holds an exclusive lock while open."""

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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
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
        with self.transaction() as db:
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

    def previous_asset(self, url: str) -> dict[str, Any] | None:
        """What the previous scan in this folder fetched at ``url``, when its stored copy is still here."""
        cursor = self.db.execute("SELECT * FROM previous_assets WHERE url = ?", (url,))
        row = cursor.fetchone()
        if row is None:
            return None
        found = dict(zip([c[0] for c in cursor.description], row, strict=True))
        return found if self.blob_path(found["sha256"]).is_file() else None

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

    # -- frontier -----------------------------------------------------------------------------------------------
    def add_page(
        self,
        db: sqlite3.Connection,
        url: str,
        depth: int,
        prank: int,
        idx: int,
        probe: bool = False,
        parent: str | None = None,
    ) -> None:
        """Queue a page; if it is already queued at a later position, move it earlier (deterministic order)."""
        db.execute(
            """INSERT INTO pages (url, depth, prank, idx, probe, parent) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET depth = excluded.depth, prank = excluded.prank, idx = excluded.idx,
                 probe = excluded.probe, parent = excluded.parent
               WHERE state = 'pending' AND rank IS NULL
                 AND (excluded.depth, excluded.prank, excluded.idx) < (depth, prank, idx)""",
            (url, depth, prank, idx, int(probe), parent),
        )

    def next_level(self, max_pages: int) -> list[FrontierItem]:
        """The pending pages of the shallowest depth, ranked; pages past the ``max_pages`` budget are skipped."""
        row = self.db.execute("SELECT MIN(depth) FROM pages WHERE state = 'pending'").fetchone()
        if row[0] is None:
            return []
        depth = row[0]
        with self.transaction() as db:
            unranked = db.execute(
                """SELECT url FROM pages WHERE state = 'pending' AND depth = ? AND rank IS NULL
                   ORDER BY prank, idx, url""",
                (depth,),
            ).fetchall()
            start = db.execute("SELECT COALESCE(MAX(rank), -1) + 1 FROM pages").fetchone()[0]
            db.executemany(
                "UPDATE pages SET rank = ? WHERE url = ?", [(start + i, u) for i, (u,) in enumerate(unranked)]
            )
            # Folder probes that found nothing do not use up the page budget.
            used = db.execute(
                """SELECT COUNT(*) FROM pages WHERE state NOT IN ('pending', 'skipped')
                   AND NOT (probe = 1 AND (status IS NULL OR status >= 400))"""
            ).fetchone()[0]
            rows = db.execute(
                "SELECT url, depth, rank, probe FROM pages WHERE state = 'pending' AND depth = ? ORDER BY rank",
                (depth,),
            ).fetchall()
            budget = max(0, max_pages - used)
            for url, *_ in rows[budget:]:
                db.execute("UPDATE pages SET state = 'skipped' WHERE url = ?", (url,))
        return [FrontierItem(u, d, r, bool(p)) for u, d, r, p in rows[:budget]]

    def asset_path(self, url: str, sha256: str) -> Path:
        """Where an asset's bytes are: the local file for ``auditor check`` (file: URLs), else the blob store."""
        if url.startswith("file:") and "#" not in url:
            return Path(unquote(urlsplit(url).path))
        return self.blob_path(sha256)

    def first_page(self, asset_url: str) -> str | None:
        """The first page (in URL order) an asset was found on: where a finding about it points the reader."""
        row = self.db.execute("SELECT MIN(page_url) FROM sources WHERE asset_url = ?", (asset_url,)).fetchone()
        return row[0] if row else None

    def page_done(self, url: str) -> bool:
        """Has ``url`` been crawled already, under its own name or as another URL's redirect target?"""
        row = self.db.execute(
            "SELECT 1 FROM pages WHERE (url = ? OR final_url = ?) AND state = 'done' LIMIT 1", (url, url)
        ).fetchone()
        return row is not None

    def count(self, table: str, where: str = "1") -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0])

    # -- errors -------------------------------------------------------------------------------------------------
    def add_error(self, url: str, stage: str, message: str, db: sqlite3.Connection | None = None) -> None:
        (db or self.db).execute("INSERT OR REPLACE INTO errors VALUES (?, ?, ?)", (url, stage, plain(message)[:2000]))

    def clear_error(self, url: str, stage: str, db: sqlite3.Connection | None = None) -> None:
        (db or self.db).execute("DELETE FROM errors WHERE url = ? AND stage = ?", (url, stage))
