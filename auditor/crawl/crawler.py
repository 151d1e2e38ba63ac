"""The crawl loop: breadth-first by depth, one level at a time, so two scans of one site agree.

Order is deterministic: a page's rank comes from its parent's rank and its position on the parent page, the
pages of a level are ranked before any is fetched, and ``--max-pages`` cuts by rank. Pages of a level are
fetched concurrently; each page's discoveries (assets, share links, next-level pages) are committed in one
transaction together with the page's "done" mark, so a scan killed anywhere resumes where it stopped. After
each level the assets it discovered are fetched; share links are classified at the end.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx

from auditor.config import ScanConfig
from auditor.crawl.extract import extract_html, extract_resource
from auditor.crawl.fetch import Fetcher, Response
from auditor.crawl.originals import guess_originals
from auditor.crawl.render import Renderer
from auditor.crawl.scope import Scope
from auditor.crawl.sharelinks import Classification, classify, match_provider
from auditor.crawl.site import HostFacts
from auditor.crawl.sitemaps import parse_sitemap
from auditor.crawl.urls import classify as classify_url
from auditor.crawl.urls import host_of, parent_directories, try_normalize
from auditor.errors import BrowserUnavailable, FetchError, RenderError
from auditor.models import Discovery, Extraction, FetchedAsset, PreviousCopy, UrlKind
from auditor.progress import Counters, NullProgress, Progress
from auditor.store import FrontierItem, Store

HTML_TYPES = ("text/html", "application/xhtml+xml", "")
DOCUMENT_TYPE_PREFIXES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats",
    "application/vnd.ms-",
    "application/vnd.oasis.opendocument",
    "application/rtf",
)
MAX_SITEMAPS = 50
MAX_RESOURCE_NESTING = 3


def _origin(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


def asset_type_for(content_type: str) -> str | None:
    """``image``/``document`` when a response's Content-Type says it is one, else ``None``."""
    if content_type.startswith("image/"):
        return "image"
    return "document" if content_type.startswith(DOCUMENT_TYPE_PREFIXES) else None


