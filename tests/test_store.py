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


def test_the_frontier_ranks_a_level_by_parent_then_position(tmp_path: Path) -> None:
    store = Store(tmp_path / "o")
    with store.transaction():
        store.add_page("https://s.example/", 0, 0, 0)
    (seed,) = store.next_level(10)
    assert (seed.url, seed.depth, seed.rank) == ("https://s.example/", 0, 0)
    with store.transaction():
        store.set_page_state(seed.url, "done")
        store.add_page("https://s.example/b", 1, 0, 1)
        store.add_page("https://s.example/c", 1, 1, 0)
        store.add_page("https://s.example/a", 1, 0, 5)
        store.add_page("https://s.example/c", 1, 0, 0)  # seen earlier on another page: moves up
    assert [i.url for i in store.next_level(10)] == [
        "https://s.example/c",
        "https://s.example/b",
        "https://s.example/a",
    ]
    store.close()


def test_the_page_budget_skips_the_rest_of_a_level_and_a_resumed_store_keeps_the_ranks(tmp_path: Path) -> None:
    store = Store(tmp_path / "o")
    with store.transaction():
        for i in range(5):
            store.add_page(f"https://s.example/{i}", 0, 0, i)
    first = store.next_level(3)
    assert [i.url for i in first] == [f"https://s.example/{i}" for i in range(3)]
    assert store.skipped_counts()["max_pages"] == 2
    store.close()
    reopened = Store(tmp_path / "o")  # a killed run: the same level comes back, in the same order
    assert reopened.next_level(3) == first
    reopened.close()


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "o")
    try:
        with store.transaction():
            store.add_page("https://s.example/", 0, 0, 0)
            raise RuntimeError("killed mid-page")
    except RuntimeError:
        pass
    assert store.next_level(10) == []
    store.close()


def test_a_previous_copy_counts_only_while_its_blob_is_kept(tmp_path: Path) -> None:
    from auditor.models import FetchedAsset

    store = Store(tmp_path / "o")
    blob = store.tmp / "body"
    blob.write_bytes(b"jpeg bytes")
    sha = "ab" * 32
    store.keep_blob(blob, sha)
    with store.transaction():
        store.add_local_file("https://s.example/a.jpg", "image", 10, sha, "image/jpeg")
        store.record_fetched(
            "https://s.example/a.jpg", FetchedAsset(200, None, "image/jpeg", 10, sha, False, None, '"v1"')
        )
    store.reset()  # a new scan into the same --out keeps the validators and the copy
    copy = store.previous_asset("https://s.example/a.jpg")
    assert copy is not None and copy.etag == '"v1"' and copy.sha256 == sha
    store.blob_path(sha).unlink()
    assert store.previous_asset("https://s.example/a.jpg") is None
    store.close()


def test_links_inside_out_are_refused_and_nothing_outside_is_touched(tmp_path: Path) -> None:
    import pytest

    from auditor.errors import StoreError

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me")
    for name, target in ((".lock", elsewhere / "precious.txt"), ("tmp", elsewhere)):
        out = tmp_path / f"out-{name.strip('.')}"
        out.mkdir()
        (out / name).symlink_to(target)
        with pytest.raises(StoreError, match="symbolic link"):
            Store(out)
    assert (elsewhere / "precious.txt").read_text() == "keep me"


def test_a_damaged_store_says_so_and_fresh_starts_over(tmp_path: Path, demo_url: str) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    out = tmp_path / "o"
    out.mkdir()
    (out / Store.DB_NAME).write_bytes(b"SQLite format 3\x00" + b"\x13garbled" * 100)
    args = ["scan", demo_url, "--out", str(out), "--no-state", "--render", "never", "--max-pages", "3"]
    damaged = CliRunner().invoke(main, args)
    assert damaged.exit_code == 2 and "damaged" in damaged.output and "disk is full" not in damaged.output
    assert "--fresh" in damaged.output
    again = CliRunner().invoke(main, [*args, "--fresh"])
    assert again.exit_code == 3, again.output  # --max-pages 3 cut it: it ran


def test_an_emptied_store_beside_kept_files_is_not_a_silent_new_scan(tmp_path: Path) -> None:
    import pytest

    from auditor.errors import StoreError

    store = Store(tmp_path / "o")
    store.write_blob(b"a photo")
    store.close()
    (tmp_path / "o" / Store.DB_NAME).write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        (tmp_path / "o" / (Store.DB_NAME + suffix)).unlink(missing_ok=True)
    with pytest.raises(StoreError, match="damaged"):
        Store(tmp_path / "o")
    Store(tmp_path / "o", fresh=True).close()
