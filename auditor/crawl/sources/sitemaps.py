"""Sitemaps: the ones robots.txt names, ``/sitemap.xml`` and WordPress/Yoast's ``/sitemap_index.xml``, and the
sitemaps they list (at most 50). The pages a sitemap lists enter at depth 1; the images (image sitemaps) and
documents it lists are assets of the sitemap."""

from __future__ import annotations

from auditor.crawl.base import MAX_URLS_PER_SOURCE
from auditor.crawl.sitemaps import parse_sitemap
from auditor.crawl.sources import Source, SourceContext
from auditor.crawl.urls import classify as classify_url
from auditor.crawl.urls import try_normalize
from auditor.models import Discovery, UrlKind

MAX_SITEMAPS = 50
DEFAULTS = ("/sitemap.xml", "/sitemap_index.xml")  # the second is WordPress/Yoast's


async def discover(context: SourceContext) -> None:
    queue = [u for s in [*context.sitemaps, *DEFAULTS] if (u := try_normalize(s, context.origin + "/"))]
    seen: set[str] = set()
    while queue and len(seen) < MAX_SITEMAPS and not context.out_of_time():
        url = try_normalize(queue.pop(0))
        if url is None or url in seen or not context.scope.page_in_scope(url):
            continue
        seen.add(url)
        answer = await context.fetch(url, "sitemap")
        if answer is None:
            continue
        content = parse_sitemap(answer[1])  # (status, body, headers)
        queue.extend(u for s in content.sitemaps if (u := try_normalize(s, url)))
        with context.store.transaction():
            for raw in content.pages[:MAX_URLS_PER_SOURCE]:
                if page := try_normalize(raw, url):
                    context.add_page(page)
            context.dropped(max(0, len(content.pages) - MAX_URLS_PER_SOURCE), "discoveries_dropped")
            context.dropped(max(0, len(content.images) - MAX_URLS_PER_SOURCE), "discoveries_dropped")
            for raw in content.images[:MAX_URLS_PER_SOURCE]:
                if image := try_normalize(raw, url):
                    kind: UrlKind = "document" if classify_url(image) == "document" else "image"
                    context.add_asset(Discovery(image, kind, "sitemap"), url)


SOURCE = Source("sitemaps", 10, discover)
