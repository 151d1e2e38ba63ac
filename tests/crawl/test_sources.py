"""Crawl sources as units: a source is built with exactly what it may use (a :class:`SourceContext`), so it can be
tested against a real server without a crawl around it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from auditor.config import ScanConfig
from auditor.crawl.fetch import Fetcher
from auditor.crawl.scope import Scope
from auditor.crawl.sources import REGISTRY, SourceContext
from auditor.models import Discovery
from auditor.store import Store
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
    base: str, tmp_path: Path, **settings: object
) -> tuple[Store, list[tuple[Discovery, str]], dict[str, int]]:
    config = ScanConfig(seeds=(base + "/",), out=tmp_path / "out", rate=200.0, timeout=5.0, **settings)  # type: ignore[arg-type]
    store = Store(tmp_path / "out")
    assets: list[tuple[Discovery, str]] = []
    dropped: dict[str, int] = {}

    async def allowed(url: str) -> bool:
        return True

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
                allowed,
            )
            await REGISTRY["sitemaps"].discover(context)

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
