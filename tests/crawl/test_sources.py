"""Crawl sources as units: a source is built with exactly what it may use (a :class:`SourceContext`), so it can be
tested against a real server without a crawl around it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from auditor.config import ScanConfig
from auditor.crawl.fetch import Fetcher
from auditor.crawl.scope import Scope
from auditor.crawl.sources import REGISTRY, SourceContext
from auditor.models import Discovery
from auditor.pipeline import run_scan
from auditor.store import Store
from tests.analyze import images
from tests.server import Route, Site

INDEX = """<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/pages.xml</loc></sitemap><sitemap><loc>https://elsewhere.example/s.xml</loc></sitemap>
</sitemapindex>"""
PAGES = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
<url><loc>{base}/a</loc><image:image><image:loc>{base}/i.jpg</image:loc></image:image></url>
<url><loc>{base}/b</loc></url><url><loc>{base}/c</loc></url><url><loc>https://elsewhere.example/x</loc></url>
</urlset>"""


def _discover(
    base: str, tmp_path: Path, source: str = "sitemaps", allowed: bool = True, **settings: object
) -> tuple[Store, list[tuple[Discovery, str]], dict[str, int]]:
    config = ScanConfig(seeds=(base + "/",), out=tmp_path / "out", rate=200.0, timeout=5.0, **settings)  # type: ignore[arg-type]
    store = Store(tmp_path / "out")
    assets: list[tuple[Discovery, str]] = []
    dropped: dict[str, int] = {}

    async def robots(url: str) -> bool:
        return allowed

    def add(discovery: Discovery, page: str) -> bool:
        assets.append((discovery, page))
        return True

    async def run() -> None:
        async with Fetcher(config, store.tmp) as fetcher:
            context = SourceContext(
                base,
                config,
                store,
                fetcher,
                Scope(config.seeds),
                [],
                add,
                lambda n, key: dropped.__setitem__(key, dropped.get(key, 0) + n),
                lambda: False,
                robots,
            )
            await REGISTRY[source].discover(context)

    asyncio.run(run())
    return store, assets, dropped


def test_the_sitemaps_source_queues_listed_pages_and_images_within_scope(tmp_path: Path) -> None:
    site = Site({"/robots.txt": Route("", status=404)})
    with site.serve() as base:
        site.routes["/sitemap_index.xml"] = Route(INDEX.format(base=base), content_type="application/xml")
        site.routes["/pages.xml"] = Route(PAGES.format(base=base), content_type="application/xml")
        store, assets, dropped = _discover(base, tmp_path, max_pages=2)
    try:
        queued = [item.url for item in store.next_level(100) if item.depth == 1]
    finally:
        store.close()
    # /sitemap.xml is missing (an error, not a stop); the index's own sitemap is read, the other site's is not.
    assert site.hits["/sitemap.xml"] == 1 and site.hits["/pages.xml"] == 1
    assert queued == [f"{base}/a", f"{base}/b"]  # --max-pages 2: the third listed page is counted, not stored
    assert dropped == {"pages_dropped": 1, "discoveries_dropped": 0}
    assert [(d.url, d.via, page) for d, page in assets] == [(f"{base}/i.jpg", "sitemap", f"{base}/pages.xml")]


def test_sitemaps_are_the_first_registered_source() -> None:
    assert next(iter(REGISTRY)) == "sitemaps"


def _drupal_files(base: str, files: list[tuple[str, str]], offset: int, total: int | None) -> str:
    """One page of Drupal's ``/jsonapi/file/file`` (JSON:API 1.0 as Drupal core writes it; the shape of a real
    answer, the files made up): 2 files a page here, ``links.next`` while more remain."""
    data = [
        {
            "type": "file--file",
            "id": f"uuid-{offset + i}",
            "attributes": {
                "drupal_internal__fid": offset + i + 1,
                "filename": path.rsplit("/", 1)[-1],
                "uri": {"value": "public://" + path.split("/files/", 1)[-1], "url": path},
                "filemime": mime,
                "status": True,
            },
        }
        for i, (path, mime) in enumerate(files[offset : offset + 2])
    ]
    links: dict[str, object] = {"self": {"href": f"{base}/jsonapi/file/file?page%5Boffset%5D={offset}"}}
    if offset + 2 < len(files):
        links["next"] = {"href": f"{base}/jsonapi/file/file?page%5Boffset%5D={offset + 2}&page%5Blimit%5D=2"}
    document: dict[str, object] = {"jsonapi": {"version": "1.0"}, "data": data, "links": links}
    if total is not None:
        document["meta"] = {"count": total}
    return json.dumps(document)


