"""HTTP fetching with httpx: per-host politeness, retries with jitter, size caps, and redirects checked hop by hop.

Every GET streams its body into a temporary file while hashing it, so memory stays flat whatever the size and the
caller decides afterwards whether the bytes are a page to parse or an asset to keep. Redirects are followed by hand
so each hop can be checked against the scope (a page may not redirect the crawler off-site) and loops caught.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import json
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urljoin

import httpx

from auditor.config import ScanConfig
from auditor.crawl.encoding import ACCEPT_ENCODING, BoundedDecoder, UndecodableBody
from auditor.crawl.netguard import NetGuard, pinned_transport
from auditor.crawl.urls import try_normalize
from auditor.errors import HTTPX_ERRORS, FetchError, FetchTimeout, RedirectError, TooLargeError, describe_network_error

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
log = logging.getLogger(__name__)


def _keep(chunks: Iterable[bytes], size: int, max_bytes: int, url: str, digest: Any, out: BinaryIO) -> int:
    """Write decoded ``chunks`` and hash them; the size so far, or :class:`TooLargeError` past ``max_bytes``."""
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise TooLargeError(url, f"body over the limit of {max_bytes:,} bytes")
        digest.update(chunk)
        out.write(chunk)
    return size


@dataclass(slots=True)
class Response:
    """A finished GET. ``path`` holds the body (owned by the caller, who must move or delete it)."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    size: int
    sha256: str
    path: Path | None
    redirects: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset":
                return value.strip().strip('"') or None
        return None

    def read(self, limit: int) -> bytes:
        if self.path is None:
            return b""
        with self.path.open("rb") as fh:
            return fh.read(limit)

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


def shared_slot(folder: Path, host: str, interval: float) -> float:
    """Reserve this process's next request start to ``host`` among every scan sharing ``folder`` (a fleet's sites,
    on one machine or on a shared file system): one small file per host holds the last start reserved, under an
    exclusive ``flock``. Returns the seconds to wait. Wall-clock time, so the machines' clocks must agree (NTP)."""
    import fcntl

    path = folder / (hashlib.sha256(host.encode()).hexdigest()[:24] + ".slot")
    with path.open("a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.seek(0)
            raw = fh.read().strip()
            last = float(raw) if raw else 0.0
            now = time.time()
            start = max(now, last + interval)
            fh.seek(0)
            fh.truncate()
            fh.write(f"{start:.6f}".encode())
            fh.flush()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return start - now


async def relayed_slot(socket_path: Path, host: str, interval: float) -> float:
    """Ask the fleet's rate keeper, through its relay's Unix socket (see :mod:`auditor.fleet.rates`), when this
    scan may start its next request to ``host``; returns the seconds to wait. Raises ``OSError`` or ``ValueError``
    when the relay cannot answer."""
    reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(socket_path)), timeout=30)
    try:
        writer.write(json.dumps({"host": host, "interval": interval}).encode() + b"\n")
        await writer.drain()
        answer = json.loads(await asyncio.wait_for(reader.readline(), timeout=30))
    except TimeoutError as exc:
        raise OSError(f"{socket_path}: the fleet's rate keeper did not answer in 30 s") from exc
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    if "wait" not in answer:
        raise ValueError(f"{socket_path}: the fleet's rate keeper answered {answer}")
    return float(answer["wait"])


