"""``not_checked``: Files the audit could not read: never shown as clean."""

from __future__ import annotations

from auditor.analyze.not_checked import not_checked_findings
from auditor.checks._check import Check, string
from auditor.models import Finding


def find(unread: list[tuple[str, str, str | None]]) -> list[Finding]:
    return not_checked_findings(unread)


CHECK = Check(
    id="not_checked",
    order=30,
    name="Files that could not be checked",
    stage="analysis",
    severities=("high",),
    severity_rule="high",
    means=(
        "The audit could not read this file (corrupt, truncated, an unsupported format, or no permission to "
        "read it), so none of the other checks looked at it."
    ),
    why="A file nobody has looked at may show pupils or carry their location; it must not pass as clean.",
    reliability="Certain: the reason given is what the reader reported.",
    fix="Open it yourself, re-export it as an ordinary JPEG or PNG, and check it again before publishing.",
    evidence={"reason": string(description="what the reader said, in plain words")},
    unread=find,
)
