"""Public share links (Drive, OneDrive, Dropbox, iCloud...): recognize them anywhere, classify each with one request.

The catalogue is data (``auditor/data/share_providers.json``). Classification sends a single anonymous GET: no
cookies, no credentials, redirects *not* followed, at most 64 KiB of body read. The answer is judged from the
status, the redirect target and a few provider-specific phrases; a folder's contents are never listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from auditor.config import ScanConfig
from auditor.crawl.netguard import NetGuard, pinned_transport
from auditor.crawl.urls import try_normalize
from auditor.data import load
from auditor.errors import HTTPX_ERRORS, describe_network_error
from auditor.models import ShareAccess
from auditor.store import Store

_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>()\[\]{}\\^`|]+", re.IGNORECASE)
MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    host: re.Pattern[str]
    path: re.Pattern[str] | None
    login_hosts: tuple[str, ...]
    login_paths: tuple[re.Pattern[str], ...]
    gone_markers: tuple[str, ...]
    login_markers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Classification:
    """The outcome of the one request: the access class, the status and where it redirected, if anywhere."""

    access: ShareAccess
    status: int | None
    redirect: str | None
    detail: str
    poster: str | None = None  # a public video's poster frame (YouTube, Vimeo): read as an image of the site


VIDEO_PROVIDERS = ("YouTube", "Vimeo")
_OG_IMAGE = re.compile(
    r"""<meta[^>]+(?:property|name)=["'](?:og:image|twitter:image)["'][^>]*content=["']([^"']+)["']""", re.I
)
_YOUTUBE_ID = re.compile(r"(?:youtu\.be/|/embed/|/shorts/|/live/|[?&]v=)([A-Za-z0-9_-]{11})")


def poster_of(provider: Provider, url: str, body: str) -> str | None:
    """The poster frame of a public YouTube or Vimeo video: the page's ``og:image`` when the one answer had it,
    else (YouTube) the public thumbnail address its video id gives. Never the stream."""
    if provider.name not in VIDEO_PROVIDERS:
        return None
    found = _OG_IMAGE.search(body)
    if found is not None:
        return try_normalize(urljoin(url, found.group(1)))
    video = _YOUTUBE_ID.search(url) if provider.name == "YouTube" else None
    return f"https://i.ytimg.com/vi/{video.group(1)}/hqdefault.jpg" if video else None


@cache
def providers() -> tuple[Provider, ...]:
    def build(p: dict[str, Any]) -> Provider:
        return Provider(
            name=p["name"],
            host=re.compile(p["host"], re.IGNORECASE),
            path=re.compile(p["path"]) if p.get("path") else None,
            login_hosts=tuple(p.get("login_hosts", [])),
            login_paths=tuple(re.compile(x) for x in p.get("login_paths", [])),
            gone_markers=tuple(m.lower() for m in p.get("gone_markers", [])),
            login_markers=tuple(m.lower() for m in p.get("login_markers", [])),
        )

    return tuple(build(p) for p in load("share_providers")["providers"])


def match_provider(url: str) -> Provider | None:
    """The provider whose share links look like ``url``, or ``None``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    target = parts.path + ("?" + parts.query if parts.query else "")
    for provider in providers():
        if provider.host.fullmatch(host) and (provider.path is None or provider.path.search(target)):
            return provider
    return None


def share_links_in_text(text: str) -> list[str]:
    """Share links written out in text (a newsletter's body, a script, a JSON file), normalized, in order."""
    found = []
    for match in _URL_IN_TEXT.finditer(text):
        url = try_normalize(match.group(0).rstrip(".,;:!?"), keep_fragment=True)
        if url and match_provider(url):
            found.append(url)
    return found


def judge(provider: Provider, status: int, location: str | None, body: str) -> Classification:
    """Turn one response into an access class (pure, so each provider's rules are unit-testable)."""
    if location:
        target = urlsplit(location)
        host = (target.hostname or "").lower()
        if host in provider.login_hosts or any(p.search(target.path) for p in provider.login_paths):
            return Classification("login_required", status, location, "redirects to a sign-in page")
        return Classification("unknown", status, location, "redirects elsewhere; not followed (one request)")
    if status in (401, 403):
        return Classification("login_required", status, None, "the provider refuses anonymous access")
    if status in (404, 410):
        return Classification("gone", status, None, "the provider says the item does not exist")
    if status == 200:
        lowered = body.lower()
        if any(m in lowered for m in provider.gone_markers):
            return Classification("gone", status, None, "the provider's page says the item is gone")
        if any(m in lowered for m in provider.login_markers):
            return Classification("login_required", status, None, "the provider's page asks to sign in")
        return Classification("public", status, None, "anyone with the link can open it")
    return Classification("unknown", status, None, f"unexpected HTTP status {status}")


async def classify(client: httpx.AsyncClient, url: str) -> Classification:
    """Send the one anonymous request for ``url`` and judge it. Network failures are ``unknown``, not errors."""
    provider = match_provider(url)
    if provider is None:
        return Classification("unknown", None, None, "not a known share-link provider")
    try:
        client.cookies.clear()  # anonymous: nothing a previous answer set may be sent back
        request = client.build_request("GET", url)
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            body = b""
            if not response.is_redirect:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= MAX_BODY:
                        break
            location = response.headers.get("location") if response.is_redirect else None
            location = try_normalize(urljoin(url, location)) if location else None
            text = body[:MAX_BODY].decode("utf-8", "replace")
            verdict = judge(provider, response.status_code, location, text)
            if verdict.access == "public":
                verdict = replace(verdict, poster=poster_of(provider, url, text))
            return verdict
        finally:
            await response.aclose()
    except HTTPX_ERRORS as exc:
        return Classification("unknown", None, None, f"no answer: {describe_network_error(exc)[0]}")


async def check_all(
    store: Store, config: ScanConfig, guard: NetGuard, transport: httpx.AsyncBaseTransport | None = None
) -> list[tuple[str, str]]:
    """Classify every share link found and not checked yet (``--no-link-check``: all are ``unchecked``), one
    anonymous request each, in URL order. ``transport`` routes the requests (tests only). Returns the public
    videos' posters as (share link, poster URL), for the crawl to fetch as images."""
    unchecked = store.unchecked_share_links()
    posters: list[tuple[str, str]] = []
    if not unchecked:
        return posters
    if not config.link_check:
        store.set_share_access(None, "unchecked", detail="not checked: --no-link-check")
        return posters
    async with httpx.AsyncClient(
        headers={"User-Agent": config.user_agent},
        timeout=config.timeout,
        follow_redirects=False,
        transport=transport or pinned_transport(guard),
    ) as client:
        for url in unchecked:
            refusal = await guard.refusal(url)
            result = Classification("unknown", None, None, refusal) if refusal else await classify(client, url)
            store.set_share_access(url, result.access, result.status, result.redirect, result.detail)
            if result.poster is not None:
                posters.append((url, result.poster))
    return posters
