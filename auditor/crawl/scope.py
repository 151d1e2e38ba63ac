"""What the crawler may fetch: pages only on the seed and ``--allow-host`` hosts, assets anywhere.

Hosts are compared by host name, whatever the port or scheme, so ``http://`` and ``https://`` of one site are one
scope. A seed that redirects to another host (``school.org`` → ``www.school.org``) brings that host into scope,
since that is where the site actually lives; the crawler calls :meth:`Scope.adopt` for it.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from urllib.parse import urlsplit


def _hostname(url_or_host: str) -> str:
    if "://" in url_or_host:
        return (urlsplit(url_or_host).hostname or "").lower()
    host = url_or_host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Scope:
    """The set of hosts whose pages are crawled; everything else is only ever fetched as an asset."""

    def __init__(
        self,
        seeds: tuple[str, ...] | list[str],
        allow_hosts: tuple[str, ...] | list[str] = (),
        include: tuple[str, ...] = (),
        exclude: tuple[str, ...] = (),
    ):
        self._hosts = {_hostname(s) for s in [*seeds, *allow_hosts]}
        self._bases = {h.removeprefix("www.") for h in self._hosts}
        self._seeds = set(seeds)
        self._include, self._exclude = include, exclude

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(self._hosts)

    def adopt(self, host_or_url: str) -> None:
        """Bring a host into scope (a seed's own redirect target)."""
        host = _hostname(host_or_url)
        self._hosts.add(host)
        self._bases.add(host.removeprefix("www."))

    def on_site(self, url: str) -> bool:
        """On one of the site's own hosts (whatever ``--include``/``--exclude`` say about crawling it)."""
        return _hostname(url) in self._hosts

    def page_in_scope(self, url: str) -> bool:
        """May this URL be crawled as a page (fetched, parsed, its links followed)? On a scoped host, and, unless
        it is a starting page, matching ``--include`` (when given) and no ``--exclude`` pattern."""
        if _hostname(url) not in self._hosts:
            return False
        if url in self._seeds:
            return True
        if self._include and not any(fnmatchcase(url, p) for p in self._include):
            return False
        return not any(fnmatchcase(url, p) for p in self._exclude)

    def same_site(self, url: str) -> bool:
        """In scope, or a subdomain of a scoped site (``cdn.school.org``): trusted for URLs found in scripts."""
        host = _hostname(url)
        return host in self._hosts or any(host == b or host.endswith("." + b) for b in self._bases)
