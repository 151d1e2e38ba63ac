"""Seeding: the starting URLs at depth 0, and each seed origin's robots.txt, TDMRep and sitemaps (the pages a
sitemap lists enter at depth 1, the images it lists as assets)."""

from __future__ import annotations

from auditor.crawl.base import MAX_URLS_PER_SOURCE, CrawlBase, origin_of
from auditor.crawl.sitemaps import parse_sitemap
from auditor.crawl.urls import classify as classify_url
from auditor.crawl.urls import try_normalize
from auditor.errors import FetchError
from auditor.models import Discovery, UrlKind

MAX_SITEMAPS = 50


class Seeding(CrawlBase):
    async def _seed(self) -> None:
        """Seeds at depth 0; robots.txt, TDMRep and sitemaps of each seed origin (sitemap pages at depth 1)."""
        origins: dict[str, None] = {}
        with self.store.transaction():
            for i, seed in enumerate(self.config.seeds):
                self.store.add_page(seed, 0, 0, i)
                origins.setdefault(origin_of(seed), None)
        for origin in origins:
            robots = await self.hosts.robots(origin)
            if robots.status is None:
                self.progress.log(f"{origin}: {robots.refusal()}")
                continue  # nothing else there can be fetched either; the seed is reported as failed
            await self.hosts.tdmrep(origin)
            sitemaps = robots.sitemaps() if not self.config.ignore_robots else []
            defaults = ["/sitemap.xml", "/sitemap_index.xml"]  # the second is WordPress/Yoast's
            await self._sitemaps([u for s in [*sitemaps, *defaults] if (u := try_normalize(s, origin + "/"))])
        self.store.set_meta("seeded", True)

    async def _sitemaps(self, queue: list[str]) -> None:
        seen: set[str] = set()
        index = 0
        while queue and len(seen) < MAX_SITEMAPS and not self._out_of_time():
            url = try_normalize(queue.pop(0))
            if url is None or url in seen or not self.scope.page_in_scope(url):
                continue
            seen.add(url)
            try:
                response = await self.fetcher.get(
                    url, max_bytes=self.config.max_page_bytes, allow_redirect=self.scope.page_in_scope
                )
            except FetchError as exc:
                self.store.add_error(url, "fetch", f"sitemap: {exc.reason}")
                continue
            body = response.read(self.config.max_page_bytes) if response.status == 200 else b""
            response.discard()
            content = parse_sitemap(body)
            queue.extend(u for s in content.sitemaps if (u := try_normalize(s, url)))
            with self.store.transaction():
                # Sitemap pages are ranked first at depth 1, so no more than --max-pages of them can ever be
                # fetched: the rest are counted, not stored (a sitemap bomb lists millions).
                for raw in content.pages[:MAX_URLS_PER_SOURCE]:
                    page = try_normalize(raw, url)
                    if page and self.scope.page_in_scope(page) and self.config.max_depth >= 1:
                        if index >= self.config.max_pages:
                            self._dropped(1, "pages_dropped")
                            continue
                        self.store.add_page(page, 1, -1, index)
                        index += 1
                self._dropped(max(0, len(content.pages) - MAX_URLS_PER_SOURCE))
                self._dropped(max(0, len(content.images) - MAX_URLS_PER_SOURCE))
                for raw in content.images[:MAX_URLS_PER_SOURCE]:
                    image = try_normalize(raw, url)
                    if image:
                        kind: UrlKind = "document" if classify_url(image) == "document" else "image"
                        self._add_asset(Discovery(image, kind, "sitemap"), url)
