"""The crawl loop: breadth-first by depth, one level at a time, so two scans of one site agree.

Order is deterministic: a page's rank comes from its parent's rank and its position on the parent page, the
pages of a level are ranked before any is fetched, and ``--max-pages`` cuts by rank. Pages of a level are
fetched concurrently; each page's discoveries (assets, share links, next-level pages) are committed in one
transaction together with the page's "done" mark, so a scan killed anywhere resumes where it stopped. After
each level the assets it discovered are fetched; share links are classified at the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from auditor.crawl.assets import AssetFetching
from auditor.crawl.base import MAX_URLS_PER_SOURCE, origin_of
from auditor.crawl.extract import extract_html
from auditor.crawl.fetch import Response
from auditor.crawl.originals import guess_originals
from auditor.crawl.resources import Resources
from auditor.crawl.seeding import Seeding
from auditor.crawl.sharelinks import check_all, match_provider
from auditor.crawl.urls import ASSET_KINDS, host_of, parent_directories, try_normalize
from auditor.crawl.urls import classify as classify_url
from auditor.errors import BrowserUnavailable, FetchError, RenderError
from auditor.models import Discovery, Extraction
from auditor.store import FrontierItem

HTML_TYPES = ("text/html", "application/xhtml+xml", "")
DOCUMENT_TYPE_PREFIXES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats",
    "application/vnd.ms-",
    "application/vnd.oasis.opendocument",
    "application/rtf",
)


def asset_type_for(content_type: str) -> str | None:
    """``image``/``document`` when a response's Content-Type says it is one, else ``None``."""
    if content_type.startswith("image/"):
        return "image"
    return "document" if content_type.startswith(DOCUMENT_TYPE_PREFIXES) else None


