"""Asset URLs hidden in JavaScript bundles, JSON files and CSS, found without a browser.

Single-page apps (React, Svelte, Vite, webpack) often list every gallery image only as string literals inside a
JS chunk or a JSON file the chunk loads. We scan string literals rather than parse JavaScript: a literal that looks
like a path or URL with an image/document extension (or a ``.json`` file, or a share link) is a candidate; the
caller resolves it and keeps it only when it is on the same site.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from auditor.crawl.urls import DOCUMENT_EXTENSIONS, IMAGE_EXTENSIONS, STREAM_EXTENSIONS, VIDEO_EXTENSIONS

_JS_STRING = re.compile(
    r""""((?:[^"\\\n]|\\.){1,2048})"|'((?:[^'\\\n]|\\.){1,2048})'|`((?:[^`\\$]|\\.|\$(?!\{)){1,2048})`""",
    re.DOTALL,
)
_ESCAPES = re.compile(r"\\u([0-9a-fA-F]{4})|\\u\{([0-9a-fA-F]{1,6})\}|\\x([0-9a-fA-F]{2})|\\(.)")
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']([^"']+)["']""", re.IGNORECASE)
_EXTS = "|".join(
    sorted(
        IMAGE_EXTENSIONS | DOCUMENT_EXTENSIONS | VIDEO_EXTENSIONS | STREAM_EXTENSIONS | {"json"}, key=len, reverse=True
    )
)
_PATHLIKE = re.compile(rf"^(?:https?:)?(?://)?[^\s<>\"'{{}}|\\^`*]*?\.(?:{_EXTS})(?:[?#][^\s<>\"']*)?$", re.IGNORECASE)
MAX_SCRIPT_CHARS = 20 * 1024 * 1024


def _unescape(literal: str) -> str:
    def repl(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2) or m.group(3)
        if code:
            return chr(int(code, 16))
        ch = m.group(4)
        return {"n": "\n", "t": "\t", "r": "\r"}.get(ch, ch)

    return _ESCAPES.sub(repl, literal)


def looks_like_asset_path(text: str) -> bool:
    """A string that is a URL or path ending in an image, document or JSON extension (query allowed)."""
    if len(text) < 5 or len(text) > 2048 or text.startswith("data:"):
        return False
    return bool(_PATHLIKE.match(text)) and ("/" in text or "." in text.split("?")[0])


def js_string_literals(source: str) -> Iterator[str]:
    """Every string literal of a script, unescaped (template literals with ``${...}`` are skipped)."""
    for match in _JS_STRING.finditer(source[:MAX_SCRIPT_CHARS]):
        raw = match.group(1) or match.group(2) or match.group(3) or ""
        yield _unescape(raw) if "\\" in raw else raw


def asset_literals_in_js(source: str) -> list[str]:
    """String literals of a script that look like asset, JSON or http(s) URLs, in order, without repeats."""
    seen: dict[str, None] = {}
    for literal in js_string_literals(source):
        text = literal.strip()
        if looks_like_asset_path(text) or text.startswith(("http://", "https://")):
            seen.setdefault(text, None)
    return list(seen)


def _walk_json(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def asset_strings_in_json(text: str) -> list[str]:
    """String values of a JSON document that look like asset URLs; falls back to a literal scan if it is not JSON."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return asset_literals_in_js(text)
    seen: dict[str, None] = {}
    for value in _walk_json(data):
        value = value.strip()
        if looks_like_asset_path(value) or value.startswith(("http://", "https://")):
            seen.setdefault(value, None)
    return list(seen)


def urls_in_css(source: str) -> tuple[list[str], list[str]]:
    """(``url(...)`` references, ``@import`` targets) of a stylesheet, raw and in order."""
    urls = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(source[:MAX_SCRIPT_CHARS])]
    imports = [m.group(1) for m in _CSS_IMPORT.finditer(source[:MAX_SCRIPT_CHARS])]
    return [u.strip() for u in urls if u.strip() and not u.strip().startswith("data:")], imports
