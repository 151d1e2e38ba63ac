"""``ai_training_not_reserved``: A site that does not reserve its content against AI training."""

from __future__ import annotations

from auditor.checks._check import Check, array, boolean, integer, string

CHECK = Check(
    id="ai_training_not_reserved",
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
        "pages": integer(),
        "pages_with_noai_meta": integer(),
        "pages_with_tdm_reservation": integer(),
        "images": integer(),
        "images_with_noai_header": integer(),
        "tdmrep_json": boolean(),
    },
)
