"""Drupal's file list, read the way a scraper reads it: where the core JSON:API module is on (decoupled front ends
and apps turn it on), ``/jsonapi/file/file`` hands anyone every file entity the visitor may view, 50 a page, with
its address (``attributes.uri.url``) and MIME type, including files no page shows any more.

Polite and bounded like every source: robots.txt decides (and a refusal is said), at most :data:`MAX_LIST_PAGES`
pages, following only the list's own ``links.next`` within scope; files count against ``--max-assets``. What the
list announced (``meta.count``, which Drupal gives only where a site turned counting on) and what was read are
recorded for ``findings.json`` (``scan.sources``). Files found here are ``found_via: api``, found on the list
itself; ``unlisted_upload`` reports those no page shows (judged only when the crawl reached every page it found:
the list says nothing of where a file is used).
"""

from __future__ import annotations

from typing import Any

from auditor.crawl.sources import Source, SourceContext
from auditor.crawl.urls import classify as classify_url
from auditor.crawl.urls import try_normalize
from auditor.models import Discovery, UrlKind

LIST = "/jsonapi/file/file"
MAX_LIST_PAGES = 400  # 50 a page: 20,000 files, the default --max-assets
NAME = "Drupal JSON:API file list"


def _kind(mime: str, url: str) -> UrlKind | None:
    """What the file is, by the MIME type Drupal recorded, else its name; ``None`` for what no check reads."""
    if mime.startswith("image/"):
        return "image"
    if mime.startswith("video/"):
        return "video"
    kind = classify_url(url)
    return kind if kind in ("image", "video", "document") else None


def _address(item: Any) -> tuple[str, str] | None:
    """(the file's address as given, its MIME type) of one ``file--file`` resource, read defensively: the list is
    the site's JSON. Drupal 8.5 and later give ``uri.url``; JSON:API 1.x gave ``attributes.url``."""
    if not isinstance(item, dict) or item.get("type") != "file--file":
        return None
    attributes = item.get("attributes")
    if not isinstance(attributes, dict):
        return None
    uri = attributes.get("uri")
    url = uri.get("url") if isinstance(uri, dict) else None
    url = url if isinstance(url, str) and url else attributes.get("url")
    mime = attributes.get("filemime")
    return (url, mime if isinstance(mime, str) else "") if isinstance(url, str) and url else None


def _next(document: dict[str, Any]) -> str | None:
    links = document.get("links")
    target = links.get("next") if isinstance(links, dict) else None
    href = target.get("href") if isinstance(target, dict) else target
    return href if isinstance(href, str) and href else None


async def discover(context: SourceContext) -> None:
    first = context.origin + LIST
    record: dict[str, Any] = {"source": "drupal_files", "origin": context.origin}
    if not await context.allowed(first):
        record["note"] = (
            "not read: robots.txt disallows the Drupal JSON:API; a scraper that ignores robots.txt can still read "
            "it (--ignore-robots reads it)"
        )
        context.report(record)
        return
    url: str | None = first
    pages = 0
    seen: set[str] = set()
    while url is not None and url not in seen and pages < MAX_LIST_PAGES and not context.out_of_time():
        seen.add(url)
        answer = await context.fetch_json(url, NAME)
        document = answer[0] if answer is not None else None
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(document, dict) or not isinstance(data, list):
            if pages == 0:
                return  # no Drupal file list here (or it is closed): nothing to say
            record["note"] = f"the list stopped answering at page {pages + 1}; the files after it were not read"
            url = None
            break
        if pages == 0:
            meta = document.get("meta")
            count = meta.get("count") if isinstance(meta, dict) else None
            record |= {"url": first, "announced": count if isinstance(count, int) else None, "reached": 0}
        with context.store.transaction():
            for item in data:
                found = _address(item)
                address = try_normalize(found[0], context.origin + "/") if found else None
                kind = _kind(found[1], address) if found and address else None
                if address is not None and kind is not None:
                    context.add_asset(Discovery(address, kind, "api"), url)
                record["reached"] += found is not None
        pages += 1
        following = _next(document)
        url = try_normalize(following, url) if following else None
        if url is not None and not (context.scope.page_in_scope(url) and url.startswith(first)):
            url = None  # the list's own pages only
    if url is not None and url not in seen:  # said, never taken as the whole list: scan.sources shows what was read
        record["note"] = (
            f"read the first {MAX_LIST_PAGES} pages of the list only"
            if pages >= MAX_LIST_PAGES
            else f"the time budget ran out after {pages} pages of the list"
        )
    context.report(record)


SOURCE = Source("drupal_files", 30, discover)
