"""What every part of the crawl shares: the scan's settings, store, fetcher, scope, per-host facts, the clock of
the time budget and the progress counters. The loop (:mod:`auditor.crawl.crawler`), seeding
(:mod:`auditor.crawl.seeding`), asset fetching (:mod:`auditor.crawl.assets`) and scripts and stylesheets
(:mod:`auditor.crawl.resources`) are each one module built on it."""

from __future__ import annotations

import time

import httpx

from auditor.config import ScanConfig
from auditor.crawl.fetch import Fetcher
from auditor.crawl.render import Renderer
from auditor.crawl.scope import Scope
from auditor.crawl.site import HostFacts
from auditor.models import Discovery
from auditor.progress import Counters, NullProgress, Progress
from auditor.store import Store

# URLs taken from one page, script, stylesheet or sitemap (the sitemap protocol's own limit is 50,000).
MAX_URLS_PER_SOURCE = 50_000


def origin_of(url: str) -> str:
    """``https://school.org/a/b`` → ``https://school.org``."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


class CrawlBase:
    """The crawl's shared state. ``share_transport`` routes share-link checks (tests only)."""

    def __init__(
        self,
        config: ScanConfig,
        store: Store,
        fetcher: Fetcher,
        renderer: Renderer | None,
        progress: Progress | None = None,
        share_transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.renderer = renderer
        self.progress = progress or NullProgress()
        self.share_transport = share_transport
        self._known_at = 0.0
        self.scope = Scope(config.seeds, config.allow_hosts, config.include, config.exclude)
        for host in store.get_meta("adopted_hosts") or []:
            self.scope.adopt(host)
        self.hosts = HostFacts(store, fetcher)
        self.counters = Counters()
        self._claimed: set[str] = set()
        self._started = time.monotonic()
        self._render_warned = False
        self.render_seconds = 0.0  # summed over pages (several render at once)
        self._assets = store.asset_count()  # kept up to date here: counting the table per discovery is quadratic

    def _add_asset(self, d: Discovery, page: str) -> bool:
        """Record an asset unless ``--max-assets`` is reached; what is dropped is counted (the audit is then
        incomplete: a site, a sitemap or a script listing half a million pictures cannot swamp the store)."""
        added = self.store.add_asset(d, page, allow_new=self._assets < self.config.max_assets)
        if added == "refused":
            self._dropped(1)
            return False
        self._assets += added == "new"
        return True

    def _dropped(self, count: int, key: str = "discoveries_dropped") -> None:
        """Count discoveries not kept; call inside the transaction that would have kept them (resume-safe).
        ``pages_dropped``: sitemap pages past ``--max-pages``, reported with the pages that limit skipped."""
        if count:
            self.store.set_meta(key, int(self.store.get_meta(key) or 0) + count)

    async def _allowed(self, url: str) -> bool:
        if self.config.ignore_robots or not self.scope.on_site(url):
            return True
        return (await self.hosts.robots(origin_of(url))).allows(url)

    def _out_of_time(self) -> bool:
        return time.monotonic() - self._started > self.config.max_duration

    def _refresh_counters(self) -> None:
        self.counters.pages = self.store.pages_crawled()
        self.counters.assets = self.store.assets_fetched()
        self.counters.errors = self.store.error_count()
        self._known()
        self.progress.update(self.counters)

    def _known(self) -> None:
        """How many pages and assets are known so far (for "done of known" and the time left), at most once a
        second: two counts over the store."""
        now = time.monotonic()
        if now - self._known_at >= 1.0:
            self._known_at = now
            self.counters.pages_known, self.counters.assets_known = self.store.known_counts()
            self.counters.pages_cap, self.counters.assets_cap = self.config.max_pages, self.config.max_assets

    def _tick(self, pages: int = 0, assets: int = 0, errors: int = 0) -> None:
        self.counters.pages += pages
        self.counters.assets += assets
        self.counters.errors += errors
        self.counters.requests = self.fetcher.requests
        self._known()
        self.progress.update(self.counters)
