"""What a scraper sees on a real WordPress (Debian's package, PHP's server, a private MariaDB; see
``tests/wordpress/``): the media list names every upload, the camera original kept beside a ``-scaled`` copy, and
an upload attached to nothing, which no page shows. The real CLI scans it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import main
from tests.analyze import images
from tests.wordpress import missing, running

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))


def _uploads(folder: Path) -> list[dict[str, object]]:
    """Three photos with a GPS position: a large one WordPress scales (its original keeps the position), one shown
    on a post, and one uploaded and attached to nothing."""
    folder.mkdir()
    out: list[dict[str, object]] = []
    for name, size, post in (
        ("sports-day.jpg", (3000, 2000), "Sports day"),
        ("trip.jpg", (1600, 1200), "Our trip"),
        ("unused.jpg", (1200, 900), None),
    ):
        path = folder / name
        path.write_bytes(images.jpeg(images.scene(*size), lat=51.5012, lon=-0.1419))
        out.append({"file": str(path), "post": post, "alt": name})
    return out


def _scan(base: str, out: Path) -> dict[str, Any]:
    options = ["--no-state", "--render", "never", "--no-link-check", "--rate", "100"]
    result = CliRunner().invoke(main, ["scan", base + "/", "--out", str(out), *options])
    assert result.exit_code in (0, 1), result.output
    return dict(json.loads((out / "findings.json").read_text()))


def test_the_media_list_gives_every_upload_and_what_no_page_shows(tmp_path: Path) -> None:
    with running(tmp_path / "site", _uploads(tmp_path / "photos")) as base:
        document = _scan(base, tmp_path / "out")
    names = {Path(f["asset"]).name for f in document["findings"] if f["check"] == "gps_location"}
    # The unattached upload and the original beside sports-day-scaled.jpg are found only through the list.
    assert {"sports-day.jpg", "trip.jpg", "unused.jpg"} <= names
    (unlisted,) = [f for f in document["findings"] if f["check"] == "unlisted_upload"]
    assert Path(unlisted["asset"]).name == "unused.jpg" and unlisted["severity"] == "medium"
    assert unlisted["evidence"]["attachment_page"].endswith("/unused/") and "mu-plugins" in unlisted["advice"]
    (source,) = document["scan"]["sources"]
    assert source["source"] == "wordpress_media" and source["announced"] == 3 and source["reached"] == 3
    assert "/wp-json/wp/v2/media" in source["url"]
    # The camera original WordPress keeps beside sports-day-scaled.jpg is named as the largest copy.
    largest = {Path(f["evidence"]["largest_url"]).name for f in document["findings"] if f["check"] == "oversized_image"}
    assert "sports-day.jpg" in largest and "sports-day-scaled.jpg" not in largest
    assets = {Path(a["url"]).name: a for a in document["assets"]}
    assert "api" in assets["unused.jpg"]["found_via"] and assets["unused.jpg"]["fetched"]
    # The public users list names the account that uploaded them: its name and upload count, nothing more.
    (uploaders,) = [f for f in document["findings"] if f["check"] == "uploader_names"]
    assert uploaders["evidence"]["names"] == ["Jane Office"] and uploaders["evidence"]["uploads"] == [3]
    assert "/wp/v2/users" in uploaders["evidence"]["list"]
    report = (tmp_path / "out" / "report.html").read_text()
    assert "Jane Office" not in report  # a name the report prints is masked


def test_a_robots_txt_that_closes_the_api_is_honoured_and_said(tmp_path: Path) -> None:
    robots = "User-agent: *\nDisallow: /wp-json/\nDisallow: /?rest_route=\n"
    with running(tmp_path / "site", _uploads(tmp_path / "photos"), robots=robots) as base:
        document = _scan(base, tmp_path / "out")
    (source,) = document["scan"]["sources"]
    assert source["note"].startswith("not read: robots.txt disallows the WordPress API")
    assert not any(a["url"].endswith("/unused.jpg") for a in document["assets"])


def test_without_pretty_links_the_list_is_read_through_rest_route(tmp_path: Path) -> None:
    """Plain links (``?p=N``): ``/wp-json/`` does not answer, and the list is read as ``/?rest_route=``."""
    with running(tmp_path / "site", _uploads(tmp_path / "photos"), pretty_links=False) as base:
        document = _scan(base, tmp_path / "out")
    (source,) = document["scan"]["sources"]
    assert "?rest_route=/wp/v2/media" in source["url"] and source["reached"] == 3
    names = {Path(f["asset"]).name for f in document["findings"] if f["check"] == "gps_location"}
    assert {"sports-day.jpg", "trip.jpg", "unused.jpg"} <= names
    (unlisted,) = [f for f in document["findings"] if f["check"] == "unlisted_upload"]
    assert Path(unlisted["asset"]).name == "unused.jpg"
