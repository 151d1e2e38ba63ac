"""``public_share_link``: Links to shared folders and files (Drive, OneDrive, Dropbox...)."""

from __future__ import annotations

from auditor.checks._check import Check, array, integer, string

CHECK = Check(
    id="public_share_link",
    name="Public share links",
    stage="crawl",
    severities=("high", "medium", "low", "info"),
    severity_rule="high public, medium unknown/unchecked, low login required, info gone",
    means="The site links to a shared folder or file (Drive, OneDrive, Dropbox...).",
    why="A public folder often holds hundreds of unpublished photos.",
    reliability="One anonymous request per link; 'unknown' means it could not tell.",
    fix="Remove the link or restrict sharing to named people.",
    evidence={
        "provider": string(),
        "access": string(description="public, login_required, gone, unknown or unchecked"),
        "status": integer(nullable=True),
        "redirect": string(nullable=True),
        "detail": string(nullable=True),
        "found_on": array(string()),
    },
)
