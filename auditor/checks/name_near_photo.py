"""``name_near_photo``: People's names beside a photo: caption, alt text, link text, file name.

A name beside a child's photo turns "a child" into "this child": the single most identifying thing a page can add.
Titled names ("Mrs Patel") are usually staff and reported at low severity; untitled names (usually pupils) at medium.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from auditor.analyze.names import TITLES, filename_words, names_in, names_in_filenames
from auditor.checks._check import Cause, Check, array, string
from auditor.models import Finding, Subject
from auditor.store import Store


def _titled(name: str) -> bool:
    return name.split(" ", 1)[0].lower().rstrip(".") in TITLES


def find(store: Store, sizes: dict[str, tuple[int, int]]) -> list[Finding]:
    """Raises :class:`auditor.errors.CheckUnavailable` when no language model is installed."""
    assets = dict(store.fetched("image", originals_only=True))
    contexts: dict[str, list[tuple[str | None, str, str]]] = defaultdict(list)
    for url, page, where, text in store.image_contexts():
        if url in assets:
            contexts[url].append((page, where, text))
    for url in assets:
        words = filename_words(url)
        if words:
            contexts[url].append((None, "filename", words))
    found = names_in([text for rows in contexts.values() for _, where, text in rows if where != "filename"])
    found |= names_in_filenames([text for rows in contexts.values() for _, where, text in rows if where == "filename"])
    findings = []
    for url in sorted(contexts):
        matches: list[dict[str, Any]] = []
        for place, where, text in contexts[url]:
            names = found.get(text, [])
            if names:
                shown = url.rsplit("/", 1)[-1] if where == "filename" else text
                matches.append({"page": place, "where": where, "text": shown, "names": names})
        if not matches:
            continue
        all_names = list(dict.fromkeys(n for m in matches for n in m["names"]))
        untitled = [n for n in all_names if not _titled(n)]
        findings.append(
            Finding(
                Subject(url, store.first_page(url), assets[url]).finding_id("name_near_photo"),
                "name_near_photo",
                "medium" if untitled else "low",
                "A person's name beside the photo" if untitled else "A staff member's name beside the photo",
                url,
                next((m["page"] for m in matches if m["page"]), store.first_page(url)),
                {"names": all_names, "matches": matches},
                "Do not put pupils' full names next to their photos (first names at most, never in alt text or file "
                "names, and only with consent). Rename files that carry a name.",
            )
        )
    return findings


CHECK = Check(
    id="name_near_photo",
    order=100,
    name="Names beside photos",
    stage="analysis",
    severities=("medium", "low"),
    severity_rule="medium, low when only titled names",
    means="A person's name appears next to the photo, in its caption, alt text or file name.",
    why="A name turns 'a child' into 'this child': the most identifying thing a page can add.",
    reliability="A language model plus rules: about 92 % of names found, few false alarms on test captions.",
    fix="No pupils' full names beside photos; rename files that carry names.",
    evidence={
        "names": array(string()),
        "matches": array(
            {
                "type": "object",
                "properties": {
                    "page": string(nullable=True),
                    "where": string(description="alt, title, figcaption, link_text, nearby or filename"),
                    "text": string(),
                    "names": array(string()),
                },
            }
        ),
    },
    name_fields=("names",),
    store=find,
    names_photo=True,
    causes=(
        Cause(
            "site",
            "{n} photos have a person's full name beside them",
            "Use first names only (or none) beside photos of pupils; never a full name next to a face.",
        ),
    ),
    dpia="names",
)
