"""``ai_training_not_reserved``: A site that does not reserve its content against AI training."""

from __future__ import annotations

import json
from typing import Any

from auditor.checks._check import Check, array, boolean, integer, string
from auditor.crawl.robots import RobotsPolicy, ai_crawler_list
from auditor.models import Finding
from auditor.store import Store


def _seed_origins(store: Store) -> list[str]:
    origins: dict[str, None] = {}
    for seed in store.get_meta("seeds") or []:
        scheme, rest = seed.split("://", 1)
        origins.setdefault(f"{scheme}://{rest.split('/', 1)[0]}", None)
    return list(origins)


def find(store: Store) -> list[Finding]:
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
        blocked, allowed, ignoring = policy.ai_crawlers_blocked(origin + "/")
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
                    "ai_crawlers_ignoring_robots": ignoring,
                    "ai_crawler_list": ai_crawler_list(),
                    "pages": pages_total,
                    "pages_with_noai_meta": pages_noai,
                    "pages_with_tdm_reservation": pages_tdm,
                    "images": images_total,
                    "images_with_noai_header": images_noai,
                    "tdmrep_json": tdmrep,
                },
                advice="Add a robots.txt group that disallows the AI crawlers listed in the evidence (`auditor policy` "
                "writes one), a "
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


CHECK = Check(
    id="ai_training_not_reserved",
    order=130,
    name="No reservation against AI training",
    stage="crawl",
    severities=("medium", "low"),
    severity_rule="medium nothing reserved, low partial (one per seed site)",
    means="The site does not tell AI crawlers not to use its content.",
    why="Reputable crawlers honour these signals; they do not stop scrapers, so fix the photos too.",
    reliability="Exact for the signals listed.",
    fix="Add robots.txt rules, noai meta tags and a TDMRep file.",
    evidence={
        "site": string(),
        "missing": array(string()),
        "robots_txt_status": integer(nullable=True),
        "ai_crawlers_blocked": array(string()),
        "ai_crawlers_allowed": array(string()),
        "ai_crawlers_ignoring_robots": array(
            string(), "blocked in robots.txt, but their operators do not promise to obey it (ai-crawler-robots' table)"
        ),
        "ai_crawler_list": string(description="the list of AI crawlers compared with, and its data's date"),
        "pages": integer(),
        "pages_with_noai_meta": integer(),
        "pages_with_tdm_reservation": integer(),
        "images": integer(),
        "images_with_noai_header": integer(),
        "tdmrep_json": boolean(),
    },
    site=find,
    section="ai_signals",
)
