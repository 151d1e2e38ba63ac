"""The real crawler against real loopback servers: the demo school site, a CDN on another address, a
script-built page, redirects and limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.pipeline import run_scan
from tests.conftest import jpeg_bytes, png_bytes
from tests.server import Route, Site

# Every asset of the demo site and the ways a static crawl (no browser) must find it.
DEMO_ASSETS: dict[str, set[str]] = {
    "docs/admissions-policy.docx": {"html"},
    "docs/admissions-policy.docx#media=word/media/image1.jpeg": {"document"},
    "news/newsletter-summer.pdf#page=1&image=0": {"document"},
    "gallery/photos/trip-01.jpg": {"js"},
    "gallery/photos/trip-02.jpg": {"js"},
    "gallery/photos/trip-03.jpg": {"js"},
    "gallery/photos/trip-04.png": {"json"},
    "gallery/photos/trip-05.jpg": {"json"},
    "images/about-bg.jpg": {"css"},
    "images/banner-bg.jpg": {"css"},
    "images/hero-400.jpg": {"html"},
    "images/hero-800.jpg": {"html"},
    "images/hero-1600.jpg": {"html"},
    "images/logo.png": {"html"},
    "images/og-school.jpg": {"html"},
    "images/staff/head-teacher.jpg": {"html"},
    "images/staff/office-team.jpg": {"html"},
    "images/video-poster.jpg": {"html"},
    "media/relay.mp4": {"html"},
    "news/newsletter-summer.pdf": {"html"},
    "uploads/2019/prize-giving.jpg": {"html", "listing"},
    "uploads/2023/summer-fair.jpg": {"sitemap", "listing"},
    "uploads/2024/03/space-week-1.jpg": {"html"},
    "uploads/2024/03/space-week-2.jpg": {"html"},
    "uploads/2024/03/space-week-3.jpg": {"html"},
    "uploads/2024/03/space-week-4.jpg": {"html"},
    "uploads/2024/05/sports-day-1.jpg": {"html", "listing"},
    "uploads/2024/05/sports-day-2.webp": {"html", "listing"},
    "uploads/2024/05/sports-day-3.jpg": {"html", "listing"},
    "uploads/2024/05/sports-day-unpublished.jpg": {"listing"},
    "uploads/2024/06/choir-300x200.jpg": {"html", "listing"},
    "uploads/2024/06/choir.jpg": {"guessed", "listing"},
}
DEMO_PAGES = {
    "",
    "news/",
    "news/sports-day.html",
    "news/space-week.html",
    "gallery/",
    "about/",
    "contact.html",
    "old/prize-giving-2019.html",
}


def by_path(document: dict[str, Any], base: str) -> dict[str, dict[str, Any]]:
    return {a["url"].removeprefix(base): a for a in document["assets"]}


def test_static_crawl_finds_every_page_and_asset_of_the_demo_site(demo_url: str, make_config) -> None:  # type: ignore[no-untyped-def]
    document = run_scan(make_config(demo_url)).document
    assets = by_path(document, demo_url)
    assert set(assets) == set(DEMO_ASSETS)
    for path, vias in DEMO_ASSETS.items():
        assert vias <= set(assets[path]["found_via"]), (path, assets[path]["found_via"])
        assert assets[path]["fetched"] and len(assets[path]["sha256"]) == 64 and assets[path]["bytes"] > 0
    pages = {p["url"].removeprefix(demo_url) for p in document["pages"] if not p["directory_listing"]}
    assert pages == DEMO_PAGES
    assert not any(p["rendered"] for p in document["pages"])
    # robots.txt keeps the crawler out of /private/, and says so.
    assert [e["url"].removeprefix(demo_url) for e in document["errors"]] == ["private/staff-only.html"]
    assert assets["uploads/2024/05/sports-day-1.jpg"]["type"] == "image"
    assert assets["news/newsletter-summer.pdf"]["type"] == "document"
    assert demo_url + "news/sports-day.html" in assets["uploads/2024/05/sports-day-3.jpg"]["found_on"]


@pytest.mark.browser
def test_rendered_crawl_of_the_demo_site(demo_url: str, make_config, browser: str) -> None:  # type: ignore[no-untyped-def]
    document = run_scan(make_config(demo_url, render="auto", browser=browser)).document
    assets = by_path(document, demo_url)
    assert set(assets) == set(DEMO_ASSETS)
    rendered_pages = {p["url"].removeprefix(demo_url) for p in document["pages"] if p["rendered"]}
    assert rendered_pages == {"gallery/"}  # the only app shell; content pages stay static in auto mode
    for n in range(1, 6):
        photo = assets[f"gallery/photos/trip-0{n}.{'png' if n == 4 else 'jpg'}"]
        assert "rendered" in photo["found_via"]
        assert {"width": 300, "height": 200} in photo["rendered_sizes"]


DYNAMIC_PAGE = """<!doctype html><html><head><title>Gallery</title></head><body><div id="app"></div>
<script>
  var app = document.getElementById('app');
  for (var i = 1; i <= 3; i++) {
    var img = document.createElement('img');
    img.src = '/dyn/' + 'photo-' + i + '.png';   // built at run time: no literal names the file
    img.style.width = (100 * i) + 'px';
    app.appendChild(img);
  }
  var lazy = document.createElement('img');
  lazy.style.marginTop = '3000px';
  app.appendChild(lazy);
  new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) { lazy.src = ['/dyn', 'below-the-fold'].join('/') + '.png'; }
    });
  }).observe(lazy);
