"""Every URL an HTML page exposes: links, images (including lazy-load and responsive variants), styles, JSON-LD,
inline scripts, share links, and the page's AI-training signals.

Parsing is BeautifulSoup over lxml, which accepts any malformed HTML. Inline ``<script>`` and ``<style>`` are
scanned here like external ones (``via`` js/css); external scripts, stylesheets and JSON come back as
``resource`` discoveries for the crawler to fetch and pass to :func:`extract_resource`.
"""

from __future__ import annotations

import json
import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning
from bs4.builder import ParserRejectedMarkup

from auditor.crawl.collector import Collector, parse_srcset
from auditor.crawl.scope import Scope
from auditor.crawl.scripts import (
    asset_literals_in_js,
    asset_strings_in_json,
    looks_like_asset_path,
)
from auditor.crawl.sharelinks import match_provider, share_links_in_text
from auditor.crawl.urls import classify, try_normalize
from auditor.models import Extraction, PageSignals, UrlKind

__all__ = ["extract_html", "extract_resource", "parse_srcset"]

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
_SRCSET_ATTRS = ("srcset", "imagesrcset")
_IMAGE_META = {
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
    "thumbnail",
    "msapplication-tileimage",
}
_JSONLD_IMAGE_KEYS = {"image", "thumbnailurl", "contenturl", "logo", "photo", "primaryimageofpage"}
_MOUNT_IDS = {"app", "root", "__next", "__nuxt", "svelte", "main-app", "gallery-app"}
MAX_CONTEXT_CHARS = 300
_LISTING_TITLE = re.compile(r"^\s*(index of|directory listing for)\s+/", re.IGNORECASE)


def _decode(body: bytes, declared: str | None) -> str:
    for encoding in filter(None, [declared, "utf-8"]):
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def _page_signals(soup: BeautifulSoup, headers: dict[str, str]) -> PageSignals:
    tokens: set[str] = set()
    tdm = headers.get("tdm-reservation", "").strip() == "1"
    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or "").lower()
        content = str(meta.get("content") or "").lower()
        if name in {"robots", "googlebot", "bingbot"} or name.endswith("bot"):
            tokens.update(t.strip() for t in content.split(","))
        if name == "tdm-reservation" and content.strip() == "1":
            tdm = True
    robots_header = headers.get("x-robots-tag", "").lower()  # "noai" or "bot-name: noai, noimageai"
    tokens.update(t.strip().split(":")[-1].strip() for t in robots_header.split(","))
    return PageSignals(noai="noai" in tokens, noimageai="noimageai" in tokens or "noai" in tokens, tdm_reservation=tdm)


