"""``public_share_link``: Links to shared folders and files (Drive, OneDrive, Dropbox...)."""

from __future__ import annotations

from auditor.checks._check import Cause, Check, array, integer, string
from auditor.models import Finding, Severity, ShareAccess
from auditor.store import Store

SHARE_SEVERITY: dict[ShareAccess, Severity] = {
    "public": "high",
    "unknown": "medium",
    "unchecked": "medium",
    "login_required": "low",
    "gone": "info",
}
SHARE_ADVICE = {
    "public": "Anyone with this link can open it and download every photo in it. Remove the link from the site, "
    "or change the item's sharing to named people in your organization only.",
    "unknown": "Open the link in a private browser window: if it shows content without signing in, restrict its "
    "sharing to named people or remove the link.",
    "unchecked": "Link checks were switched off (--no-link-check). Open the link in a private browser window; if it "
    "shows content without signing in, restrict its sharing or remove the link.",
    "login_required": "The link asks for a sign-in now. Remove it from the page anyway: a sharing change by anyone "
    "with access would make it public again.",
    "gone": "The item no longer exists. Remove the dead link from the page.",
}


def find(store: Store) -> list[Finding]:
    findings = []
    for url, provider, stored_access, status, redirect, detail, pages in store.share_links():
        access: ShareAccess = stored_access or "unchecked"  # type: ignore[assignment]
        findings.append(
            Finding(
                id=Finding.make_id("public_share_link", url),
                check="public_share_link",
                severity=SHARE_SEVERITY[access],
                title=f"{provider} share link ({access.replace('_', ' ')})",
                asset=url,
                page=pages[0] if pages else None,
                evidence={
                    "provider": provider,
                    "access": access,
                    "status": status,
                    "redirect": redirect,
                    "detail": detail,
                    "found_on": pages,
                },
                advice=SHARE_ADVICE[access],
            )
        )
    return findings


CHECK = Check(
    id="public_share_link",
    order=110,
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
    site=find,
    causes=(
        Cause(
            "site",
            "{n} share links on the site open photos or documents to anyone",
            "Make each shared folder or file private (or limited to your organisation) and remove the links from "
            "the pages.",
        ),
        Cause("each", "A public share link: {asset}", key="share"),
    ),
    section="share_links",
    dpia="share_links",
)
