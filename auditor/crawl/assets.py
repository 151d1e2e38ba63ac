"""Fetching assets: every image and document the pages use, wherever it is hosted (robots.txt of its host
permitting), with conditional requests for copies kept from the previous scan; then one HEAD per guessed CMS
original."""

from __future__ import annotations

import asyncio

from auditor.crawl.base import CrawlBase, origin_of
from auditor.crawl.fetch import Response
from auditor.crawl.urls import try_normalize
from auditor.errors import FetchError
from auditor.models import Discovery, FetchedAsset, PreviousCopy


class AssetFetching(CrawlBase):
    async def _fetch_assets_and_originals(self) -> None:
        await self._fetch_pending_assets()
        await self._probe_guesses()
        await self._fetch_pending_assets()

    async def _fetch_pending_assets(self) -> None:
        pending = self.store.pending_assets()
        semaphore = asyncio.Semaphore(self.config.concurrency)

        async def one(url: str) -> None:
            async with semaphore:
                if not self._out_of_time():
                    await self._asset(url)

        await asyncio.gather(*(one(u) for u in pending))

    async def _asset(self, url: str) -> None:
        if not await self._allowed(url):
            refusal = (await self.hosts.robots(origin_of(url))).refusal()
            with self.store.transaction():
                self.store.set_asset_state(url, "error" if refusal else "robots")
                self.store.add_error(
                    url,
                    "fetch",
                    refusal
                    or "not fetched: robots.txt disallows it; browsers and "
                    "scrapers that ignore robots.txt can still download it",
                )
            self._tick(errors=1)
            return
        previous = self.store.previous_asset(url)
        validators = {}
        if previous is not None and previous.etag:
            validators["If-None-Match"] = previous.etag
        if previous is not None and previous.last_modified:
            validators["If-Modified-Since"] = previous.last_modified
        try:
            video = self.store.asset_type(url) == "video"
            response = await self.fetcher.get(
                url,
                max_bytes=self.config.max_video_bytes if video else self.config.max_bytes,
                allow_redirect=lambda _: True,
                validators=validators,
            )
        except FetchError as exc:
            speculative = self.store.is_speculative(url)
            with self.store.transaction():
                self.store.set_asset_state(url, "error")
                if not speculative:
                    self.store.add_error(url, "fetch", exc.reason)
            self._tick(errors=1)
            return
        try:
            with self.store.transaction():
                self._store_asset_response(url, response, previous)
        finally:
            response.discard()
        self._tick(assets=1)

    async def _probe_guesses(self) -> None:
        """One HEAD per guessed original; those that exist become assets found ``via: guessed``."""
        rows = self.store.pending_guesses()
        semaphore = asyncio.Semaphore(self.config.concurrency)

        async def one(url: str, of_url: str) -> None:
            async with semaphore:
                status, is_image = None, False
                known = self.store.is_asset(url)
                if not known and await self._allowed(url):
                    try:
                        response = await self.fetcher.get(
                            url, max_bytes=0, method="HEAD", allow_redirect=lambda _: True
                        )
                        status, is_image = response.status, response.content_type.startswith("image/")
                        response.discard()
                    except FetchError:
                        pass  # a guess that fails is simply not there
                with self.store.transaction():
                    self.store.finish_guess(url, status)
                    if known or (status == 200 and is_image):
                        self.store.add_variants(of_url, [of_url, url], "guessed")
                    # A server that does not answer HEAD (405/501) gets the guess as a speculative asset: one GET,
                    # and dropped from the results if it turns out not to exist.
                    no_head = status in (405, 501)
                    if ((status == 200 and is_image) or no_head) and not known:
                        for page in self.store.pages_of(of_url):
                            self._add_asset(Discovery(url, "image", "guessed", speculative=no_head), page)

        await asyncio.gather(*(one(u, o) for u, o in rows))

    def _store_asset_response(self, url: str, response: Response, previous: PreviousCopy | None = None) -> None:
        """Keep the body as a blob and record the answer (a 304 keeps the previous scan's copy)."""
        if response.status == 304 and previous is not None:  # unchanged since the last scan: its copy is kept
            self.store.record_not_modified(
                url,
                previous,
                response.headers.get("last-modified", previous.last_modified),
                response.headers.get("etag", previous.etag),
            )
            self.store.clear_error(url, "fetch")
            return
        ok = 200 <= response.status < 300 and response.path is not None
        if ok:
            assert response.path is not None
            self.store.keep_blob(response.path, response.sha256)
            response.path = None
        noai = any(t in response.headers.get("x-robots-tag", "").lower() for t in ("noai", "noimageai"))
        fetched = FetchedAsset(
            response.status,
            try_normalize(response.final_url),
            response.content_type,
            response.size if ok else None,
            response.sha256 if ok else None,
            noai,
            response.headers.get("last-modified"),
            response.headers.get("etag"),
        )
        self.store.record_fetched(url, fetched)
        self.store.clear_error(url, "fetch")
