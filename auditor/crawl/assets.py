"""Fetching assets: every image and document the pages use, wherever it is hosted (robots.txt of its host
permitting), with conditional requests for copies kept from the previous scan; then one HEAD per guessed CMS
original."""

from __future__ import annotations

import asyncio

from auditor.crawl.base import CrawlBase, origin_of
from auditor.crawl.fetch import Response
from auditor.crawl.hls import (
    MAX_PLAYLIST_BYTES,
    Joined,
    NotPlayable,
    best_rendition,
    dash_segments,
    is_manifest,
    is_playlist,
    media_playlist,
)
from auditor.crawl.urls import try_normalize
from auditor.errors import FetchError, TooLargeError
from auditor.models import Discovery, FetchedAsset, PreviousCopy

STREAM_MAX_SECONDS = 120.0  # footage read from a stream: its first two minutes (a file is read whole, up to its cap)


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
        video = self.store.asset_type(url) == "video"
        partial = None
        try:
            try:
                response = await self.fetcher.get(
                    url,
                    max_bytes=self.config.max_video_bytes if video else self.config.max_bytes,
                    allow_redirect=lambda _: True,
                    validators=validators,
                )
            except TooLargeError:
                if not video:
                    raise
                # A video over the cap: its first part (where a web-ready MP4 keeps its index) is read, and the
                # rest is said to be unread.
                cap = self.config.max_video_bytes
                response = await self.fetcher.get(
                    url, max_bytes=cap, allow_redirect=lambda _: True, validators={"Range": f"bytes=0-{cap - 1}"}
                )
                partial = (
                    f"only the first {cap:,} bytes were read (--max-video-bytes); the rest of the video was not checked"
                )
        except FetchError as exc:
            speculative = self.store.is_speculative(url)
            with self.store.transaction():
                self.store.set_asset_state(url, "error")
                if not speculative:
                    self.store.add_error(url, "fetch", exc.reason)
            self._tick(errors=1)
            return
        head = response.read(4096) if video and response.status == 200 and response.path is not None else b""
        if is_playlist(head) or is_manifest(head):
            try:
                response, partial = await self._stream(url, response)
            except (FetchError, NotPlayable) as exc:
                reason = exc.reason if isinstance(exc, FetchError) else f"a video stream that was not read: {exc}"
                with self.store.transaction():
                    self.store.set_asset_state(url, "error")
                    self.store.add_error(url, "fetch", reason)
                self._tick(errors=1)
                return
        try:
            with self.store.transaction():
                self._store_asset_response(url, response, previous)
                if partial is not None and response.status in (200, 206):  # a range read, or a stream's first part
                    self.store.add_error(url, "read", partial)
                else:
                    self.store.clear_error(url, "read")
        finally:
            response.discard()
        self._tick(assets=1)

    async def _stream(self, url: str, playlist: Response) -> tuple[Response, str | None]:
        """An HLS playlist's or DASH manifest's best rendition's first segments, joined into one file (see
        :mod:`auditor.crawl.hls`);
        kept under the playlist's URL, as what a visitor's player shows."""
        assert playlist.path is not None
        folder = playlist.path.parent
        body = playlist.read(MAX_PLAYLIST_BYTES)
        base = playlist.final_url
        playlist.discard()
        seconds = min(self.config.video_max_seconds, STREAM_MAX_SECONDS)
        if is_manifest(body[:4096]):
            media = dash_segments(body, base, seconds)
        else:
            text = body.decode("utf-8", "replace")
            variant = best_rendition(text, base)
            if variant is not None:
                text, base = await self._playlist_text(variant), variant
            media = media_playlist(text, base, seconds)
        joined = Joined(folder)
        cut, seconds_read = media.more, 0.0
        parts = [*([(media.init, 0.0)] if media.init else []), *media.segments]
        try:
            for part, length in parts:
                room = self.config.max_video_bytes - joined.size
                if room <= 0:
                    cut = True
                    break
                if not await self._allowed(part):
                    raise NotPlayable(f"robots.txt disallows its segment {part}")
                try:
                    segment = await self.fetcher.get(part, max_bytes=room, allow_redirect=lambda _: True)
                except FetchError:
                    if joined.size and part != media.init:
                        cut = True
                        break  # the first segments are what is read; one over the size limit ends the reading
                    raise
                try:
                    if segment.status != 200:
                        raise NotPlayable(f"its segment {part} answered HTTP {segment.status}")
                    joined.add(segment.read(room))
                    seconds_read += length
                finally:
                    segment.discard()
            sha256 = joined.close()
        except BaseException:
            joined.discard()
            raise
        kind = "video/mp4" if media.init else "video/mp2t"
        note = (
            f"only the first {seconds_read:.0f} s of the stream were read (its first segments, up to "
            f"{STREAM_MAX_SECONDS:.0f} s and --max-video-bytes); the rest of the video was not checked"
            if cut
            else None
        )
        return Response(url, playlist.final_url, 200, {"content-type": kind}, joined.size, sha256, joined.path), note

    async def _playlist_text(self, url: str) -> str:
        if not await self._allowed(url):
            raise NotPlayable(f"robots.txt disallows its rendition {url}")
        response = await self.fetcher.get(url, max_bytes=MAX_PLAYLIST_BYTES, allow_redirect=lambda _: True)
        try:
            if response.status != 200:
                raise NotPlayable(f"its rendition {url} answered HTTP {response.status}")
            return response.read(MAX_PLAYLIST_BYTES).decode("utf-8", "replace")
        finally:
            response.discard()

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
