"""Full-size originals a scraper can guess from a published thumbnail's URL.

Content management systems publish resized copies next to the upload and name them predictably; anyone can
strip the size from the name and get the camera original: WordPress (``-300x200``, ``-scaled``), Drupal image
styles, Squarespace (``format=original``), Wix (``/v1/…``) and Google-hosted pictures of Google Sites, Blogger and
Photos (``=w1280`` → ``=s0``). Each pattern here maps a served URL to the URLs of the
larger copies it implies; the crawler probes each once (HEAD) and fetches only those that exist.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_WP_SIZE = re.compile(r"^(?P<stem>.+?)-(?:\d{2,5}x\d{2,5}|scaled|e\d{10,13})(?P<ext>\.[A-Za-z0-9]{3,4})$")
_DRUPAL_STYLE = re.compile(r"^(?P<prefix>.*/files)/styles/[^/]+/(?:public|private)/(?P<rest>.+)$")
_WIX = re.compile(r"^(?P<media>/media/[^/]+\.(?:jpe?g|png|webp|gif))/v1/.+$", re.I)
# Google-hosted pictures (Google Sites, Blogger, Photos): ``…=w1280-h720-no`` serves a size; ``=s0`` the original.
_GOOGLE_SIZE = re.compile(r"^(?P<image>/.+)=(?P<options>[a-z0-9-]+)$", re.I)


def guess_originals(url: str) -> list[str]:
    """Larger variants implied by ``url`` (never ``url`` itself), most likely first."""
    parts = urlsplit(url)
    path, host = parts.path, parts.hostname or ""
    guesses: list[str] = []

    def variant(new_path: str, query: str = "") -> None:
        candidate = urlunsplit((parts.scheme, parts.netloc, new_path, query, ""))
        if candidate != url and candidate not in guesses:
            guesses.append(candidate)

    directory, _, name = path.rpartition("/")
    match = _WP_SIZE.match(name)
    if match and ("/wp-content/" in path or re.search(r"-\d{2,5}x\d{2,5}\.", name)):
        variant(f"{directory}/{match['stem']}{match['ext']}")
        variant(f"{directory}/{match['stem']}-scaled{match['ext']}")
    drupal = _DRUPAL_STYLE.match(path)
    if drupal:
        variant(f"{drupal['prefix']}/{drupal['rest']}")
    if host.endswith("squarespace-cdn.com") or "format=" in parts.query:
        query = dict(parse_qsl(parts.query))
        if query.get("format") != "original" and (host.endswith("squarespace-cdn.com") or "format" in query):
            query["format"] = "original"
            variant(path, urlencode(sorted(query.items())))
    wix = _WIX.match(path)
    if wix and host.endswith("wixstatic.com"):
        variant(wix["media"])
    google = _GOOGLE_SIZE.match(path)
    if google and host.endswith(".googleusercontent.com") and google["options"] != "s0":
        variant(f"{google['image']}=s0")
    return guesses
