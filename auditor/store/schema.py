"""The store's SQLite schema, and the column upgrades that let an ``--out`` (or a history) written by an older
version keep working."""

from __future__ import annotations

import sqlite3

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
CREATE INDEX IF NOT EXISTS pages_final ON pages (final_url);
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