</script></body></html>"""


def dynamic_site() -> Site:
    routes = {"/": Route(DYNAMIC_PAGE)}
    for name in ("photo-1", "photo-2", "photo-3", "below-the-fold"):
        routes[f"/dyn/{name}.png"] = Route(png_bytes(), content_type="image/png")
    return Site(routes)


@pytest.mark.browser
def test_only_the_browser_finds_images_built_at_run_time(make_config, browser: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site = dynamic_site()
    with site.serve() as base:
        static = run_scan(make_config(base + "/", out=tmp_path / "static")).document
        config = make_config(base + "/", out=tmp_path / "rendered", render="auto", browser=browser)
        rendered = run_scan(config).document
    assert static["assets"] == []
    found = {a["url"].removeprefix(base): a for a in rendered["assets"]}
    assert set(found) == {"/dyn/photo-1.png", "/dyn/photo-2.png", "/dyn/photo-3.png", "/dyn/below-the-fold.png"}
    assert all(a["found_via"] == ["rendered"] for a in found.values())
    assert found["/dyn/photo-3.png"]["rendered_sizes"][0]["width"] == 300
    assert found["/dyn/photo-1.png"]["bytes"] == len(png_bytes())


def test_pages_stay_in_scope_but_assets_are_fetched_wherever_they_are(make_config) -> None:  # type: ignore[no-untyped-def]
    cdn = Site(
        {
            "/cdn/photo.jpg": Route(jpeg_bytes(), content_type="image/jpeg"),
            "/elsewhere.html": Route("<a href='/secret.html'>x</a>"),
        }
    )
    with cdn.serve("127.0.0.2") as cdn_base:
        home = Site(
            {
                "/": Route(
                    f"<img src='{cdn_base}/cdn/photo.jpg'><a href='{cdn_base}/elsewhere.html'>partner</a>"
                    "<a href='/moved'>moved</a>"
                ),
                "/moved": Route("", status=301, headers={"Location": f"{cdn_base}/elsewhere.html"}),
            }
        )
        with home.serve() as base:  # 127.0.0.2 stands for a public CDN here: private addresses are allowed
            document = run_scan(make_config(base + "/", allow_private=True)).document
    assert [a["url"] for a in document["assets"]] == [f"{cdn_base}/cdn/photo.jpg"]
    assert document["assets"][0]["fetched"]
    assert cdn.hits["/elsewhere.html"] == 0 and cdn.hits["/secret.html"] == 0
    assert any("out of scope" in e["message"] and e["url"].endswith("/moved") for e in document["errors"])


def test_seed_redirect_to_www_brings_that_host_into_scope(make_config) -> None:  # type: ignore[no-untyped-def]
    real = Site(
        {
            "/": Route("<a href='/news'>news</a>"),
            "/news": Route("<img src='/p.png'>"),
            "/p.png": Route(png_bytes(), content_type="image/png"),
        }
    )
    with real.serve("127.0.0.3") as real_base:
        apex = Site({"/": Route("", status=301, headers={"Location": real_base + "/"})})
        with apex.serve() as base:
            document = run_scan(make_config(base + "/")).document
    assert {p["url"] for p in document["pages"]} == {base + "/", real_base + "/news"}
    assert [a["url"] for a in document["assets"]] == [real_base + "/p.png"]


def test_two_scans_agree_and_max_pages_cuts_deterministically(demo_url: str, make_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def scan(name: str, **kwargs: object) -> dict[str, Any]:
        document = run_scan(make_config(demo_url, out=tmp_path / name, concurrency=8, **kwargs)).document
        return {k: document[k] for k in ("pages", "assets", "findings", "errors")}

    assert scan("a") == scan("b")
    first, second = scan("c", max_pages=4), scan("d", max_pages=4)
    assert first == second
    assert [p["url"].removeprefix(demo_url) for p in first["pages"]] == [
        "",
        "news/",
        "old/prize-giving-2019.html",
        "gallery/",
    ]


def test_max_depth_zero_crawls_only_the_seed(demo_url: str, make_config) -> None:  # type: ignore[no-untyped-def]
    document = run_scan(make_config(demo_url, max_depth=0)).document
    assert [p["url"] for p in document["pages"]] == [demo_url]
    assert "images/hero-800.jpg" in by_path(document, demo_url)


def test_ignore_robots_fetches_disallowed_pages(demo_url: str, make_config) -> None:  # type: ignore[no-untyped-def]
    document = run_scan(make_config(demo_url, ignore_robots=True)).document
    assert demo_url + "private/staff-only.html" in {p["url"] for p in document["pages"]}
    assert document["errors"] == []


def test_html_served_for_an_image_link_and_an_image_served_for_a_page_link(make_config) -> None:  # type: ignore[no-untyped-def]
    site = Site(
        {
            "/": Route("<a href='/photo?id=7'>photo</a><img src='/broken.jpg'>"),
            "/photo?id=7": Route(jpeg_bytes(), content_type="image/jpeg"),
            "/broken.jpg": Route("<html>not an image</html>"),
        }
    )
    with site.serve() as base:
        document = run_scan(make_config(base + "/")).document
    assets = {a["url"].removeprefix(base): a for a in document["assets"]}
    assert assets["/photo?id=7"]["type"] == "image" and assets["/photo?id=7"]["fetched"]
    assert assets["/broken.jpg"]["content_type"] == "text/html"
    assert site.hits["/photo?id=7"] == 1


def test_a_react_style_bundle_with_relative_media_paths(make_config) -> None:  # type: ignore[no-untyped-def]
    bundle = 'var e=n.p+"static/media/trip.4f3a9b.jpg",t=[n.p+"static/media/fair.77aa01.png"];'
    site = Site(
        {
            "/gallery/": Route('<div id="root"></div><script src="/static/js/main.8c1d.js"></script>'),
            "/static/js/main.8c1d.js": Route(bundle, content_type="application/javascript"),
            "/static/media/trip.4f3a9b.jpg": Route(jpeg_bytes(), content_type="image/jpeg"),
            "/static/media/fair.77aa01.png": Route(png_bytes(), content_type="image/png"),
        }
    )
    with site.serve() as base:
        document = run_scan(make_config(base + "/gallery/")).document
    # Both readings of the relative path were tried; only the one that exists is reported, and no error for the other.
    assert [a["url"].removeprefix(base) for a in document["assets"]] == [
        "/static/media/fair.77aa01.png",
        "/static/media/trip.4f3a9b.jpg",
    ]
    assert document["errors"] == []


def test_a_rescan_into_the_same_out_asks_before_downloading(make_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Unchanged files answer 304 to the validators kept from the previous scan and their kept copy is
    analysed; a changed file is downloaded; a file gone from the site leaves no copy behind."""
    first, second = jpeg_bytes(64, 48), png_bytes(32, 32)
    routes = {
        "/": Route("<img src='/etag.jpg'><img src='/dated.png'><img src='/plain.png'><img src='/gone.png'>"),
        "/etag.jpg": Route(first, content_type="image/jpeg", headers={"ETag": '"v1"'}),
        "/dated.png": Route(
            second, content_type="image/png", headers={"Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"}
        ),
        "/plain.png": Route(png_bytes(40, 40), content_type="image/png"),  # no validators: fetched again
        "/gone.png": Route(png_bytes(20, 20, (1, 2, 3)), content_type="image/png", headers={"ETag": '"g"'}),
    }
    site = Site(routes)
    with site.serve() as base:
        config = make_config(base + "/", out=tmp_path / "out")
        before = run_scan(config).document
        site.request_headers.clear()
        routes["/"] = Route("<img src='/etag.jpg'><img src='/dated.png'><img src='/plain.png'>")
        after = run_scan(config).document
        routes["/etag.jpg"] = Route(jpeg_bytes(80, 60), content_type="image/jpeg", headers={"ETag": '"v2"'})
        changed = run_scan(config).document
    asked = {path: headers for path, headers in site.request_headers}
    assert asked["/etag.jpg"].get("If-None-Match") == '"v1"'
    assert asked["/dated.png"].get("If-Modified-Since") == "Mon, 02 Nov 2026 10:00:00 GMT"
    assert "If-None-Match" not in asked["/plain.png"] and "If-Modified-Since" not in asked["/plain.png"]
    assert after["scan"]["not_modified"] == 2 and changed["scan"]["not_modified"] == 1
    sha = {a["url"].removeprefix(base): a["sha256"] for a in before["assets"]}
    assert {a["url"].removeprefix(base): a["sha256"] for a in after["assets"]} == {
        k: v for k, v in sha.items() if k != "/gone.png"
    }
    assert [a["status"] for a in after["assets"]] == [200, 200, 200]
    assert {f["id"] for f in after["findings"]} <= {f["id"] for f in before["findings"]}
    new_sha = next(a["sha256"] for a in changed["assets"] if a["url"].endswith("/etag.jpg"))
    assert new_sha != sha["/etag.jpg"]
    blobs = {p.name for p in (tmp_path / "out" / "blobs").rglob("*") if p.is_file()}
    assert sha["/gone.png"] not in blobs and sha["/etag.jpg"] not in blobs and new_sha in blobs


