"""``directory_listing``: Open folder listings on the web server."""

from __future__ import annotations

import re

from auditor.checks._check import Cause, Check, array, boolean, integer, string
from auditor.models import Finding
from auditor.store import Store

_DATED = re.compile(r"/(19|20)\d\d/(0[1-9]|1[0-2])?/?")


def find(store: Store) -> list[Finding]:
    findings = []
    for page, listed in store.listing_pages():
        findings.append(
            Finding(
                id=Finding.make_id("directory_listing", page),
                check="directory_listing",
                severity="high" if listed else "medium",
                title=f"Open directory listing ({len(listed)} images/documents listed)",
                asset=None,
                page=page,
                evidence={
                    "url": page,
                    "listed_assets": len(listed),
                    "examples": listed[:10],
                    "dated_folder": bool(_DATED.search(page)),
                },
                advice="Turn off automatic directory indexes on the web server (Apache: Options -Indexes; nginx: "
                "autoindex off; IIS: disable Directory Browsing). A listing hands a scraper every file in the "
                "folder, including photos that no page links to"
                + ("; dated folders (/2024/05/) let it walk every month too." if _DATED.search(page) else "."),
            )
        )
    return findings


CHECK = Check(
    id="directory_listing",
    order=120,
    name="Open folder listings",
    stage="crawl",
    severities=("high", "medium"),
    severity_rule="high when it lists images/documents, else medium",
    means="The web server lists every file in a folder.",
    why="A listing hands a scraper every photo, including ones no page links to.",
    reliability="Exact: the listing was fetched.",
    fix="Turn off directory indexes on the web server.",
    evidence={
        "url": string(),
        "listed_assets": integer(),
        "examples": array(string()),
        "dated_folder": boolean("a /2024/05/-style folder: every month can be walked"),
    },
    site=find,
    causes=(
        Cause(
            "site",
            "{n} folders list their files to anyone who opens them",
            "Turn off directory listings (autoindex / Options -Indexes) on the web server, once for the whole site.",
        ),
    ),
)
