"""Per-host facts fetched once and kept in the store: robots.txt and TDMRep (``/.well-known/tdmrep.json``)."""

from __future__ import annotations

import asyncio
import json

from auditor.crawl.fetch import Fetcher
from auditor.crawl.robots import MAX_ROBOTS_BYTES, RobotsPolicy
from auditor.errors import FetchError
from auditor.store import Store

_TEXT_LIMIT = 4 * MAX_ROBOTS_BYTES


class HostFacts:
    """Lazily fetches and caches robots.txt (and, for seed hosts, TDMRep) per ``scheme://host``."""

    def __init__(self, store: Store, fetcher: Fetcher) -> None:
        self.store = store
        self.fetcher = fetcher
        self._robots: dict[str, RobotsPolicy] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def _text(self, url: str) -> tuple[int | None, str]:
        """(status, body); (None, why) when the server could not be reached."""
        try:
            response = await self.fetcher.get(url, max_bytes=_TEXT_LIMIT, allow_redirect=lambda _: True)
        except FetchError as exc:
            return None, exc.reason
        try:
            return response.status, response.read(_TEXT_LIMIT).decode("utf-8", "replace")
        finally:
            response.discard()

    async def robots(self, origin: str) -> RobotsPolicy:
        """The robots policy of ``origin`` (e.g. ``https://school.org``), fetched at most once per store."""
        if origin in self._robots:
            return self._robots[origin]
        async with self._locks.setdefault(origin, asyncio.Lock()):
            if origin in self._robots:
                return self._robots[origin]
            known = self.store.robots_txt(origin)
            if known is None:
                status, text = await self._text(origin + "/robots.txt")
                self.store.put_robots_txt(origin, status, text)
            else:
                status, text = known
            policy = RobotsPolicy(
                text if status == 200 else "", status, unreachable=(text or "no answer") if status is None else None
            )
            delay = policy.crawl_delay()
            if delay:
                self.fetcher.set_crawl_delay(origin.split("://", 1)[1], delay)
            self._robots[origin] = policy
            return policy

    def known_allows(self, url: str) -> bool:
        """Whether robots.txt lets ``url`` be fetched, from the policies already read (no request: for the
        browser's own requests, which cannot wait). A host whose robots.txt was not read yet is allowed."""
        scheme, rest = url.split("://", 1)
        policy = self._robots.get(f"{scheme}://{rest.split('/', 1)[0]}")
        return policy is None or policy.allows(url)

    async def tdmrep(self, origin: str) -> tuple[int | None, object]:
        """(status, parsed JSON or None) of the origin's TDMRep file, fetched at most once per store."""
        known = self.store.tdmrep(origin)
        if known is None:
            status, text = await self._text(origin + "/.well-known/tdmrep.json")
            self.store.put_tdmrep(origin, status, text)
        else:
            status, text = known
        try:
            return status, json.loads(text) if status == 200 else None
        except ValueError:
            return status, None
