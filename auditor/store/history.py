"""Scan history under ``--state DIR``: every finished scan of the same seeds and its findings, so each scan can
say what is new, unchanged and resolved; and, per content hash, the faces found (boxes, landmarks, ages: what a
re-scan would compute again), never images, crops or embeddings."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from auditor.errors import StoreError
from auditor.models import SEVERITIES
from auditor.store.schema import upgrade_columns

SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (id INTEGER PRIMARY KEY, key TEXT NOT NULL, finished_at TEXT);
CREATE TABLE IF NOT EXISTS findings (scan_id INTEGER NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (scan_id, id));
CREATE INDEX IF NOT EXISTS scans_key ON scans (key, id);
CREATE TABLE IF NOT EXISTS face_cache (sha256 TEXT NOT NULL, key TEXT NOT NULL, faces TEXT NOT NULL,
  PRIMARY KEY (sha256, key));
CREATE TABLE IF NOT EXISTS person_groups (key TEXT PRIMARY KEY, groups TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pictures (site TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (site, sha256));
"""
KEEP_GROUPINGS = 20  # the person groupings of the last few distinct sets of pictures (a few sites, a few changes)


class History:
    """Every finished, complete scan of the same seeds (their findings), and the face cache, under ``--state``.

    ``site``: the scan key of the run that opens it; the pictures it caches are recorded as that site's, so that
    :meth:`forget` can delete one site's history, cached faces and redacted thumbnails."""

    def __init__(self, state_dir: Path, site: str | None = None) -> None:
        self.site = site
        try:
            state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Also read by the thread that feeds the face pool during the crawl (never at the same time).
            self.db = sqlite3.connect(state_dir / "history.sqlite3", check_same_thread=False)
            os.chmod(state_dir / "history.sqlite3", 0o600)
            self.db.executescript(SCHEMA)
            upgrade_columns(self.db, SCHEMA)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise StoreError(f"{state_dir}: cannot keep scan history there ({exc})") from exc

    def close(self) -> None:
        self.db.close()

    def get(self, sha256: str, key: str) -> dict[str, Any] | None:
        """What the same models found in this exact picture during an earlier scan (boxes and ages, no pixels),
        as the face stage cached it."""
        row = self.db.execute("SELECT faces FROM face_cache WHERE sha256 = ? AND key = ?", (sha256, key)).fetchone()
        return dict(json.loads(row[0])) if row else None

    def put_all(self, key: str, found: dict[str, dict[str, Any]]) -> None:
        """One transaction for a whole scan's pictures (a commit per picture costs a disk flush each)."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO face_cache VALUES (?, ?, ?)",
                [(sha, key, json.dumps(r)) for sha, r in found.items()],
            )
            if self.site is not None:
                self.db.executemany("INSERT OR IGNORE INTO pictures VALUES (?, ?)", [(self.site, sha) for sha in found])

    def get_groups(self, key: str) -> list[tuple[str, int, int]] | None:
        """A person grouping of exactly the set of pictures ``key`` names: only which faces go together
        (content hash, face index, group number), never what they look like (see auditor/analyze/persons.py)."""
        row = self.db.execute("SELECT groups FROM person_groups WHERE key = ?", (key,)).fetchone()
        return [(str(sha), int(index), int(group)) for sha, index, group in json.loads(row[0])] if row else None

    def put_groups(self, key: str, groups: list[tuple[str, int, int]]) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO person_groups VALUES (?, ?)", (key, json.dumps(groups)))
            self.db.execute(
                "DELETE FROM person_groups WHERE rowid NOT IN "
                "(SELECT rowid FROM person_groups ORDER BY rowid DESC LIMIT ?)",
                (KEEP_GROUPINGS,),
            )

    def previous(self, key: str) -> dict[str, Any]:
        """The last recorded scan with this key: its finding ids and findings (empty when there is none)."""
        row = self.db.execute(
            "SELECT id, finished_at FROM scans WHERE key = ? ORDER BY id DESC LIMIT 1", (key,)
        ).fetchone()
        if row is None:
            return {}
        findings = [
            json.loads(body)
            for (body,) in self.db.execute("SELECT body FROM findings WHERE scan_id = ? ORDER BY id", (row[0],))
        ]
        return {
            "previous_finished_at": row[1],
            "previous_ids": [f["id"] for f in findings],
            "previous_findings": findings,
            "trend": self.trend(key),
        }

    def trend(self, key: str, limit: int = 52) -> list[dict[str, Any]]:
        """Findings by severity of each of the last ``limit`` recorded scans of these seeds, oldest first."""
        scans = self.db.execute(
            "SELECT id, finished_at FROM scans WHERE key = ? ORDER BY id DESC LIMIT ?", (key, limit)
        ).fetchall()
        out = []
        for scan_id, finished_at in reversed(scans):
            counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)  # every key, as the current scan's entry has
            for (severity,) in self.db.execute(
                "SELECT json_extract(body, '$.severity') FROM findings WHERE scan_id = ?", (scan_id,)
            ):
                counts[severity] = counts.get(severity, 0) + 1
            out.append({"finished_at": finished_at, "counts": counts})
        return out

    def record(self, key: str, document: dict[str, Any]) -> None:
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO scans (key, finished_at) VALUES (?, ?)", (key, document["scan"]["finished_at"])
            )
            keep = ("id", "check", "severity", "title", "asset", "page", "evidence", "advice")
            self.db.executemany(
                "INSERT INTO findings VALUES (?, ?, ?)",
                [(cursor.lastrowid, f["id"], json.dumps({k: f[k] for k in keep})) for f in document["findings"]],
            )

    def sites(self) -> list[tuple[str, int, str | None]]:
        """(scan key, recorded scans, last finished) of every site with history here."""
        rows = self.db.execute(
            """SELECT key, COUNT(*), MAX(finished_at) FROM scans GROUP BY key
               UNION SELECT site, 0, NULL FROM pictures WHERE site NOT IN (SELECT key FROM scans) ORDER BY 1"""
        ).fetchall()
        return [(str(k), int(n), f) for k, n, f in rows]

    def forget(self, key: str) -> tuple[int, int]:
        """Delete one site's recorded scans and findings, and the cached faces and redacted thumbnails of every
        picture no other site here claims; the person groupings (which faces go together, a cache) are all dropped.
        Returns (scans deleted, pictures' cache entries deleted)."""
        with self.db:
            scans = [row[0] for row in self.db.execute("SELECT id FROM scans WHERE key = ?", (key,))]
            self.db.executemany("DELETE FROM findings WHERE scan_id = ?", [(i,) for i in scans])
            self.db.execute("DELETE FROM scans WHERE key = ?", (key,))
            self.db.execute("DELETE FROM pictures WHERE site = ?", (key,))
            # Entries no remaining site claims go too, those of versions that did not record the site included:
            # deleting a cache costs a slower next scan, keeping a forgotten site's thumbnails would not be forgetting.
            gone = self.db.execute("DELETE FROM face_cache WHERE sha256 NOT IN (SELECT sha256 FROM pictures)").rowcount
            self.db.execute("DELETE FROM person_groups")
        self.db.execute("VACUUM")  # the deleted rows' bytes leave the file, not only the index
        return len(scans), gone
