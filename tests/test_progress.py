"""Progress says how far along a scan is (issue 15): pages and assets done of those known, the time left at the
pace so far, and the analysis counting pictures, instead of a spinner that says "starting..."."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main
from auditor.progress import Counters, describe
from tests.analyze import images
from tests.server import Route, Site


def test_the_line_counts_done_of_known_and_the_time_left() -> None:
    crawl = describe(Counters(pages=20, assets=100, requests=120, pages_known=60, assets_known=300), elapsed=60)
    assert crawl.startswith("pages 20/60 · assets 100/300") and "about 2 min left" in crawl  # 240 to go at 2 req/s
    faces = describe(Counters(stage="faces", done=50, total=200), elapsed=10)
    assert faces == "faces: 50 of 200 pictures · about 30 s left"
    assert "left" not in describe(Counters(stage="faces", done=0, total=200), elapsed=10)  # no pace yet: no guess


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
