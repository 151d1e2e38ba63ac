"""``oversized_image`` on real loopback sites: a page that scales a camera original down, a WordPress thumbnail
whose original sits beside it, a srcset whose largest candidate is huge, a lightbox link, and sizes that are fine."""

from __future__ import annotations

from typing import Any

from auditor.pipeline import run_scan
from tests.analyze import images
from tests.server import Route, Site


def jpeg_route(width: int, height: int) -> Route:
    return Route(images.save(images.scene(width, height), "JPEG", quality=50), content_type="image/jpeg")


def oversized(document: dict[str, Any], base: str) -> dict[str, dict[str, Any]]:
    return {f["asset"].removeprefix(base): f for f in document["findings"] if f["check"] == "oversized_image"}


def test_every_way_a_large_copy_is_reachable(make_config) -> None:  # type: ignore[no-untyped-def]
    site = Site(
        {
            "/": Route(
                '<img src="/photos/camera.jpg" width="400" height="300">'
                '<img src="/wp-content/uploads/2024/05/sports-300x200.jpg" width="300" height="200">'
                '<img src="/img/hero-480.jpg" srcset="/img/hero-480.jpg 480w, /img/hero-4000.jpg 4000w" width="480"'
                ' height="270">'
                '<a href="/gallery/full.jpg"><img src="/gallery/thumb.jpg" width="200" height="150"></a>'
                '<img src="/img/fine-1600.jpg" width="800" height="600">'
                '<img src="/img/small.jpg">'
            ),
            "/photos/camera.jpg": jpeg_route(3200, 2400),
            "/wp-content/uploads/2024/05/sports-300x200.jpg": jpeg_route(300, 200),
            "/wp-content/uploads/2024/05/sports.jpg": jpeg_route(2400, 1600),
            "/img/hero-480.jpg": jpeg_route(480, 270),
            "/img/hero-4000.jpg": jpeg_route(4000, 2250),
            "/gallery/thumb.jpg": jpeg_route(200, 150),
            "/gallery/full.jpg": jpeg_route(2000, 1500),
            "/img/fine-1600.jpg": jpeg_route(1600, 1200),  # 2x for high-density screens: normal
            "/img/small.jpg": jpeg_route(640, 480),
        }
    )
    with site.serve() as base:
        document = run_scan(make_config(base + "/", probe_directories=False)).document
    found = oversized(document, base)
    assert set(found) == {
        "/photos/camera.jpg",
        "/wp-content/uploads/2024/05/sports.jpg",
        "/img/hero-4000.jpg",
        "/gallery/full.jpg",
    }
    camera = found["/photos/camera.jpg"]["evidence"]
    assert camera["display_size"] == [400, 300] and camera["largest_size"] == [3200, 2400]
    assert camera["reached_via"] == "the file itself" and found["/photos/camera.jpg"]["severity"] == "medium"
    wordpress = found["/wp-content/uploads/2024/05/sports.jpg"]["evidence"]
    assert wordpress["reached_via"] == "guessed original"
    assert wordpress["served_url"] == base + "/wp-content/uploads/2024/05/sports-300x200.jpg"
    assert found["/img/hero-4000.jpg"]["severity"] == "high"  # 9 MP
    assert found["/gallery/full.jpg"]["evidence"]["reached_via"] == "srcset or full-size link"
    # One HEAD per guess; the guessed -scaled variant that does not exist is neither an asset nor an error.
    assert site.hits["/wp-content/uploads/2024/05/sports-scaled.jpg"] == 1
    assert not any("scaled" in a["url"] for a in document["assets"])
    assert document["errors"] == []


def test_a_large_picture_no_page_shows_is_reported_with_no_display_size(make_config) -> None:  # type: ignore[no-untyped-def]
    """Linked, never shown: nothing says how large it is displayed (the benchmark site found this case; the schema
    check at write time refused the document until the evidence allowed it)."""
    site = Site({"/": Route('<a href="/files/poster.jpg">the poster</a>'), "/files/poster.jpg": jpeg_route(3000, 2000)})
    with site.serve() as base:
        document = run_scan(make_config(base + "/")).document
    poster = oversized(document, base)["/files/poster.jpg"]
    assert poster["evidence"]["display_size"] is None and poster["evidence"]["largest_size"] == [3000, 2000]