def test_a_private_seed_opens_its_own_address_not_the_whole_private_range(make_config) -> None:  # type: ignore[no-untyped-def]
    """An intranet page that points at another private address (the router, a metadata service) is refused."""
    other = Site({"/router.jpg": Route(jpeg_bytes(), content_type="image/jpeg")})
    with other.serve("127.0.0.2") as other_base:
        home = Site(
            {
                "/": Route(f"<img src='{other_base}/router.jpg'><img src='/own.jpg'>"),
                "/own.jpg": Route(jpeg_bytes(), content_type="image/jpeg"),
            }
        )
        with home.serve() as base:
            document = run_scan(make_config(base + "/")).document
    assert other.hits["/router.jpg"] == 0 and home.hits["/own.jpg"] == 1
    refused = next(e for e in document["errors"] if e["url"] == f"{other_base}/router.jpg")
    assert "private or reserved address" in refused["message"]


def test_a_finding_points_to_the_page_a_visitor_sees_not_a_probed_script_folder(make_config) -> None:  # type: ignore[no-untyped-def]
    """A single-page app answers every path, /_app/immutable/assets/ included, with its shell, so the folder probe
    finds the gallery's photo there too. The finding names the gallery page a visitor opens (it named the script
    folder, which sorts first)."""
    from auditor.pipeline import run_scan
    from tests.analyze import images
    from tests.server import Route, Site

    shell = "<html><body><a href='/gallery'>Gallery</a><img src='/_app/immutable/assets/trip.jpg'></body></html>"

    def fallback(_: int) -> Route:
        return Route(shell)

    routes = {
        "/": Route("<a href='/gallery'>Gallery</a>"),
        "/gallery": Route(shell),
        "/_app/immutable/assets/trip.jpg": Route(images.jpeg(lat=51.5, lon=-0.12), content_type="image/jpeg"),
        "/_app/immutable/assets/": Route("", dynamic=fallback),
        "/_app/immutable/": Route("", dynamic=fallback),
        "/_app/": Route("", dynamic=fallback),
        "/robots.txt": Route("", status=404),
    }
    with Site(routes).serve() as base:
        document = run_scan(make_config(base + "/")).document
    gps = next(f for f in document["findings"] if f["check"] == "gps_location")
    assert gps["page"] == base + "/gallery"
    photo = next(a for a in document["assets"] if a["url"].endswith("trip.jpg"))
    assert base + "/_app/immutable/assets/" in photo["found_on"]  # the probe's page is still listed


