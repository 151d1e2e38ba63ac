"""Progress says how far along a scan is (issue 15): pages and assets done of those known, the time left at the
pace so far, and the analysis counting pictures, instead of a spinner that says "starting..."."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main
from auditor.progress import Counters, Pace, describe
from tests.analyze import images
from tests.server import Route, Site


def test_the_line_counts_done_of_known_and_the_time_left() -> None:
    crawl = describe(Counters(pages=20, assets=100, requests=120, pages_known=60, assets_known=300), elapsed=60)
    assert crawl.startswith("pages 20/60 · assets 100/300") and "about 2 min left" in crawl  # 240 to go at 2 req/s
    faces = describe(Counters(stage="faces", done=50, total=200), elapsed=10)
    assert faces == "faces: 50 of 200 pictures · about 30 s left"
    assert "left" not in describe(Counters(stage="faces", done=0, total=200), elapsed=10)  # no pace yet: no guess


def test_the_time_left_counts_only_what_the_limits_let_through_at_the_recent_pace() -> None:
    """Links found past --max-pages are never fetched, and a slow start is not the pace: the estimate once said
    "about 68 min left" for a scan that ended 4 minutes later."""
    found_many = Counters(pages=100, assets=0, requests=100, pages_known=20_000, pages_cap=2_000)
    assert "crawl: about 16 min left" in describe(found_many, elapsed=50)  # 1,900 pages at 2 req/s, not 19,900
    assert "crawl: about 50 s left" in describe(found_many, elapsed=50, pace=38.0)  # at the recent pace
    pace = Pace()
    assert pace.rate(0.0, 0) is None  # no pace yet: no guess
    assert pace.rate(10.0, 10) == 1.0
    assert pace.rate(40.0, 310) == 10.0  # the last 30 s: 300 requests, the slow first 10 s forgotten


def test_fix_says_how_far_along_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(3):
        (folder / f"trip-{k}.jpg").write_bytes(images.jpeg(lat=51.5, lon=-0.12))
    result = CliRunner().invoke(main, ["fix", str(folder), "--out", str(tmp_path / "safe")])
    assert result.exit_code == 0, result.output
    assert "fixing: 0 of 3 files" in result.output


def test_a_scan_logs_its_stages_with_totals(tmp_path: Path) -> None:
    routes = {f"/p{n}.jpg": Route(images.jpeg(images.scene(seed=n)), content_type="image/jpeg") for n in range(30)}
    page = "".join(f"<img src='/p{n}.jpg'>" for n in range(30))
    site = Site({"/": Route(page), "/robots.txt": Route("", status=404), **routes})
    with site.serve() as base:
        args = ["scan", base + "/", "--out", str(tmp_path / "o"), "--no-state", "--render", "never", "--verbose"]
        result = CliRunner().invoke(main, args)
    log = result.stderr
    assert "checking that the face models work" in log
    assert "analysing 30 images, 0 documents and 0 videos" in log
    assert re.search(r"pages \d+(/\d+)? · assets \d+", log) and re.search(r"faces: \d+ of 30 pictures", log), log