class Crawler(Seeding, AssetFetching, Resources):
    """Runs (or resumes) the crawl of one store: the loop over levels and the pages of each level. Seeding,
    assets, scripts and stylesheets are the other modules of this package (see :mod:`auditor.crawl.base`)."""

    # -- the loop -----------------------------------------------------------------------------------------------
    async def run(self) -> None:
        for host in self.store.get_meta("adopted_hosts") or []:  # a resumed scan: hosts a seed redirected to
            await self.fetcher.guard.allow_host(host.split(":")[0])
        if not self.store.get_meta("seeded"):
            await self._seed()
        self._refresh_counters()
        semaphore = asyncio.Semaphore(self.config.concurrency)

        async def one(item: FrontierItem) -> None:
            async with semaphore:
                if not self._out_of_time():  # the budget holds inside a level too; the rest stays pending
                    await self._page(item)

        while not self._out_of_time() and (items := self.store.next_level(self.config.max_pages)):
            await asyncio.gather(*(one(item) for item in items))
            await self._fetch_assets_and_originals()
        if self._out_of_time():
            self._stop_for_time()
            return
        await self._fetch_assets_and_originals()
        posters = await check_all(self.store, self.config, self.fetcher.guard, self.share_transport)
        if posters:  # a public YouTube or Vimeo video's poster frame: one more image of the pages that embed it
            found_on = {url: pages for url, *_, pages in self.store.share_links()}
            with self.store.transaction():
                for link, poster in posters:
                    for page in found_on.get(link, []):
                        self._add_asset(Discovery(poster, "image", "share_link"), page)
            await self._fetch_pending_assets()

    def _stop_for_time(self) -> None:
        """The time budget is spent: what is left is recorded as skipped (the report says so; exit status 3)."""
        self.store.skip_pending_for_time()
        self.progress.log(f"time budget of {self.config.max_duration:.0f}s spent; the rest is skipped")

    async def _page(self, item: FrontierItem) -> None:
        url = item.url
        if not await self._allowed(url):
            refusal = (await self.hosts.robots(origin_of(url))).refusal()
            with self.store.transaction():
                # An unreachable host is a failed fetch, not a rule of the site's: the page is done, unanswered.
                self.store.set_page_state(url, "done" if refusal else "robots")
                if not item.probe:
                    self.store.add_error(
                        url,
                        "fetch",
                        refusal
                        or "not fetched: robots.txt disallows it (use --ignore-robots when auditing your own site)",
                    )
            self._tick(errors=0 if item.probe else 1)
            return
        allow: Callable[[str], bool] = (lambda _: True) if item.depth == 0 else self.scope.page_in_scope
        try:
            response = await self.fetcher.get(
                url,
                max_bytes=self.config.max_page_bytes,
                allow_redirect=allow,
                accept="text/html,application/xhtml+xml,*/*;q=0.8",
                site_redirects=item.depth == 0,
            )
        except FetchError as exc:
            with self.store.transaction():
                self.store.set_page_state(url, "done")
                if not item.probe:
                    self.store.add_error(url, "fetch", exc.reason)
            self._tick(errors=0 if item.probe else 1)
            return
        try:
            await self._handle_page(item, response)
        finally:
            response.discard()

    async def _handle_page(self, item: FrontierItem, response: Response) -> None:
        final = try_normalize(response.final_url) or item.url
        if item.depth == 0 and not self.scope.page_in_scope(final):
            self.scope.adopt(final)
            self.store.set_meta("adopted_hosts", sorted(self.scope.hosts))
            self.progress.log(f"{item.url} redirects to {host_of(final)}; that host is now in scope")
        ctype = response.content_type
        extraction: Extraction | None = None
        duplicate = final != item.url and (final in self._claimed or self.store.page_done(final))
        self._claimed.add(final)
        kind = asset_type_for(ctype)
        if response.status == 200 and kind is not None and not item.probe:
            self._page_is_asset(item, response, final, kind)
            return
        if response.status == 200 and ctype in HTML_TYPES and not duplicate:
            body = response.read(self.config.max_page_bytes)
            extraction = extract_html(body, final, self.scope, response.headers, response.charset)
            await self._resources(extraction, final)
            rendered = await self._maybe_render(final, extraction)
        else:
            rendered = False
        self._commit_page(item, response, final, extraction, rendered)

    def _page_is_asset(self, item: FrontierItem, response: Response, final: str, kind: str) -> None:
        """A link without an extension that answered with an image or document: keep it as an asset."""
        parent = self.store.page_parent(item.url)
        with self.store.transaction():
            self.store.mark_page_asset(item.url, response.status, final)
            self._add_asset(Discovery(item.url, "image" if kind == "image" else "document", "html"), parent or item.url)
            self._store_asset_response(item.url, response)
        self._tick(assets=1)

    async def _maybe_render(self, url: str, extraction: Extraction) -> bool:
        wanted = self.config.render == "always" or (self.config.render == "auto" and extraction.looks_script_built)
        if not wanted or self.renderer is None:
            return False
        started = time.monotonic()
        try:
            result = await self.renderer.render(url)
        except BrowserUnavailable as exc:
            if self.config.render == "always":
                raise
            if not self._render_warned:
                self.progress.log(f"warning: {exc}; continuing without rendering")
                self._render_warned = True
            self.renderer = None
            return False
        except RenderError as exc:
            self.store.add_error(url, "render", exc.reason)
            return False
        finally:
            self.render_seconds += time.monotonic() - started
        rendered = extract_html(result.html, try_normalize(result.final_url) or url, self.scope)
        await self._resources(rendered, url)
        sizes = {img.url: (img.width, img.height) for img in result.images}
        network = [
            Discovery(u, kind if (kind := classify_url(u)) in ("document", "video") else "image", "rendered")
            for u in [*sizes, *result.requested_media]
        ]
        for d in [*rendered.discoveries, *network]:
            if d.kind in ASSET_KINDS or (d.kind == "page" and d.via == "html"):
                w, h = sizes.get(d.url, (None, None))
                via = "rendered" if d.via == "html" else d.via
                extraction.discoveries.append(Discovery(d.url, d.kind, via, w, h, d.speculative and w is None))
        extraction.share_links.extend(rendered.share_links)
        extraction.variant_groups.extend(rendered.variant_groups)
        extraction.image_context.extend(rendered.image_context)
        for url, size in rendered.declared_sizes.items():
            extraction.declared_sizes.setdefault(url, size)
        return True

    def _commit_page(
        self, item: FrontierItem, response: Response, final: str, extraction: Extraction | None, rendered: bool
    ) -> None:
        e = extraction or Extraction()
        listing = e.is_directory_listing
        with self.store.transaction():
            self._dropped(max(0, len(e.discoveries) - MAX_URLS_PER_SOURCE))
            for index, d in enumerate(e.discoveries[:MAX_URLS_PER_SOURCE]):
                if d.kind == "page":
                    if self.scope.page_in_scope(d.url) and item.depth + 1 <= self.config.max_depth:
                        self.store.add_page(d.url, item.depth + 1, item.rank, index, parent=final)
                elif d.kind in ASSET_KINDS:
                    via = "listing" if listing and d.via == "html" else d.via
                    kept = self._add_asset(
                        Discovery(d.url, d.kind, via, d.rendered_width, d.rendered_height, d.speculative),
                        d.page or final,  # a route's chunk: the route shows its photos, not the page loading it
                    )
                    if kept and not d.speculative:
                        self._probe_parents(d.url, item, final)
                        for guess in guess_originals(d.url) if d.kind == "image" else []:
                            self.store.add_guess(guess, d.url)
            for group in e.variant_groups:
                self.store.add_variants(group[0], group, "markup")
            self.store.add_image_context(final, e.image_context)
            for url, (w, h) in e.declared_sizes.items():
                self.store.set_declared_size(url, final, w, h)
            for link in dict.fromkeys(e.share_links):
                provider = match_provider(link)
                if provider:
                    self.store.add_share_link(link, provider.name, final)
            self.store.finish_page(
                item.url, response.status, final, response.content_type, e.title, rendered, listing, e.signals
            )
            self.store.clear_error(item.url, "fetch")
            if item.depth == 0 and response.status >= 400:
                self.store.add_error(
                    item.url,
                    "fetch",
                    f"the starting page answered HTTP {response.status}; nothing could be crawled from it",
                )
        self._tick(pages=0 if item.probe and response.status >= 400 else 1)

    def _probe_parents(self, asset_url: str, item: FrontierItem, page: str) -> None:
        """Queue the folders above an in-scope asset: an open listing there exposes every file in it."""
        if not self.config.probe_directories or not self.scope.page_in_scope(asset_url):
            return
        if item.depth + 1 > self.config.max_depth:
            return
        for k, folder in enumerate(parent_directories(asset_url)):
            self.store.add_page(folder, item.depth + 1, item.rank, 1_000_000 + k, probe=True, parent=page)
