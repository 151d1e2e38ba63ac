"""The one place that decides whether an address may be contacted: never one that is not globally routable (a
private, loopback, link-local, carrier-grade NAT or otherwise reserved address: cloud metadata at 169.254.169.254
or 100.100.100.200, the office router at 10.x) unless it is the
site's own (the address a seed, an ``--allow-host`` name or a host a seed redirects to resolves to: an
intranet, or a test server on 127.0.0.1) or ``--allow-private`` is given. A seed on a private address no longer
opens the whole private range: a page on the intranet that points at the router or the metadata service is
refused like any other.

Each host is resolved and checked before every request, redirect hops included, and the connection is made to
an address that was checked (:func:`pinned_transport`, and the browser's resolver rules in ``render.py``): a name
is looked up once per scan, so a DNS answer that changes between the check and the connection (rebinding, TTL 0)
cannot steer a request to the router or a metadata service. ``resolve`` can be replaced (tests map made-up host
names to public-looking addresses); the check itself is the same.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

Resolver = Callable[[str], Awaitable[list[str]]]


async def system_resolve(host: str) -> list[str]:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return [host.strip("[]")]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []  # unresolvable: the request itself will fail with a clear error
    return sorted({str(info[4][0]) for info in infos})


# Not globally routable, though this Python's ``is_global`` says otherwise (fixed in CPython 3.12.4): the IETF
# protocol assignments block, where a cloud's metadata service answers at 192.0.0.192 (except 192.0.0.9 and .10,
# which are global anycast services).
_NOT_GLOBAL = (ipaddress.ip_network("192.0.0.0/24"),)
_GLOBAL_EXCEPTIONS = frozenset({ipaddress.ip_address("192.0.0.9"), ipaddress.ip_address("192.0.0.10")})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_private(address: str) -> bool:
    """Whether ``address`` is anything but a globally routable unicast address: private ranges, loopback,
    link-local (169.254.169.254), carrier-grade NAT (100.64.0.0/10, where one cloud's metadata service is),
    reserved and documentation ranges, multicast; an IPv6 address that carries an IPv4 one (mapped, 6to4, NAT64)
    is judged by the IPv4 address inside."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = (
            ip.ipv4_mapped or ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        )
        if inner is not None:
            return is_private(str(inner))
    if ip in _GLOBAL_EXCEPTIONS:
        return False
    if isinstance(ip, ipaddress.IPv4Address) and any(ip in network for network in _NOT_GLOBAL):
        return True
    return not ip.is_global or ip.is_multicast


class NetGuard:
    """Allows private addresses only when a seed is private or the user said so."""

    def __init__(self, resolve: Resolver = system_resolve, allow_private: bool = False) -> None:
        self.resolve = resolve
        self.allow_private = allow_private
        self.site_addresses: set[str] = set()  # private addresses that are the site's own
        self._cache: dict[str, list[str]] = {}

    async def addresses(self, host: str) -> list[str]:
        if host not in self._cache:
            found = await self.resolve(host)
            if not found:
                return []  # a failed lookup is tried again by the next request (a retry may find it)
            self._cache[host] = found
        return self._cache[host]

    async def allow_seeds(self, seeds: tuple[str, ...] | list[str], hosts: tuple[str, ...] = ()) -> None:
        """The private addresses the seeds and ``--allow-host`` names resolve to are the site's own."""
        for host in [urlsplit(seed).hostname or "" for seed in seeds] + [h.split(":")[0] for h in hosts]:
            await self.allow_host(host)

    async def allow_host(self, host: str) -> None:
        """``host`` belongs to the site (a seed's redirect target, say): its private addresses may be contacted."""
        self.site_addresses.update(a for a in await self.addresses(host.strip("[]")) if is_private(a))

    async def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be contacted, or ``None`` when it may."""
        host = urlsplit(url).hostname or ""
        return self._refusal(host, await self.addresses(host))

    def _refusal(self, host: str, addresses: list[str]) -> str | None:
        if self.allow_private:
            return None
        private = [a for a in addresses if is_private(a) and a not in self.site_addresses]
        if private:
            return (
                f"refused: {host} resolves to a private or reserved address ({', '.join(private)}); "
                "use --allow-private to audit an internal site"
            )
        return None

    async def connectable(self, host: str) -> list[str]:
        """The addresses a connection to ``host`` may use: the ones its check looked at (the lookup is made once
        per scan and kept), never a second answer. Raises :class:`httpcore.ConnectError` when ``host`` is refused
        or does not resolve, so a request that skipped :meth:`refusal` is stopped here too."""
        host = host.strip("[]")
        addresses = await self.addresses(host)
        refusal = self._refusal(host, addresses)
        if refusal is not None:
            raise httpcore.ConnectError(refusal)
        if not addresses:
            raise httpcore.ConnectError(f"{host}: name or service not known")
        return addresses


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with each connection made to an address :class:`NetGuard` checked. Only the TCP
    connection changes: the Host header and the TLS server name (and its certificate check) stay the URL's host,
    because httpcore takes those from the request's origin, not from the address connected to."""

    def __init__(self, guard: NetGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: httpcore.ConnectError | None = None
        for address in await self.guard.connectable(host):
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # the next address of the same checked answer
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self.inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def pinned_transport(guard: NetGuard, limits: httpx.Limits | None = None) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go to the addresses ``guard`` checked (see :class:`PinnedBackend`).

    httpx has no public way to pass a network backend, so the pool it builds is given ours; a test
    (``test_a_name_is_connected_at_the_address_that_was_checked``) fails should a new httpx build it otherwise."""
    transport = httpx.AsyncHTTPTransport(limits=limits or httpx.Limits())
    pool = transport._pool
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpx version builds its connection pool differently; pinning cannot be applied")
    pool._network_backend = PinnedBackend(guard)
    return transport
