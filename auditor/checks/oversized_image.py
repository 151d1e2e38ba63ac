"""``oversized_image``: A picture downloadable far larger than any page shows it."""

from __future__ import annotations

from auditor.analyze.resolution import oversized_findings
from auditor.checks._check import Check, array, integer, number, string
from auditor.models import Finding
from auditor.store import Store


def find(store: Store, sizes: dict[str, tuple[int, int]]) -> list[Finding]:
    return oversized_findings(store, sizes)


CHECK = Check(
    id="oversized_image",
    order=90,
    name="Photos available far larger than shown",
    stage="analysis",
    severities=("high", "medium"),
    severity_rule="high ≥ 8 MP or showing a recognisable face, else medium",
    means="A much larger copy of a picture can be downloaded than the page shows.",
    why="Scrapers take the largest copy; full-size originals make the best material for fakes.",
    reliability="Sizes are measured; only common CMS patterns are tried for hidden originals.",
    fix="Publish web-sized copies (about 1,200 px) and delete originals from the server.",
    evidence={
        "served_url": string(nullable=True, description="null when no page shows a copy of it"),
        "served_size": array(integer(), nullable=True),
        "display_size": array(integer(), "null when no page says how large it is shown", nullable=True),
        "largest_url": string(),
        "largest_size": array(integer()),
        "megapixels": number(),
        "bytes": integer(nullable=True),
        "reached_via": string(),
        "variants": integer(),
        "faces": integer(description="faces in it, when they raised the severity"),
    },
    store=find,
)
