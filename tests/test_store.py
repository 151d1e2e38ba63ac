"""The store: an --out folder written by an older version keeps working after an upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from auditor.pipeline import run_scan
from auditor.store import Store


def test_an_older_store_gains_the_new_columns(tmp_path: Path, demo_url: str, make_config) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    out.mkdir()
    with sqlite3.connect(out / Store.DB_NAME) as db:  # the assets table as the first release wrote it
        db.execute("""CREATE TABLE assets (url TEXT PRIMARY KEY, type TEXT NOT NULL,
                      state TEXT NOT NULL DEFAULT 'pending', status INTEGER, final_url TEXT, content_type TEXT,
                      bytes INTEGER, sha256 TEXT)""")
    store = Store(out)
    columns = {row[1] for row in store.db.execute("PRAGMA table_info(assets)")}
    store.close()
    assert {"last_modified", "derived_from", "speculative", "noai"} <= columns
    document = run_scan(make_config(demo_url, out=out)).document
    assert document["scan"]["complete"] and document["scan"]["assets"] > 20
