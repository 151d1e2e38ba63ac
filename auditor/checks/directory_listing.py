"""``directory_listing``: Open folder listings on the web server."""

from __future__ import annotations

from auditor.checks._check import Check, array, boolean, integer, string

CHECK = Check(
    id="directory_listing",
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
)
