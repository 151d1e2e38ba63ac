"""Sitemaps: ``<urlset>`` (pages, plus image and video sitemap extensions) and ``<sitemapindex>``, gzipped or not.

Parsed with lxml in recover mode and without entity expansion or network access, so a broken or hostile sitemap
yields what it can and never an XML bomb.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field

from lxml import etree

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed


@dataclass(slots=True)
class SitemapContent:
    pages: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


def _ungzip(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return decompressor.decompress(body, MAX_SITEMAP_BYTES)
    except (zlib.error, gzip.BadGzipFile):
        return b""


def parse_sitemap(body: bytes) -> SitemapContent:
    """Page URLs, image URLs (``image:loc``, ``video:thumbnail_loc``) and child sitemaps, raw, in order."""
    content = SitemapContent()
    data = _ungzip(body)
    if not data.strip():
        return content
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return content
    if root is None:
        return content
    is_index = etree.QName(root).localname.lower() == "sitemapindex"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname.lower()
        text = (element.text or "").strip()
        if not text:
            continue
        parent = element.getparent()
        parent_name = etree.QName(parent).localname.lower() if parent is not None else ""
        if (name == "loc" and parent_name == "image") or name == "thumbnail_loc":
            content.images.append(text)
        elif name == "loc" and parent_name == "sitemap" and is_index:
            content.sitemaps.append(text)
        elif name == "loc" and parent_name == "url":
            content.pages.append(text)
    return content