def test_a_photo_in_a_routes_script_chunk_names_the_route_as_its_page(make_config) -> None:  # type: ignore[no-untyped-def]
    """A SvelteKit gallery: the home page is an app shell that preloads the gallery route's chunk (as SvelteKit
    does for the routes it links from its menu, built on the client: no <a href='/gallery'> in the HTML), and the
    chunk names the photos. The photo's page is the route a visitor opens, /gallery (before: the chunk was not
    read at all, and a photo found through a script named the page that loaded it, or a probed script folder),
    and that route is crawled as a page of its own."""
    from auditor.pipeline import run_scan
    from tests.analyze import images
    from tests.server import Route, Site

    shell = (
        "<html><head><script type='module' src='/_app/immutable/start-8f2a1c9d.js'></script>"
        "<link rel='modulepreload' href='/_app/immutable/pages/gallery.svelte-3f9c2a7b.js'></head><body></body>"
    )
    start = "export function start(){document.body.dataset.ready='1'}"
    chunk = 'const photos=["/_app/immutable/assets/camp-4d5e6f7a.jpg"];export default photos;'

    def fallback(_: int) -> Route:
        return Route(shell)

    routes = {
        "/": Route(shell),
        "/gallery": Route(shell),
        "/_app/immutable/start-8f2a1c9d.js": Route(start, content_type="text/javascript"),
        "/_app/immutable/pages/gallery.svelte-3f9c2a7b.js": Route(chunk, content_type="text/javascript"),
        "/_app/immutable/assets/camp-4d5e6f7a.jpg": Route(images.jpeg(lat=51.5, lon=-0.12), content_type="image/jpeg"),
        "/_app/immutable/pages/": Route("", dynamic=fallback),
        "/_app/immutable/assets/": Route("", dynamic=fallback),
        "/_app/immutable/": Route("", dynamic=fallback),
        "/_app/": Route("", dynamic=fallback),
        "/robots.txt": Route("", status=404),
    }
    with Site(routes).serve() as base:
        document = run_scan(make_config(base + "/")).document
    gps = next(f for f in document["findings"] if f["check"] == "gps_location")
    assert gps["page"] == base + "/gallery"
    assert base + "/gallery" in {p["url"] for p in document["pages"]}
