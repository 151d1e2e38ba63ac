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
import ipaddress
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpcore

from auditor.crawl.netguard import NetGuard
from auditor.crawl.scope import Scope
from auditor.crawl.urls import try_normalize
from auditor.errors import BrowserUnavailable, RenderError, plain

SYSTEM_BROWSERS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/snap/bin/chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
HEAP_MB = 512  # V8 heap per page
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
    # Page JavaScript that allocates without end is stopped by V8 (the page crashes: that page's error) instead of
    # driving the machine out of memory.
    f"--js-flags=--max-old-space-size={HEAP_MB}",
    # WebRTC may not open UDP connections around the request filter and the private-address guard.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
]
# WebSockets and WebRTC do not go through the request filter: the page gets neither.
_NO_SOCKETS_JS = """
for (const name of ["WebSocket", "RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel"]) {
  try { Object.defineProperty(window, name, {value: undefined, writable: false, configurable: false}); } catch (e) {}
}
"""
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


def site_names(hosts: frozenset[str]) -> list[str]:
    """The names the browser may look up: the site's own hosts, with and without ``www.``, and ``localhost``."""
    names = {"localhost"}
    for host in hosts:
        base = host.split(":")[0].strip("[]").removeprefix("www.")
        names |= {base, f"www.{base}"}
    return sorted(names)


def resolver_rule(pins: dict[str, str | None]) -> str:
    """Chromium resolves the site's own host names to the addresses the guard checked, and nothing else.

    ``pins`` maps each name to its checked address (``None``: it did not resolve, so it stays unresolvable). An IP
    address needs no lookup and is left as it is. Chromium's own resolver is never asked: its answer could differ
    from the checked one (DNS rebinding). Its background services (component and extension updates, account
    checks) otherwise look up and contact their vendor's servers during a scan, which the request filter never
    sees; with this rule no other name is looked up and no connection leaves for them. Chromium applies the first
    MAP rule that matches, so the site's names come before the catch-all."""
    rules = []
    for name, address in sorted(pins.items()):
        if _is_address(name):
            rules.append(f"EXCLUDE {name}")
        elif address is not None:
            rules.append(f"MAP {name} {f'[{address}]' if ':' in address else address}")
    return "--host-resolver-rules=" + " , ".join([*rules, "MAP * ~NOTFOUND"])


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Renderer:
    """One browser for the whole scan; :meth:`render` may be called concurrently (bounded by ``pages``)."""

    def __init__(self, scope: Scope, executable: str | None, timeout: float, user_agent: str, pages: int = 2):
        self.scope = scope
        # robots.txt for the browser's own requests (the crawl sets it; --ignore-robots leaves it allowing all)
        self.allows: Callable[[str], bool] = lambda _: True
        self.executable = executable
        self.timeout_ms = timeout * 1000
        self.user_agent = user_agent
        self._semaphore = asyncio.Semaphore(pages)
        self._playwright: Any = None
        self._browser: Any = None
        self._start_lock = asyncio.Lock()
        self._launched_for: frozenset[str] = frozenset()
        # The scan's address guard: the browser connects to the addresses it checked (set by the crawl).
        self.guard = NetGuard(allow_private=True)

    async def start(self) -> Any:
        """Launch the browser now (idempotent); raises :class:`BrowserUnavailable` if it cannot start."""
        async with self._start_lock:
            if self._browser is not None:
                return self._browser
            from playwright.async_api import Error as PlaywrightError
            from playwright.async_api import async_playwright

            try:
                if self._playwright is None:
                    self._playwright = await async_playwright().start()
                self._launched_for = self.scope.hosts
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self.executable,
                    headless=True,
                    args=[
                        *LAUNCH_ARGS,
                        resolver_rule(await self._pins(self._launched_for)),
                        *(["--no-sandbox"] if os.geteuid() == 0 else []),
                    ],
                )
            except PlaywrightError as exc:
                await self.close()
                where = self.executable or "Playwright's bundled Chromium"
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise BrowserUnavailable(f"{where}: the browser could not be started ({first})") from exc
            return self._browser

    async def _pins(self, hosts: frozenset[str]) -> dict[str, str | None]:
        """Each name the browser may look up, with the first address the guard allows for it (``None``: refused
        or unresolvable, so the browser cannot reach it either)."""
        pins: dict[str, str | None] = {}
        for name in site_names(hosts):
            try:
                pins[name] = (await self.guard.connectable(name))[0]
            except httpcore.ConnectError:
                pins[name] = None
        return pins

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None

    async def render(self, url: str) -> RenderResult:
        """Load, scroll and read one page, within twice the per-request timeout whatever the page does. Raises
        :class:`RenderError` (with the URL) on any browser failure."""
        if self._browser is not None and not self.scope.hosts <= self._launched_for:
            await self._restart()  # a host adopted since the launch: its name must resolve in the browser too
        browser = await self.start()
        async with self._semaphore:
            try:
                async with asyncio.timeout(self.timeout_ms / 1000 * 2):
                    return await self._render(browser, url)
            except TimeoutError:
                # A script that never stops blocks the page's own thread, so Playwright's timeouts never fire and
                # the page cannot even be closed: the browser is replaced and this page is its error.
                await self._restart()
                raise RenderError(
                    url,
                    f"the page did not finish rendering within {self.timeout_ms / 500:.0f}s (a script that "
                    "never stops?); its HTML was read without rendering",
                ) from None

    async def _restart(self) -> None:
        """Drop a browser that stopped answering; the next page starts a new one."""
        browser, self._browser = self._browser, None
        if browser is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await browser.close()
            with contextlib.suppress(Exception):
                process = getattr(getattr(browser, "_impl_obj", None), "_browser_process", None)
                if process is not None:
                    process.kill()

    async def _render(self, browser: Any, url: str) -> RenderResult:
        from playwright.async_api import Error as PlaywrightError

        context = await browser.new_context(
            user_agent=self.user_agent,
            service_workers="block",
            java_script_enabled=True,
            viewport={"width": 1366, "height": 900},
            accept_downloads=False,
        )
        media: dict[str, None] = {}
        try:
            await context.add_init_script(_NO_SOCKETS_JS)
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
            first = plain(str(exc).strip().splitlines()[0]) if str(exc).strip() else "the browser failed"
            first = re.sub(
                r"^\w+\.\w+: ", "", first
            )  # "Page.goto: Timeout ..." names Playwright's call, not the problem
            raise RenderError(url, first) from exc
        finally:
            with contextlib.suppress(PlaywrightError, TimeoutError):
                async with asyncio.timeout(5):  # a hung page cannot hold the scan here either
                    await context.close()

    async def _route(self, route: Any, media: dict[str, None]) -> None:
        request = route.request
        url = try_normalize(request.url)
        if url is not None and request.resource_type in {"image", "media"}:
            media.setdefault(url, None)
        if url is not None and self.scope.page_in_scope(url) and self.allows(url):
            await route.continue_()
        else:
            await route.abort()