def _jsonld_images(data: object, collector: Collector) -> None:
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        key, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((str(k).lower(), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((key, v) for v in item)
        elif isinstance(item, str) and (key in _JSONLD_IMAGE_KEYS or looks_like_asset_path(item)):
            collector.add(item, "html", hint="image" if key in _JSONLD_IMAGE_KEYS else None)


def _tag_urls(tag: Tag, c: Collector) -> list[str]:
    """Record every URL on one element; returns the images among them (one picture's sizes, for an <img>)."""
    name = tag.name
    images: list[str | None] = []
    if name == "a" and isinstance(tag.get("href"), str) and not tag.find("img"):
        target = try_normalize(str(tag["href"]), c.base)
        text = _short(tag.get_text(" "))
        if target and text and classify(target) == "image":
            c.out.image_context.append((target, "link_text", text))
    for attr in (*_URL_ATTRS.get(name, ()), *_URL_ATTRS["*"]):
        value = tag.get(attr)
        if isinstance(value, str):
            hint: UrlKind | None = "image" if name in {"img", "input"} or attr in ("background", "poster") else None
            if (name == "video" and attr == "src") or (name == "source" and tag.find_parent("video") is not None):
                hint = "video"
            elif name == "source":
                continue  # <audio> and <picture> sources: audio is not analysed, pictures are read elsewhere
            images.append(c.add(value, "html", hint=hint))
    for attr in _SRCSET_ATTRS:
        value = tag.get(attr)
        if isinstance(value, str):
            images.extend(c.add(url, "html", hint="image") for url in parse_srcset(value))
    for attr, value in tag.attrs.items():
        if not attr.startswith("data-") or not isinstance(value, str):
            continue
        if "srcset" in attr:
            images.extend(c.add(url, "html", hint="image") for url in parse_srcset(value))
        elif "url(" in value:
            c.add_css(value)
        elif looks_like_asset_path(value.strip()) or match_provider(
            try_normalize(value, c.base, keep_fragment=True) or ""
        ):
            images.append(c.add(value, "html"))
    style = tag.get("style")
    if isinstance(style, str) and "url(" in style:
        c.add_css(style)
    return [u for u in images if u]


def _dimension(value: object) -> int | None:
    text = str(value or "").strip().removesuffix("px")
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else None


def _img_group(img: Tag, own: list[str], c: Collector) -> None:
    """One picture's sizes: the <img>'s own URLs, its <picture> sources, and a full-size link around it."""
    group = list(own)
    picture = img.find_parent("picture")
    if picture is not None:
        for source in picture.find_all("source"):
            for attr in (*_SRCSET_ATTRS, "data-srcset"):
                value = source.get(attr)
                if isinstance(value, str):
                    group.extend(u for u in (try_normalize(x, c.base) for x in parse_srcset(value)) if u)
    link = img.find_parent("a")
    if link is not None and isinstance(link.get("href"), str):
        target = try_normalize(str(link["href"]), c.base)
        if target and classify(target) == "image":
            group.append(target)
    group = list(dict.fromkeys(group))
    if len(group) > 1:
        c.out.variant_groups.append(group)
    width, height = _dimension(img.get("width")), _dimension(img.get("height"))
    if own and width and height:
        c.out.declared_sizes.setdefault(own[0], (width, height))
    if own:
        _context(img, own[0], link, c)


def _short(text: str | None, limit: int = MAX_CONTEXT_CHARS) -> str | None:
    text = " ".join((text or "").split())
    return text if text and len(text) <= limit else None


def _context(img: Tag, url: str, link: Tag | None, c: Collector) -> None:
    """The text a reader sees with the picture: where a name beside a photo would be."""
    found: list[tuple[str, str | None]] = [
        ("alt", _short(str(img.get("alt") or ""))),
        ("title", _short(str(img.get("title") or ""))),
    ]
    figure = img.find_parent("figure")
    caption = figure.find("figcaption") if figure is not None else None
    if caption is not None:
        found.append(("figcaption", _short(caption.get_text(" "))))
    if link is not None:
        found.append(("link_text", _short(link.get_text(" ")) or _short(str(link.get("title") or ""))))
    for parent in img.parents:
        if parent.name in ("body", "main", "html", None):
            break
        if parent.name in ("figure", "li", "article", "td") or any(
            k in " ".join(parent.get("class") or []).lower() for k in ("card", "item", "caption", "gallery")
        ):
            found.append(("nearby", _short(parent.get_text(" "))))
            break
    seen: set[str] = set()
    for where, text in found:
        if text and text not in seen:
            seen.add(text)
            c.out.image_context.append((url, where, text))


def _head_urls(soup: BeautifulSoup, c: Collector) -> None:
    for meta in soup.find_all("meta"):
        key = str(meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = meta.get("content")
        if isinstance(content, str) and (key in _IMAGE_META or key == "image"):
            c.add(content, "html", hint="image")
        elif isinstance(content, str) and key in ("og:video", "og:video:url", "og:video:secure_url"):
            c.add(content, "html", hint="video")
        if str(meta.get("http-equiv") or "").lower() == "refresh" and isinstance(content, str):
            match = re.search(r"url\s*=\s*['\"]?([^'\";]+)", content, re.IGNORECASE)
            if match:
                c.add(match.group(1), "html")
    for link in soup.find_all("link"):
        rel = {r.lower() for r in (link.get("rel") or [])}
        href = link.get("href")
        if rel & {"stylesheet", "modulepreload"} and isinstance(href, str):
            c.add(href, "html", hint="resource")  # modulepreload: Vite and SvelteKit's route chunks name photos
        elif (
            rel & {"preload", "prefetch", "image_src"}
            and str(link.get("as") or "image") in {"image", "fetch"}
            and isinstance(href, str)
        ):
            c.add(href, "html", hint="image" if rel & {"image_src"} or link.get("as") == "image" else None)


def _scripts(soup: BeautifulSoup, c: Collector) -> None:
    for script in soup.find_all("script"):
        kind = str(script.get("type") or "").lower()
        src = script.get("src")
        if isinstance(src, str):
            c.add(src, "html", hint="resource")
            continue
        text = script.string or script.get_text()
        if not text:
            continue
        if kind == "application/ld+json":
            try:
                _jsonld_images(json.loads(text), c)
            except (ValueError, RecursionError):
                c.add_script_literals(asset_literals_in_js(text), "html")
        elif kind.endswith("json"):
            c.add_script_literals(asset_strings_in_json(text), "json")
        else:
            c.add_script_literals(asset_literals_in_js(text), "js")
    for style in soup.find_all("style"):
        c.add_css(style.get_text())


def _looks_script_built(soup: BeautifulSoup, text: str, links: int) -> bool:
    """An app shell: scripts, and either almost no text and links, an empty mount point, or a noscript plea."""
    if not soup.find("script"):
        return False
    for tag in soup.find_all(id=True):
        if str(tag.get("id")).lower() in _MOUNT_IDS and not tag.get_text(strip=True):
            return True
    noscript = " ".join(n.get_text(" ") for n in soup.find_all("noscript")).lower()
    return "javascript" in noscript or (len(text) < 400 and links < 5)


def extract_html(
    body: bytes, page_url: str, scope: Scope, headers: dict[str, str] | None = None, encoding: str | None = None
) -> Extraction:
    """All discoveries of one HTML document; never raises on malformed markup (returns what it could find)."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    # Without a charset in the headers, let Beautiful Soup read <meta charset> and sniff the bytes.
    markup: str | bytes = _decode(body, encoding) if encoding else body
    try:
        with warnings.catch_warnings():
            # A page whose whole text looks like a file name or like XML is still just a (strange) page.
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(markup, "lxml")
    except (ParserRejectedMarkup, RecursionError):
        soup = BeautifulSoup("", "lxml")
    base_tag = soup.find("base", href=True)
    base = try_normalize(str(base_tag["href"]), page_url) if isinstance(base_tag, Tag) else None
    c = Collector(base or page_url, scope)
    _head_urls(soup, c)
    for tag in soup.find_all(True):
        found = _tag_urls(tag, c)
        if tag.name == "img":
            _img_group(tag, found, c)
    _scripts(soup, c)
    for noscript in soup.find_all("noscript"):  # lxml may keep <noscript> content as text
        inner = noscript.get_text()
        if "<" in inner:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
                inner_soup = BeautifulSoup(inner, "lxml")
            for tag in inner_soup.find_all(True):
                _tag_urls(tag, c)
    visible = soup.body.get_text(" ", strip=True) if soup.body else ""
    for url in share_links_in_text(visible):
        c.add(url, "html")
    out = c.finish()
    title = soup.title.get_text(strip=True) if soup.title else None
    out.title = title[:300] if title else None
    out.signals = _page_signals(soup, headers)
    heading = soup.find("h1")
    out.is_directory_listing = bool(
        _LISTING_TITLE.match(title or "")
        or (heading and _LISTING_TITLE.match(heading.get_text()))
        or "[To Parent Directory]" in visible
    )
    links = sum(1 for d in out.discoveries if d.kind == "page")
    out.looks_script_built = _looks_script_built(soup, visible, links)
    return out


def extract_resource(body: bytes, url: str, content_type: str, page_url: str, scope: Scope) -> Extraction:
    """Discoveries in a fetched script, stylesheet or JSON file. CSS resolves against itself; scripts and JSON
    against the page that loaded them, as the browser would when it turns their strings into ``<img src>``."""
    text = _decode(body, None)
    c = Collector(page_url, scope)
    ctype = content_type.lower()
    if "css" in ctype or url.lower().split("?")[0].endswith(".css"):
        c.add_css(text, base=url)
    elif "json" in ctype or url.lower().split("?")[0].endswith(".json"):
        c.add_script_literals(asset_strings_in_json(text), "json")
    else:
        c.add_script_literals(asset_literals_in_js(text), "js")
    return c.finish()
