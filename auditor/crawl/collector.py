"""What one page yields, collected in document order without repeats: each reference resolved against the
page's base URL and classified, share links kept apart, script and JSON literals kept only when they resolve to
the same site; and ``srcset`` parsing as HTML defines it."""

from __future__ import annotations

from collections.abc import Iterable

from auditor.crawl.scope import Scope
from auditor.crawl.scripts import (
    looks_like_asset_path,
    urls_in_css,
)
from auditor.crawl.sharelinks import match_provider
from auditor.crawl.urls import classify, try_normalize
from auditor.models import Discovery, Extraction, UrlKind, Via

# Attributes that hold one URL, by tag ("*" = any tag).
_URL_ATTRS: dict[str, tuple[str, ...]] = {
    "a": ("href",),
    "area": ("href",),
    "img": ("src", "lowsrc", "longdesc"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("poster", "src"),
    "source": ("src",),
    "input": ("src",),
    "*": ("background",),
}


def parse_srcset(value: str) -> list[str]:
    """URLs of a ``srcset`` (HTML's algorithm: URLs may contain commas, e.g. ``w_300,h_200``)."""
    urls, pos, n = [], 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while pos < n and (value[pos] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[pos], 0)
                pos += 1
        if url:
            urls.append(url)
    return urls


class Collector:
    """Accumulates discoveries in document order, without repeats, resolving against the page's base URL."""

    def __init__(self, base: str, scope: Scope) -> None:
        self.base = base
        self.scope = scope
        self.out = Extraction()
        self._seen: set[tuple[str, Via]] = set()
        self._shares: dict[str, None] = {}

    def add(
        self, raw: str | None, via: Via, hint: UrlKind | None = None, base: str | None = None, speculative: bool = False
    ) -> str | None:
        """Record one reference; returns its normalized URL when it is an image (for variant groups)."""
        if not raw:
            return None
        raw = raw.strip()
        if not raw or raw.startswith(("data:", "javascript:", "mailto:", "tel:", "#", "blob:")):
            return None
        shared = try_normalize(raw, base or self.base, keep_fragment=True)
        if shared and match_provider(shared):
            self._shares.setdefault(shared, None)
            return None
        url = try_normalize(raw, base or self.base)
        if url is None:
            return None
        kind = classify(url)
        if hint and kind == "page" and hint != "page":
            kind = hint
        if kind == "other":
            return None
        if (url, via) not in self._seen:
            self._seen.add((url, via))
            self.out.discoveries.append(Discovery(url=url, kind=kind, via=via, speculative=speculative))
        return url if kind == "image" else None

    def add_script_literals(self, literals: Iterable[str], via: Via, base: str | None = None) -> None:
        """Literals from JS/JSON: keep share links anywhere, assets only when they resolve to the same site."""
        for literal in literals:
            url = try_normalize(literal, base or self.base, keep_fragment=True)
            if url is None:
                continue
            if match_provider(url):
                self._shares.setdefault(url, None)
            elif not looks_like_asset_path(literal):
                continue
            elif literal.startswith(("/", "http:", "https:", "./", "../")):
                if self.scope.same_site(url):
                    self.add(literal, via, base=base)
            else:
                candidates = {url, try_normalize("/" + literal, base or self.base)}
                for candidate in sorted(c for c in candidates if c and self.scope.same_site(c)):
                    self.add(candidate, via, speculative=len(candidates) > 1)

    def add_css(self, source: str, base: str | None = None) -> None:
        urls, imports = urls_in_css(source)
        for url in urls:
            self.add(url, "css", hint="image", base=base)
        for url in imports:
            self.add(url, "css", hint="resource", base=base)

    def finish(self) -> Extraction:
        self.out.share_links = list(self._shares)
        return self.out
