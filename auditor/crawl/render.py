"""Rendering script-built pages with Playwright driving a system Chromium (Debian's ``/usr/bin/chromium``).

The browser is started once, lazily, with its background networking switched off; each page gets a fresh
context (recycled so memory stays bounded) whose requests are filtered: in-scope hosts load normally, images
and media elsewhere are recorded and aborted (the crawler fetches them itself, once), everything else is blocked.
After load the page is scrolled to the bottom so lazy loaders fire, then its DOM and every ``<img>``'s rendered
size are read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from dataclasses import dataclass, field
from typing import Any

from auditor.crawl.scope import Scope
from auditor.crawl.urls import try_normalize
from auditor.errors import BrowserUnavailable, RenderError

SYSTEM_BROWSERS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/snap/bin/chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--no-pings",
    "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,InterestFeedContentSuggestions",
    "--disable-gpu",
    "--mute-audio",
]
_SCROLL_JS = """async (steps) => {
  for (let i = 0; i < steps; i++) {
    const before = window.scrollY;
    window.scrollBy(0, Math.max(200, window.innerHeight * 0.9));
    await new Promise(r => setTimeout(r, 120));
    if (window.scrollY === before) break;
  }
  window.scrollTo(0, 0);
}"""
_IMAGES_JS = """() => Array.from(document.images).map(i => {
  const r = i.getBoundingClientRect();
  return {src: i.currentSrc || i.src, w: Math.round(r.width), h: Math.round(r.height)};
})"""


def find_browser(explicit: str | None) -> str | None:
    """The Chromium to drive: ``explicit`` if given (must exist), else a system install, else ``None``
    (Playwright's own download, if the user has one)."""
    if explicit:
        path = shutil.which(explicit) or explicit
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    for candidate in SYSTEM_BROWSERS:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(slots=True)
class RenderedImage:
    url: str
    width: int
    height: int


@dataclass(slots=True)
class RenderResult:
    final_url: str
    html: bytes
    images: list[RenderedImage] = field(default_factory=list)
    requested_media: list[str] = field(default_factory=list)


class Renderer:
    """One browser for the whole scan; :meth:`render` may be called concurrently (bounded by ``pages``)."""

    def __init__(self, scope: Scope, executable: str | None, timeout: float, user_agent: str, pages: int = 2):
        self.scope = scope
        self.executable = executable
        self.timeout_ms = timeout * 1000
        self.user_agent = user_agent
        self._semaphore = asyncio.Semaphore(pages)
        self._playwright: Any = None
        self._browser: Any = None
        self._start_lock = asyncio.Lock()

    async def start(self) -> Any:
        """Launch the browser now (idempotent); raises :class:`BrowserUnavailable` if it cannot start."""
        async with self._start_lock:
            if self._browser is not None:
                return self._browser
            from playwright.async_api import Error as PlaywrightError
            from playwright.async_api import async_playwright

            try:
                self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self.executable,
                    headless=True,
                    args=[*LAUNCH_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])],
                )
            except PlaywrightError as exc:
                await self.close()
                where = self.executable or "Playwright's bundled Chromium"
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise BrowserUnavailable(f"{where}: the browser could not be started ({first})") from exc
            return self._browser

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None

    async def render(self, url: str) -> RenderResult:
        """Load, scroll and read one page. Raises :class:`RenderError` (with the URL) on any browser failure."""
        from playwright.async_api import Error as PlaywrightError

        browser = await self.start()
        async with self._semaphore:
            context = await browser.new_context(
                user_agent=self.user_agent,
                service_workers="block",
                java_script_enabled=True,
                viewport={"width": 1366, "height": 900},
                accept_downloads=False,
            )
            media: dict[str, None] = {}
            try:
                await context.route("**/*", lambda route: self._route(route, media))
                page = await context.new_page()
                page.set_default_timeout(self.timeout_ms)
                await page.goto(url, wait_until="load", timeout=self.timeout_ms)
                await page.evaluate(_SCROLL_JS, 40)
                # A page that never goes idle (polling, analytics) is still read as it is.
                with contextlib.suppress(PlaywrightError):
                    await page.wait_for_load_state("networkidle", timeout=min(self.timeout_ms, 5000))
                html = (await page.content()).encode("utf-8")
                images = [
                    RenderedImage(u, int(i["w"]), int(i["h"]))
                    for i in await page.evaluate(_IMAGES_JS)
                    if (u := try_normalize(str(i["src"])))
                ]
                return RenderResult(page.url, html, images, list(media))
            except PlaywrightError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise RenderError(url, first) from exc
            finally:
                await context.close()

    async def _route(self, route: Any, media: dict[str, None]) -> None:
        request = route.request
        url = try_normalize(request.url)
        if url is not None and request.resource_type in {"image", "media"}:
            media.setdefault(url, None)
        if url is not None and self.scope.page_in_scope(url):
            await route.continue_()
        else:
            await route.abort()