class Crawler:
    """Runs (or resumes) the crawl of one store. ``share_transport`` routes share-link checks (tests only)."""

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
        self.scope = Scope(config.seeds, config.allow_hosts)
        for host in store.get_meta("adopted_hosts") or []:
            self.scope.adopt(host)
        self.hosts = HostFacts(store, fetcher)
        self.counters = Counters()
        self._claimed: set[str] = set()
        self._started = time.monotonic()
        self._render_warned = False
        self.render_seconds = 0.0  # summed over pages (several render at once)

    # -- the loop -----------------------------------------------------------------------------------------------
    async def run(self) -> None:
        if not self.store.get_meta("seeded"):
            await self._seed()
        self._refresh_counters()
        semaphore = asyncio.Semaphore(self.config.concurrency)

        async def one(item: FrontierItem) -> None:
            async with semaphore:
                await self._page(item)

        while not self._out_of_time() and (items := self.store.next_level(self.config.max_pages)):
            await asyncio.gather(*(one(item) for item in items))
            await self._fetch_assets_and_originals()
        if self._out_of_time():
            self._stop_for_time()
            return
        await self._fetch_assets_and_originals()
        await self._check_share_links()

    def _out_of_time(self) -> bool:
        return time.monotonic() - self._started > self.config.max_duration

    def _stop_for_time(self) -> None:
        """The time budget is spent: what is left is recorded as skipped (the report says so; exit status 3)."""
        self.store.skip_pending_for_time()
        self.progress.log(f"time budget of {self.config.max_duration:.0f}s spent; the rest is skipped")

    async def _fetch_assets_and_originals(self) -> None:
        await self._fetch_pending_assets()
        await self._probe_guesses()
        await self._fetch_pending_assets()

    async def _seed(self) -> None:
        """Seeds at depth 0; robots.txt, TDMRep and sitemaps of each seed origin (sitemap pages at depth 1)."""
        origins: dict[str, None] = {}
        with self.store.transaction():
            for i, seed in enumerate(self.config.seeds):
                self.store.add_page(seed, 0, 0, i)
                origins.setdefault(_origin(seed), None)
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
        while queue and len(seen) < MAX_SITEMAPS:
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
                for raw in content.pages:
                    page = try_normalize(raw, url)
                    if page and self.scope.page_in_scope(page) and self.config.max_depth >= 1:
                        self.store.add_page(page, 1, -1, index)
                        index += 1
                for raw in content.images:
                    image = try_normalize(raw, url)
                    if image:
                        kind: UrlKind = "document" if classify_url(image) == "document" else "image"
                        self.store.add_asset(Discovery(image, kind, "sitemap"), url)

    # -- pages --------------------------------------------------------------------------------------------------
    async def _allowed(self, url: str) -> bool:
        if self.config.ignore_robots or not self.scope.page_in_scope(url):
            return True
        return (await self.hosts.robots(_origin(url))).allows(url)

    async def _page(self, item: FrontierItem) -> None:
        url = item.url
        if not await self._allowed(url):
            refusal = (await self.hosts.robots(_origin(url))).refusal()
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
            self.store.add_asset(
                Discovery(item.url, "image" if kind == "image" else "document", "html"), parent or item.url
            )
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
            Discovery(u, "document" if classify_url(u) == "document" else "image", "rendered")
            for u in [*sizes, *result.requested_media]
        ]
        for d in [*rendered.discoveries, *network]:
            if d.kind in ("image", "document") or (d.kind == "page" and d.via == "html"):
                w, h = sizes.get(d.url, (None, None))
                via = "rendered" if d.via == "html" else d.via
                extraction.discoveries.append(Discovery(d.url, d.kind, via, w, h, d.speculative and w is None))
        extraction.share_links.extend(rendered.share_links)
        extraction.variant_groups.extend(rendered.variant_groups)
        extraction.image_context.extend(rendered.image_context)
        for url, size in rendered.declared_sizes.items():
            extraction.declared_sizes.setdefault(url, size)
        return True

    async def _resources(self, extraction: Extraction, page_url: str) -> None:
        """Fetch same-site scripts, stylesheets and JSON the page uses; add what they reference (nested too)."""
        queue = [(d.url, 0) for d in extraction.discoveries if d.kind == "resource"]
        seen: set[str] = set()
        while queue:
            url, nesting = queue.pop(0)
            if url in seen or nesting > MAX_RESOURCE_NESTING or not self.scope.same_site(url):
                continue
            seen.add(url)
            found = await self._resource(url, page_url)
            for d in found.discoveries:
                if d.kind == "resource":
                    queue.append((d.url, nesting + 1))
                else:
                    extraction.discoveries.append(d)
            extraction.share_links.extend(found.share_links)

    async def _resource(self, url: str, page_url: str) -> Extraction:
        cached = self.store.cached_resource(url)
        if cached is not None:
            return _decode_extraction(cached)
        out = Extraction()
        if await self._allowed(url):
            try:
                response = await self.fetcher.get(
                    url, max_bytes=self.config.max_page_bytes, allow_redirect=self.scope.same_site
                )
                if response.status == 200:
                    body = response.read(self.config.max_page_bytes)
                    out = extract_resource(body, url, response.content_type, page_url, self.scope)
                response.discard()
            except FetchError as exc:
                self.store.add_error(url, "fetch", exc.reason)
        self.store.put_resource(url, _encode_extraction(out))
        return out

    def _commit_page(
        self, item: FrontierItem, response: Response, final: str, extraction: Extraction | None, rendered: bool
    ) -> None:
        e = extraction or Extraction()
        listing = e.is_directory_listing
        with self.store.transaction():
            for index, d in enumerate(e.discoveries):
                if d.kind == "page":
                    if self.scope.page_in_scope(d.url) and item.depth + 1 <= self.config.max_depth:
                        self.store.add_page(d.url, item.depth + 1, item.rank, index, parent=final)
                elif d.kind in ("image", "document"):
                    via = "listing" if listing and d.via == "html" else d.via
                    self.store.add_asset(
                        Discovery(d.url, d.kind, via, d.rendered_width, d.rendered_height, d.speculative), final
                    )
                    if not d.speculative:
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

    # -- assets -------------------------------------------------------------------------------------------------
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
            refusal = (await self.hosts.robots(_origin(url))).refusal()
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
            response = await self.fetcher.get(
                url, max_bytes=self.config.max_bytes, allow_redirect=lambda _: True, validators=validators
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
                            self.store.add_asset(Discovery(url, "image", "guessed", speculative=no_head), page)

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

    # -- share links --------------------------------------------------------------------------------------------
    async def _check_share_links(self) -> None:
        unchecked = self.store.unchecked_share_links()
        if not unchecked:
            return
        if not self.config.link_check:
            self.store.set_share_access(None, "unchecked", detail="not checked: --no-link-check")
            return
        async with httpx.AsyncClient(
            headers={"User-Agent": self.config.user_agent},
            timeout=self.config.timeout,
            follow_redirects=False,
            transport=self.share_transport,
        ) as client:
            for url in unchecked:
                refusal = await self.fetcher.guard.refusal(url)
                result = Classification("unknown", None, None, refusal) if refusal else await classify(client, url)
                self.store.set_share_access(url, result.access, result.status, result.redirect, result.detail)

    # -- progress -----------------------------------------------------------------------------------------------
    def _refresh_counters(self) -> None:
        self.counters.pages = self.store.pages_crawled()
        self.counters.assets = self.store.assets_fetched()
        self.counters.errors = self.store.error_count()
        self.progress.update(self.counters)

    def _tick(self, pages: int = 0, assets: int = 0, errors: int = 0) -> None:
        self.counters.pages += pages
        self.counters.assets += assets
        self.counters.errors += errors
        self.counters.requests = self.fetcher.requests
        self.progress.update(self.counters)


def _encode_extraction(e: Extraction) -> str:
    return json.dumps({"d": [[d.url, d.kind, d.via, d.speculative] for d in e.discoveries], "s": e.share_links})


def _decode_extraction(payload: str) -> Extraction:
    data = json.loads(payload)
    discoveries = [Discovery(u, k, v, speculative=s) for u, k, v, s in data["d"]]
    return Extraction(discoveries=discoveries, share_links=list(data["s"]))
