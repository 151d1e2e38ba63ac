"""WordPress's media library, read the way a scraper reads it: ``/wp-json/wp/v2/media`` (or, where pretty links
are off, ``/?rest_route=/wp/v2/media``) hands anyone every upload, including uploads no page shows. Each item
gives the file (``source_url``), every size WordPress made (``media_details.sizes``), the camera original it keeps
beside a ``-scaled`` copy (``media_details.original_image``, often still carrying GPS), and its attachment page.

Polite and bounded like every source: robots.txt decides (a ``Disallow: /wp-json/`` is honoured for both forms,
and said), at most :data:`MAX_LIST_PAGES` pages of 100, uploads count against ``--max-assets`` and attachment
pages against ``--max-pages``. What the list announced (``X-WP-Total``) and what was read are recorded for
``findings.json`` (``scan.sources``). Uploads found here are ``found_via: api``, found on their attachment page;
``unlisted_upload`` reports those that no other page shows.
"""

from __future__ import annotations

import posixpath
from typing import Any

from auditor.crawl.sources import Source, SourceContext
from auditor.crawl.urls import classify as classify_url
from auditor.crawl.urls import try_normalize
from auditor.models import Discovery, UrlKind

FORMS = ("/wp-json/wp/v2/media?per_page=100&page={page}", "/?rest_route=/wp/v2/media&per_page=100&page={page}")
MAX_LIST_PAGES = 200  # 20,000 uploads: the default --max-assets


def _field(value: Any, kind: type[Any]) -> Any:
    """``value`` when it is of ``kind``, else an empty one: the list is the site's JSON, to be read defensively."""
    return value if isinstance(value, kind) else kind()


def _urls(item: dict[str, Any]) -> list[str]:
    """Every address of one upload: the file, each size, and the camera original beside a ``-scaled`` copy."""
    source = _field(item.get("source_url"), str)
    if not source:
        return []
    details = _field(item.get("media_details"), dict)
    sizes = _field(details.get("sizes"), dict)
    found = [source] + [_field(s, dict).get("source_url") for s in sizes.values()]
    original = _field(details.get("original_image"), str)
    if original and "/" not in original:
        found.append(posixpath.join(posixpath.dirname(source), original))
    return list(dict.fromkeys(u for u in found if isinstance(u, str) and u))


def _kind(item: dict[str, Any], url: str) -> UrlKind:
    """What the upload is, by the MIME type WordPress recorded (a video or a PDF is read as such), else its name."""
    mime = _field(item.get("mime_type"), str)
    if mime.startswith("video/"):
        return "video"
    if mime.startswith("image/"):
        return "image"
    return "document" if classify_url(url) == "document" else "image"


async def _page(context: SourceContext, form: str, page: int) -> tuple[list[dict[str, Any]], dict[str, str]] | None:
    """One page of the list, or ``None`` when this is no WordPress media list (404, not JSON, closed)."""
    answer = await context.fetch_json(context.origin + form.format(page=page), "WordPress media list")
    if answer is None or not isinstance(answer[0], list):
        return None
    return [i for i in answer[0] if isinstance(i, dict)], answer[1]


async def discover(context: SourceContext) -> None:
    record: dict[str, Any] = {"source": "wordpress_media", "origin": context.origin}
    for form in FORMS:
        if not await context.allowed(context.origin + form.format(page=1)):
            record["note"] = (
                "not read: robots.txt disallows the WordPress API; a scraper that ignores robots.txt can still read "
                "it (--ignore-robots reads it)"
            )
            context.report(record)
            return
        first = await _page(context, form, 1)
        if first is not None:
            break
    else:
        return  # no WordPress media list here (or it is closed): nothing to say
    items, headers = first
    announced = headers.get("x-wp-total", "")
    pages = headers.get("x-wp-totalpages", "")
    record |= {
        "url": context.origin + form.format(page=1),
        "announced": int(announced) if announced.isdigit() else None,
        "reached": 0,
    }
    last = min(int(pages) if pages.isdigit() else 1, MAX_LIST_PAGES)
    authors: dict[int, int] = {}
    parents: dict[str, str] = dict(context.store.get_meta("api_parents") or {})
    page = 1
    while True:
        with context.store.transaction():
            for item in items:
                link = try_normalize(item["link"]) if isinstance(item.get("link"), str) else None
                where = link or record["url"]
                urls = [u for raw in _urls(item) if (u := try_normalize(raw, context.origin + "/"))]
                kind = _kind(item, urls[0]) if urls else "image"
                for url in urls:
                    context.add_asset(Discovery(url, kind, "api"), where)
                if len(urls) > 1:  # sizes of one upload: judged together (the largest, what no page shows)
                    context.store.add_variants(f"api:{context.origin}:{item.get('id')}", urls, "api")
                post = item.get("post")
                if isinstance(post, int) and post > 0 and urls:
                    # The post it is attached to, by the address WordPress redirects to its page: crawled, so that
                    # "no page shows it" is judged on that page (a post the crawl did not reach is not judged).
                    parents[urls[0]] = f"{context.origin}/?p={post}"
                    context.add_page(parents[urls[0]])
                if link is not None:
                    context.add_page(link)  # the attachment page: a page of its own that shows the upload
                if isinstance(item.get("author"), int):
                    authors[item["author"]] = authors.get(item["author"], 0) + 1
                record["reached"] += 1
        page += 1
        if page > last or context.out_of_time():
            break
        next_page = await _page(context, form, page)
        if next_page is None:  # said, never taken as the whole library: scan.sources shows reached < announced
            record["note"] = f"the list stopped answering at page {page} of {last}; the uploads after it were not read"
            break
        items = next_page[0]
    if last < (int(pages) if pages.isdigit() else 1):
        record["note"] = f"read the first {MAX_LIST_PAGES} pages of the list only"
    context.store.set_meta("api_parents", parents)
    context.report(record)
    if authors:
        await _uploaders(context, form, authors)


async def _uploaders(context: SourceContext, form: str, authors: dict[int, int]) -> None:
    """The full names the public users list gives for the accounts that uploaded (``uploader_names``): only the
    name and its upload count are kept, nothing else the list says."""
    url = context.origin + form.replace("/media", "/users").format(page=1)
    if not await context.allowed(url):
        return
    answer = await context.fetch_json(url, "WordPress users list")
    people: list[tuple[str, int]] = []
    if answer is not None:
        users = answer[0]
        for user in users if isinstance(users, list) else []:
            name = _field(_field(user, dict).get("name"), str).strip()
            uploads = authors.get(_field(user, dict).get("id"), 0)
            if uploads and len(name.split()) >= 2 and all(part[:1].isalpha() for part in name.split()):
                people.append((name, uploads))
    kept = [r for r in context.store.get_meta("uploader_names") or [] if r.get("list") != url]
    if people:
        kept.append({"list": url, "names": [n for n, _ in people], "uploads": [u for _, u in people]})
    context.store.set_meta("uploader_names", kept)


SOURCE = Source("wordpress_media", 20, discover)
