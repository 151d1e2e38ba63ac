"""Crawl-level checks: public share links, AI-training reservation, open directory listings.

Each check is a function ``store -> list[Finding]``; :func:`run_site_checks` runs them all and replaces the
store's findings of these check ids, so re-running after a resume gives the same result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from auditor.crawl.robots import RobotsPolicy
from auditor.models import Finding, Severity, ShareAccess
from auditor.store import Store

_DATED = re.compile(r"/(19|20)\d\d/(0[1-9]|1[0-2])?/?")
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


def share_link_findings(store: Store) -> list[Finding]:
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


def _seed_origins(store: Store) -> list[str]:
    origins: dict[str, None] = {}
    for seed in store.get_meta("seeds") or []:
        scheme, rest = seed.split("://", 1)
        origins.setdefault(f"{scheme}://{rest.split('/', 1)[0]}", None)
    return list(origins)


def ai_training_findings(store: Store) -> list[Finding]:
    """One finding per seed site whose AI-training reservation is missing or partial."""
    findings = []
    pages, images = store.page_counts(), store.image_counts()
    pages_total, pages_noai, pages_tdm = pages["total"], pages["noai"], pages["tdm"]
    images_total, images_noai = images["total"], images["noai"]
    for origin in _seed_origins(store):
        robots_status, robots_text, tdm_status, tdm_text = store.host_facts(origin)
        if robots_status is None:
            continue  # the site could not be reached: nothing is known of it (the seed is reported as failed)
        policy = RobotsPolicy(robots_text or "" if robots_status == 200 else "", robots_status)
        blocked, allowed = policy.ai_crawlers_blocked(origin + "/")
        tdmrep = _tdmrep_reserves(tdm_status, tdm_text)
        meta_everywhere = pages_total > 0 and pages_noai == pages_total
        missing = []
        if allowed:
            missing.append("robots.txt does not disallow every AI-training crawler")
        if not meta_everywhere:
            missing.append("not every page carries a noai/noimageai robots meta tag or X-Robots-Tag header")
        if not tdmrep and pages_tdm == 0:
            missing.append("no TDMRep reservation (/.well-known/tdmrep.json or tdm-reservation)")
        if not missing:
            continue
        nothing = not blocked and pages_noai == 0 and images_noai == 0 and not tdmrep and pages_tdm == 0
        findings.append(
            Finding(
                id=Finding.make_id("ai_training_not_reserved", origin),
                check="ai_training_not_reserved",
                severity="medium" if nothing else "low",
                title=(
                    "The site does not reserve its content from AI training"
                    if nothing
                    else "The site's AI-training reservation is incomplete"
                ),
                asset=None,
                page=origin + "/",
                evidence={
                    "site": origin,
                    "missing": missing,
                    "robots_txt_status": robots_status,
                    "ai_crawlers_blocked": blocked,
                    "ai_crawlers_allowed": allowed,
                    "pages": pages_total,
                    "pages_with_noai_meta": pages_noai,
                    "pages_with_tdm_reservation": pages_tdm,
                    "images": images_total,
                    "images_with_noai_header": images_noai,
                    "tdmrep_json": tdmrep,
                },
                advice="Add a robots.txt group that disallows the AI crawlers listed in the evidence, a "
                '<meta name="robots" content="noai, noimageai"> tag (or X-Robots-Tag header) on every page, '
                "and a /.well-known/tdmrep.json reservation. These signals are honoured by reputable crawlers "
                "only: they do not stop a scraper, so the photos themselves still need fixing.",
            )
        )
    return findings


def _tdmrep_reserves(status: int | None, text: str | None) -> bool:
    if status != 200 or not text:
        return False
    try:
        data: Any = json.loads(text)
    except ValueError:
        return False
    rules = data if isinstance(data, list) else [data]
    return any(isinstance(r, dict) and str(r.get("tdm-reservation")) == "1" for r in rules)


def directory_listing_findings(store: Store) -> list[Finding]:
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


SITE_CHECKS: dict[str, Callable[[Store], list[Finding]]] = {
    "public_share_link": share_link_findings,
    "ai_training_not_reserved": ai_training_findings,
    "directory_listing": directory_listing_findings,
}


def run_site_checks(store: Store) -> list[Finding]:
    """Run every crawl-level check and store its findings (replacing earlier ones of the same checks)."""
    findings = [f for check in SITE_CHECKS.values() for f in check(store)]
    store.replace_findings(list(SITE_CHECKS), findings)
    return findings