class HostLimiter:
    """At most ``concurrency`` requests at once per host, and request starts at least ``interval`` apart; with
    ``shared`` (a folder) or ``relay`` (auditor fleet's rate keeper), apart across every scan that shares it too."""

    def __init__(
        self,
        concurrency: int,
        interval: float,
        shared: Path | None = None,
        host: str = "",
        relay: Path | None = None,
    ) -> None:
        self._semaphore = asyncio.Semaphore(concurrency)
        self._lock = asyncio.Lock()
        self.interval = interval
        self._next = 0.0
        self._shared, self._host, self._relay = shared, host, relay

    async def __aenter__(self) -> None:
        await self._semaphore.acquire()
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)
        if self._shared is not None and self.interval > 0:
            later = await asyncio.to_thread(shared_slot, self._shared, self._host, self.interval)
            if later > 0:
                await asyncio.sleep(later)
        if self._relay is not None and self.interval > 0:
            try:
                later = await relayed_slot(self._relay, self._host, self.interval)
            except (OSError, ValueError) as exc:
                # This scan still keeps its own --rate; only the sharing with the fleet's other sites is lost.
                log.warning("%s; this scan keeps its own --rate for %s", exc, self._host)
                self._relay = None
                later = 0.0
            if later > 0:
                await asyncio.sleep(later)

    async def __aexit__(self, *exc: object) -> None:
        self._semaphore.release()

    def pause(self, seconds: float) -> None:
        """Push the next start back (a 429/503 with ``Retry-After`` applies to the whole host)."""
        self._next = max(self._next, time.monotonic() + seconds)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Fetcher:
    """The one place that talks HTTP for the crawl. One instance per scan; use as an async context manager."""

    def __init__(
        self,
        config: ScanConfig,
        tmp_dir: Path,
        transport: httpx.AsyncBaseTransport | None = None,
        guard: NetGuard | None = None,
    ):
        self.config = config
        self.tmp_dir = tmp_dir
        self.guard = guard or NetGuard(allow_private=True)
        self._limiters: dict[str, HostLimiter] = {}
        self._delays: dict[str, float] = {}
        limits = httpx.Limits(max_connections=config.concurrency * 2, max_keepalive_connections=config.concurrency)
        self._client = httpx.AsyncClient(
            # Only encodings inflated in bounded steps are offered (httpx would add br and zstd when installed).
            headers={"User-Agent": config.user_agent, "Accept-Language": "en", "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(config.timeout, connect=min(config.timeout, 10.0)),
            follow_redirects=False,
            # Connections go to the address the guard checked, never to a second DNS answer (tests route their own).
            transport=transport or pinned_transport(self.guard, limits),
        )
        self.requests = 0

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    def set_crawl_delay(self, host: str, delay: float) -> None:
        """Apply a robots.txt ``Crawl-delay`` (it only ever slows a host down)."""
        self._delays[host] = delay
        if host in self._limiters:
            self._limiters[host].interval = max(self._limiters[host].interval, delay)

    def _limiter(self, host: str) -> HostLimiter:
        if host not in self._limiters:
            interval = max(1.0 / self.config.rate if self.config.rate > 0 else 0.0, self._delays.get(host, 0.0))
            shared, relay = self.config.shared_rate_dir, self.config.shared_rate_socket
            self._limiters[host] = HostLimiter(self.config.per_host_concurrency, interval, shared, host, relay)
        return self._limiters[host]

    async def get(
        self,
        url: str,
        *,
        max_bytes: int,
        allow_redirect: Callable[[str], bool] | None = None,
        accept: str = "*/*",
        method: str = "GET",
        validators: dict[str, str] | None = None,
        site_redirects: bool = False,
    ) -> Response:
        """GET ``url`` following redirects that ``allow_redirect`` accepts; retry transient failures.
        ``validators``: ``If-None-Match`` / ``If-Modified-Since`` from an earlier fetch (a 304 has no body).
        ``site_redirects``: ``url`` is a seed, and the hosts it redirects to are the site's own (``apex`` to
        ``www``), private addresses included.

        Raises :class:`FetchError` (or a subclass) with the URL in the message; HTTP error statuses are returned,
        not raised, once retries are spent.
        """
        chain = [url]
        current = url
        while True:
            refusal = await self.guard.refusal(current)
            if refusal is not None:
                raise FetchError(url, refusal if current == url else f"redirected to {current}: {refusal}")
            response = await self._get_with_retries(
                current, max_bytes, {"Accept": accept, **(validators or {})}, method
            )
            location = response.headers.get("location")
            if not (300 <= response.status < 400 and location):
                response.url, response.redirects = url, chain[1:]
                return response
            response.discard()
            target = try_normalize(urljoin(current, location))
            if target is None:
                raise RedirectError(url, f"redirect to an unusable location {location!r}")
            if target in chain:
                raise RedirectError(url, "redirect loop: " + " -> ".join([*chain, target]))
            if len(chain) > self.config.max_redirects:
                raise RedirectError(url, f"more than {self.config.max_redirects} redirects")
            if allow_redirect is not None and not allow_redirect(target):
                raise RedirectError(url, f"redirects out of scope to {target}")
            if site_redirects:
                await self.guard.allow_host(httpx.URL(target).host)
            chain.append(target)
            current = target

    async def _get_with_retries(self, url: str, max_bytes: int, headers: dict[str, str], method: str) -> Response:
        host = httpx.URL(url).host
        limiter = self._limiter(host)
        attempt = 0
        while True:
            attempt += 1
            try:
                async with limiter:
                    response = await self._get_once(url, max_bytes, headers, method)
            except FetchError as exc:  # FetchTimeout included
                if isinstance(exc, TooLargeError) or not exc.transient or attempt > self.config.retries:
                    raise
                await asyncio.sleep(self._backoff(attempt))
                continue
            if response.status not in RETRY_STATUSES or attempt > self.config.retries:
                return response
            wait = retry_after_seconds(response.headers.get("retry-after"))
            response.discard()
            if wait is not None and wait > self.config.max_retry_after:
                raise FetchError(
                    url,
                    f"HTTP {response.status}: server asks to wait {wait:.0f}s "
                    f"(more than {self.config.max_retry_after:.0f}s)",
                )
            if wait is not None:
                limiter.pause(wait)
            await asyncio.sleep(wait if wait is not None else self._backoff(attempt))

    @staticmethod
    def _backoff(attempt: int) -> float:
        return float(min(30.0, 0.5 * 2 ** (attempt - 1)) + random.uniform(0, 0.25))

    async def _get_once(self, url: str, max_bytes: int, headers: dict[str, str], method: str) -> Response:
        self.requests += 1
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="fetch-")
        path = Path(name)
        try:
            async with asyncio.timeout(self.config.timeout * 3):
                async with self._client.stream(method, url, headers=headers) as response:
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes and method != "HEAD":
                        raise TooLargeError(url, f"Content-Length {int(declared):,} bytes > limit {max_bytes:,}")
                    with open(fd, "wb", closefd=True) as out:
                        fd = -1
                        if not response.is_redirect:
                            # Raw bytes, inflated here in bounded steps (auditor/crawl/encoding.py): the decoded
                            # size is capped as it grows, however many layers of compression a server stacks.
                            decoder = BoundedDecoder(response.headers.get("content-encoding", ""))
                            async for raw in response.aiter_raw():
                                size = _keep(decoder.feed(raw), size, max_bytes, url, digest, out)
                            size = _keep(decoder.flush(), size, max_bytes, url, digest, out)
                    headers = {k.lower(): v for k, v in response.headers.items()}
                    return Response(
                        url, str(response.url), response.status_code, headers, size, digest.hexdigest(), path
                    )
        except TimeoutError as exc:
            path.unlink(missing_ok=True)
            raise FetchTimeout(url, f"timed out: no complete answer within {self.config.timeout * 3:.0f}s") from exc
        except httpx.TimeoutException as exc:
            path.unlink(missing_ok=True)
            raise FetchTimeout(url, f"timed out ({type(exc).__name__})") from exc
        except HTTPX_ERRORS as exc:
            path.unlink(missing_ok=True)
            message, transient = describe_network_error(exc)
            raise FetchError(url, message, transient=transient) from exc
        except UndecodableBody as exc:
            path.unlink(missing_ok=True)
            raise FetchError(url, f"the body could not be decoded: {exc}") from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        finally:
            if fd != -1:
                os.close(fd)
