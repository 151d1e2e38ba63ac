"""The one place that decides whether an address may be contacted: never one that is not globally routable (a
private, loopback, link-local, carrier-grade NAT or otherwise reserved address: cloud metadata at 169.254.169.254
or 100.100.100.200, the office router at 10.x) unless it is the
site's own (the address a seed, an ``--allow-host`` name or a host a seed redirects to resolves to: an
intranet, or a test server on 127.0.0.1) or ``--allow-private`` is given. A seed on a private address no longer
opens the whole private range: a page on the intranet that points at the router or the metadata service is
refused like any other.

Each host is resolved and checked before every request, redirect hops included. ``resolve`` can be replaced
(tests map made-up host names to public-looking addresses); the check itself is the same.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

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
            self._cache[host] = await self.resolve(host)
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
        if self.allow_private:
            return None
        host = urlsplit(url).hostname or ""
        private = [a for a in await self.addresses(host) if is_private(a) and a not in self.site_addresses]
        if private:
            return (
                f"refused: {host} resolves to a private or reserved address ({', '.join(private)}); "
                "use --allow-private to audit an internal site"
            )
        return None
