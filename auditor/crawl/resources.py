"""Scripts, stylesheets and JSON a page uses: fetched on the site only, parsed once per scan (the store keeps
what each yielded), followed a few levels deep for the images they name."""

from __future__ import annotations

import json
from dataclasses import replace

from auditor.crawl.base import MAX_URLS_PER_SOURCE, CrawlBase
from auditor.crawl.extract import extract_resource
from auditor.crawl.urls import route_of_chunk
from auditor.errors import FetchError
from auditor.models import Discovery, Extraction

MAX_RESOURCE_NESTING = 3


class Resources(CrawlBase):
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
            route = route_of_chunk(url)
            if route is not None and not self.scope.page_in_scope(route):
                route = None
            if route is not None and route != page_url:  # the page that shows this chunk's photos: crawl it too
                extraction.discoveries.append(Discovery(route, "page", "js"))
            for d in found.discoveries:
                if d.kind == "resource":
                    queue.append((d.url, nesting + 1))
                else:
                    extraction.discoveries.append(replace(d, page=route) if route and d.kind != "page" else d)
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
                    self._dropped(max(0, len(out.discoveries) - MAX_URLS_PER_SOURCE))
                    del out.discoveries[MAX_URLS_PER_SOURCE:]
                response.discard()
            except FetchError as exc:
                self.store.add_error(url, "fetch", exc.reason)
        self.store.put_resource(url, _encode_extraction(out))
        return out


def _encode_extraction(e: Extraction) -> str:
    return json.dumps({"d": [[d.url, d.kind, d.via, d.speculative] for d in e.discoveries], "s": e.share_links})


def _decode_extraction(payload: str) -> Extraction:
    data = json.loads(payload)
    discoveries = [Discovery(u, k, v, speculative=s) for u, k, v, s in data["d"]]
    return Extraction(discoveries=discoveries, share_links=list(data["s"]))
