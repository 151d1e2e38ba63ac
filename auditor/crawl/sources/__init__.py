"""Crawl sources: where a scraper finds a site's pictures besides its links (sitemaps; a CMS's public API).

Each module of this package declares ``SOURCE`` (a :class:`Source`: a name, an order and an async ``discover``
that reads one origin of the site). Seeding calls every registered source for each seed origin after robots.txt,
handing it a :class:`SourceContext` with exactly what a source may use: fetching within the scan's scope and caps
(errors recorded against the URL), adding pages and assets (capped and counted like every other discovery), and
the clock of the time budget. Adding a source is adding one module (and its test); nothing else is wired.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.config import ScanConfig
from auditor.crawl.fetch import Fetcher
from auditor.crawl.scope import Scope
from auditor.errors import FetchError
from auditor.models import Discovery
from auditor.store import Store


@dataclass(slots=True)
class SourceContext:
    """What a source may use for one origin (``https://school.example``). ``sitemaps``: the sitemaps robots.txt
    names (none under ``--ignore-robots``)."""

    origin: str
    config: ScanConfig
    store: Store
    fetcher: Fetcher
    scope: Scope
    sitemaps: list[str]
    add_asset: Callable[[Discovery, str], bool]
    dropped: Callable[[int, str], None]
    out_of_time: Callable[[], bool]
    allowed: Callable[[str], Awaitable[bool]]  # robots.txt (always true under --ignore-robots)
    pages_added: int = field(default=0)

    async def fetch(self, url: str, what: str) -> tuple[int, bytes, dict[str, str]] | None:
        """GET an in-scope ``url`` (redirects only within scope) as the crawl would: (status, body up to the page
        size cap, headers with lower-case names), or ``None`` after recording why it failed (``what`` names the
        source in the error)."""
        try:
            response = await self.fetcher.get(
                url, max_bytes=self.config.max_page_bytes, allow_redirect=self.scope.page_in_scope
            )
        except FetchError as exc:
            self.store.add_error(url, "fetch", f"{what}: {exc.reason}")
            return None
        body = response.read(self.config.max_page_bytes) if response.status == 200 else b""
        response.discard()
        return response.status, body, dict(response.headers)

    async def fetch_json(self, url: str, what: str) -> tuple[Any, dict[str, str]] | None:
        """``fetch``, then the body as JSON: (document, headers), or ``None`` when it did not answer 200 with JSON
        (the error, if any, recorded by ``fetch``). Every API source reads the site's JSON this way."""
        answer = await self.fetch(url, what)
        if answer is None or answer[0] != 200:
            return None
        try:
            return json.loads(answer[1]), answer[2]
        except ValueError:
            return None

    def report(self, record: dict[str, Any]) -> None:
        """What this source read at this origin, for ``findings.json``'s ``scan.sources`` (``source`` and
        ``origin`` identify it; a second report of the same replaces the first, so a resumed scan says it once)."""
        kept = [
            r
            for r in self.store.get_meta("sources") or []
            if (r.get("source"), r.get("origin")) != (record["source"], record["origin"])
        ]
        self.store.set_meta("sources", [*kept, record])

    def add_page(self, url: str) -> bool:
        """Queue a page this source lists, at depth 1, ranked before the links pages give. No more than
        ``--max-pages`` pages can ever be fetched, so the rest are counted (``pages_dropped``), not stored: a
        sitemap bomb lists millions. Call inside a store transaction."""
        if not self.scope.page_in_scope(url) or self.config.max_depth < 1:
            return False
        if self.pages_added >= self.config.max_pages:
            self.dropped(1, "pages_dropped")
            return False
        self.store.add_page(url, 1, -1, self.pages_added)
        self.pages_added += 1
        return True


@dataclass(frozen=True, slots=True)
class Source:
    """A crawl source: its name (in errors and the README), when it runs among the others, and ``discover``."""

    name: str
    order: int
    discover: Callable[[SourceContext], Awaitable[None]]


def _discover() -> dict[str, Source]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if isinstance(getattr(module, "SOURCE", None), Source):
            found.append(module.SOURCE)
    return {s.name: s for s in sorted(found, key=lambda s: (s.order, s.name))}


REGISTRY: dict[str, Source] = _discover()
