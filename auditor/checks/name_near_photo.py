"""``name_near_photo``: People's names beside a photo: caption, alt text, link text, file name."""

from __future__ import annotations

from auditor.analyze.name_checks import name_findings
from auditor.checks._check import Check, array, string
from auditor.models import Finding
from auditor.store import Store


def find(store: Store, sizes: dict[str, tuple[int, int]]) -> list[Finding]:
    """Raises :class:`auditor.errors.CheckUnavailable` when no language model is installed."""
    return name_findings(store)


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
)
