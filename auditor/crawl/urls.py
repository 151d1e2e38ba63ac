"""URL normalization (one fetch per URL) and classification by extension.

Two spellings of the same resource must become one string: scheme and host lower-cased, default port dropped,
fragment dropped, dot segments resolved, percent-encoding normalized (unreserved characters decoded, hex
upper-cased, unsafe characters encoded) and query parameters sorted.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from auditor.models import UrlKind

IMAGE_EXTENSIONS = frozenset("jpg jpeg jpe jfif pjpeg png gif webp avif heic heif tif tiff bmp svg jxl".split())
DOCUMENT_EXTENSIONS = frozenset("pdf doc docx xls xlsx ppt pptx odt ods odp rtf pages key".split())
RESOURCE_EXTENSIONS = frozenset("js mjs cjs css json".split())
# Videos are fetched (up to --max-video-bytes) and analysed: container metadata and sampled frames.
VIDEO_EXTENSIONS = frozenset("mp4 m4v mov webm mkv avi 3gp".split())
STREAM_EXTENSIONS = frozenset(["m3u8", "mpd"])  # HLS/DASH: the crawl fetches their first segments (crawl/hls.py)
# Never fetched: audio, archives, fonts, executables. They cannot be analysed and can be huge.
OTHER_EXTENSIONS = frozenset(
    "wmv mp3 m4a wav ogg oga flac zip rar 7z gz tgz bz2 xz tar exe msi dmg iso apk "
    "woff woff2 ttf otf eot ico map txt csv xml rss atom ics vcf".split()
)
ASSET_KINDS = ("image", "document", "video")  # what the crawl fetches and the analysis reads
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = "/:@!$'()*+,;-._~%?"


class BadUrl(ValueError):
    """The string is not an http(s) URL we can fetch."""


def extension(url: str) -> str:
    """The lower-cased extension of the URL's last path segment, or ``""``."""
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    if "." not in last:
        return ""
    return unquote(last.rsplit(".", 1)[-1]).lower()


def classify(url: str) -> UrlKind:
    """What a URL probably is, from its extension alone (the response's Content-Type has the last word)."""
    ext = extension(url)
    if ext in IMAGE_EXTENSIONS:
        return "image"
    if ext in DOCUMENT_EXTENSIONS:
        return "document"
    if ext in VIDEO_EXTENSIONS or ext in STREAM_EXTENSIONS:
        return "video"
    if ext in RESOURCE_EXTENSIONS:
        return "resource"
    if ext in OTHER_EXTENSIONS:
        return "other"
    return "page"


def _normalize_component(text: str, safe: str) -> str:
    # Decode then re-encode so %7E and ~ (or %2f and %2F) become one spelling; keep encoded delimiters encoded.
    out = []
    for part in re.split(r"(%2[fF]|%3[fF]|%23|%26|%3[dD]|%25|%2[bB])", text):
        if re.fullmatch(r"%2[fF]|%3[fF]|%23|%26|%3[dD]|%25|%2[bB]", part):
            out.append(part.upper())
        else:
            out.append(quote(unquote(part), safe=safe))
    return "".join(out)


def normalize(url: str, base: str | None = None, keep_fragment: bool = False) -> str:
    """Resolve ``url`` against ``base`` and return its canonical form; raise :class:`BadUrl` if not http(s).

    ``keep_fragment`` is for share links, whose token can live in the fragment (iCloud ``#B0...``).
    """
    url = url.strip().replace("\\", "/")  # browsers read a backslash as a slash in http(s) URLs
    url = re.sub(r"[\t\n\r]", "", url)
    try:
        joined = urljoin(base, url) if base else url
        parts = urlsplit(joined)
        port = parts.port
    except ValueError as exc:
        raise BadUrl(f"{url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise BadUrl(f"{url!r}: not an http(s) URL")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BadUrl(f"{url!r}: no host")
    try:
        host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise BadUrl(f"{url!r}: bad host name") from exc
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    # %2E is an unreserved "." (RFC 3986 6.2.2.2): decoded before dot segments are removed, so normalizing is
    # idempotent and "/%2e%2e/x" cannot come back as "/../x" to climb out of a folder later.
    path = re.sub(r"%2[eE]", ".", parts.path) or "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path)
    path = path.replace("//", "/") if path.startswith("//") else path
    if trailing and not path.endswith("/"):
        path += "/"
    path = _normalize_component(path, _SAFE_PATH)
    query = ""
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = urlencode(sorted(pairs), quote_via=quote, safe=_SAFE_QUERY)
    fragment = parts.fragment if keep_fragment else ""
    return urlunsplit((scheme, netloc, path, query, fragment))


def try_normalize(url: str, base: str | None = None, keep_fragment: bool = False) -> str | None:
    """:func:`normalize`, or ``None`` for anything that is not a fetchable URL (mailto:, javascript:, junk)."""
    if not url or len(url) > 4096:
        return None
    try:
        return normalize(url, base, keep_fragment)
    except BadUrl:
        return None


def host_of(url: str) -> str:
    """The host of a normalized URL, with the port when it is not the default one."""
    return urlsplit(url).netloc


def parent_directories(url: str, limit: int = 3) -> list[str]:
    """The URL's enclosing folders, nearest first, never the site root: where an open listing may expose more."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    dirs = []
    for depth in range(len(segments) - 1, 0, -1):
        dirs.append(urlunsplit((parts.scheme, parts.netloc, "/" + "/".join(segments[:depth]) + "/", "", "")))
        if len(dirs) >= limit:
            break
    return dirs


# A route's own script chunk, as the front-end frameworks name it: SvelteKit before 1.0
# (``/_app/immutable/pages/gallery.svelte-3f9c2a.js``, ``/_app/pages/gallery/index.svelte-….js``), Next.js's pages
# router (``/_next/static/chunks/pages/gallery-3f9c2a.js``) and Nuxt 2 (``/_nuxt/pages/gallery.3f9c2a.js``).
_ROUTE_CHUNK = re.compile(
    r"/(?:_app(?:/immutable)?|_next/static/chunks|_nuxt)/pages/(?P<route>[^?#]*?)"
    r"(?:\.svelte|\.vue)?(?:[.-](?=[A-Za-z_]*[0-9])[A-Za-z0-9_]{5,})?\.m?js$"  # a content hash has a digit
)


def route_of_chunk(url: str) -> str | None:
    """The page a route's script chunk belongs to (``…/pages/gallery.svelte-3f9c.js`` → ``/gallery``): the page a
    visitor opens to see the photos that script shows. ``None`` for any other script, a layout or error chunk, and
    a route with a parameter (``[slug]``), which names no one page."""
    parts = urlsplit(url)
    found = _ROUTE_CHUNK.search(parts.path)
    if found is None:
        return None
    segments = [s for s in found.group("route").split("/") if s]
    if segments and segments[-1] in ("index", "+page", "_page"):
        segments = segments[:-1]
    if any(s.startswith(("[", "_", "+")) or ":" in s for s in segments):
        return None  # [slug], _layout, __error, +layout: no single page
    return f"{parts.scheme}://{parts.netloc}/" + "/".join(segments)
