"""Scan history: every finished scan of the same seeds, kept in SQLite under ``--state DIR`` (default: the user's
data folder), so each scan can say what is new, unchanged and resolved since the previous one.

Only findings are kept (ids, checks, severities, titles, URLs, evidence) and, per content hash, the faces found
(boxes, landmarks, ages: what a re-scan would compute again), never images, crops or embeddings.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from auditor.analyze.face_pool import PictureFaces
from auditor.errors import StoreError
from auditor.store import upgrade_columns

SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (id INTEGER PRIMARY KEY, key TEXT NOT NULL, finished_at TEXT);
CREATE TABLE IF NOT EXISTS findings (scan_id INTEGER NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (scan_id, id));
CREATE INDEX IF NOT EXISTS scans_key ON scans (key, id);
CREATE TABLE IF NOT EXISTS face_cache (sha256 TEXT NOT NULL, key TEXT NOT NULL, faces TEXT NOT NULL,
  PRIMARY KEY (sha256, key));
"""


def default_state_dir() -> Path:
    """``$AUDITOR_STATE_DIR``, else ``$XDG_DATA_HOME/exposure-auditor``, else ``~/.local/share/exposure-auditor``."""
    if os.environ.get("AUDITOR_STATE_DIR"):
        return Path(os.environ["AUDITOR_STATE_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "exposure-auditor"


def scan_key(seeds: list[str]) -> str:
    return "\n".join(sorted(seeds))


class History:
    def __init__(self, state_dir: Path) -> None:
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

    def get(self, sha256: str, key: str) -> PictureFaces | None:
        """Faces the same models found in this exact picture during an earlier scan (boxes and ages, no pixels)."""
        row = self.db.execute("SELECT faces FROM face_cache WHERE sha256 = ? AND key = ?", (sha256, key)).fetchone()
        return PictureFaces.from_cache(json.loads(row[0])) if row else None

    def put_all(self, key: str, found: dict[str, PictureFaces]) -> None:
        """One transaction for a whole scan's pictures (a commit per picture costs a disk flush each)."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO face_cache VALUES (?, ?, ?)",
                [(sha, key, json.dumps(r.to_cache())) for sha, r in found.items()],
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
        }

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


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """new / unchanged / resolved between two findings.json documents, by finding id."""
    old_ids = {f["id"] for f in old["findings"]}
    new_ids = {f["id"] for f in new["findings"]}
    return {
        "new": [f for f in new["findings"] if f["id"] not in old_ids],
        "unchanged": [f for f in new["findings"] if f["id"] in old_ids],
        "resolved": [f for f in old["findings"] if f["id"] not in new_ids],
    }
