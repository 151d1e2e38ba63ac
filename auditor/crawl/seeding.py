"""Seeding: the starting URLs at depth 0, and for each seed origin its robots.txt, its TDMRep file and every
registered crawl source (:mod:`auditor.crawl.sources`: sitemaps first), each given what it may use."""

from __future__ import annotations

from auditor.crawl.base import CrawlBase, origin_of
from auditor.crawl.sources import REGISTRY as SOURCES
from auditor.crawl.sources import SourceContext


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
            context = SourceContext(
                origin,
                self.config,
                self.store,
                self.fetcher,
                self.scope,
                robots.sitemaps() if not self.config.ignore_robots else [],
                self._add_asset,
                self._dropped,
                self._out_of_time,
                self._allowed,
            )
            for source in SOURCES.values():  # sitemaps, and every other registered source (auditor/crawl/sources)
                await source.discover(context)
        self.store.set_meta("seeded", True)
