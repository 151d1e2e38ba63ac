"""``not_checked``: a file the audit could not read. Nobody has looked at it, so it is never shown as clean.

A corrupt, truncated or unsupported picture (a JPEG XL without the plugin, say) or a document that will not open
may still show a child; ``auditor check --fail-on high`` must refuse to publish it, as it would a photo with a
finding. High by default for that reason.
"""

from __future__ import annotations

from auditor.errors import plain
from auditor.models import Finding

ADVICE = (
    "Open the file yourself: it may show people or carry metadata the audit could not see. Re-export it as "
    "an ordinary JPEG or PNG (or fix what the reason says) and check it again before it is published."
)


def not_checked_findings(unread: list[tuple[str, str, str | None]]) -> list[Finding]:
    """One finding per file that could not be read: (url, why, the page it is on)."""
    return [
        Finding(
            Finding.make_id("not_checked", url),
            "not_checked",
            "high",
            "Not checked: the file could not be read, so nobody has looked at it",
            url,
            page,
            {"reason": plain(why)},
            ADVICE,
        )
        for url, why, page in sorted(set(unread))
    ]