def test_drupal_s_file_list_is_read_and_a_file_no_page_shows_is_reported(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    """A Drupal site with JSON:API on lists every file; the one no page shows (with GPS) is found, read, and
    reported as an upload no page shows; a stylesheet in the list is not an asset; the count is recorded."""
    files = [
        ("/sites/default/files/2024-05/sports.jpg", "image/jpeg"),
        ("/sites/default/files/2024-05/old-trip.jpg", "image/jpeg"),
        ("/sites/default/files/notes.txt", "text/plain"),
    ]
    site = Site(
        {
            "/robots.txt": Route("User-agent: *\nDisallow: /admin/\n", content_type="text/plain"),
            "/": Route('<html><body><img src="/sites/default/files/2024-05/sports.jpg" alt="sports"></body></html>'),
            files[0][0]: Route(images.jpeg(), content_type="image/jpeg"),
            files[1][0]: Route(images.jpeg(lat=51.5014, lon=-0.1419), content_type="image/jpeg"),
        }
    )
    with site.serve() as base:
        for offset in (0, 2):
            body = _drupal_files(base, files, offset, 3 if offset == 0 else None)
            query = f"?page%5Blimit%5D=2&page%5Boffset%5D={offset}" if offset else ""  # as the crawler sorts it
            site.routes["/jsonapi/file/file" + query] = Route(body, content_type="application/vnd.api+json")
        document = run_scan(make_config(base + "/")).document
    (record,) = [r for r in document["scan"]["sources"] if r["source"] == "drupal_files"]
    assert record == {
        "source": "drupal_files",
        "origin": base,
        "url": f"{base}/jsonapi/file/file",
        "announced": 3,
        "reached": 3,
    }
    by_url = {a["url"]: a for a in document["assets"]}
    assert "api" in by_url[base + files[1][0]]["found_via"] and base + files[2][0] not in by_url
    (unlisted,) = [f for f in document["findings"] if f["check"] == "unlisted_upload"]
    assert unlisted["asset"] == base + files[1][0]
    assert unlisted["evidence"]["listed_by"] == "the Drupal JSON:API file list" and "JSON:API" in unlisted["advice"]
    assert {f["asset"] for f in document["findings"] if f["check"] == "gps_location"} == {base + files[1][0]}


def test_a_drupal_list_cut_by_a_limit_judges_no_file_as_unshown(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    """The file list says nothing of where a file is used: when --max-pages stopped the crawl before every page it
    found, a page not reached may show the file, so no file is called unshown."""
    files = [("/sites/default/files/a.jpg", "image/jpeg"), ("/sites/default/files/b.jpg", "image/jpeg")]
    site = Site(
        {
            "/robots.txt": Route("", status=404),
            "/": Route('<a href="/p1">1</a><a href="/p2">2</a><a href="/p3">3</a>'),
            "/p1": Route("<p>one</p>"),
            "/p2": Route("<p>two</p>"),
            "/p3": Route('<img src="/sites/default/files/b.jpg">'),
            files[0][0]: Route(images.jpeg(), content_type="image/jpeg"),
            files[1][0]: Route(images.jpeg(), content_type="image/jpeg"),
        }
    )
    with site.serve() as base:
        site.routes["/jsonapi/file/file"] = Route(_drupal_files(base, files, 0, None), content_type="application/json")
        cut = run_scan(make_config(base + "/", max_pages=2, out=tmp_path / "cut")).document
        whole = run_scan(make_config(base + "/", out=tmp_path / "whole")).document
    assert not [f for f in cut["findings"] if f["check"] == "unlisted_upload"]
    assert [f["asset"] for f in whole["findings"] if f["check"] == "unlisted_upload"] == [base + files[0][0]]


def test_robots_txt_that_disallows_the_drupal_api_is_honoured_and_said(tmp_path: Path) -> None:
    site = Site({"/robots.txt": Route("", status=404)})
    with site.serve() as base:
        site.routes["/jsonapi/file/file"] = Route(_drupal_files(base, [], 0, 0), content_type="application/json")
        store, assets, _ = _discover(base, tmp_path, source="drupal_files", allowed=False)
    try:
        (record,) = store.get_meta("sources")
    finally:
        store.close()
    assert site.hits["/jsonapi/file/file"] == 0 and assets == []
    assert record["source"] == "drupal_files" and record["note"].startswith("not read: robots.txt disallows")
