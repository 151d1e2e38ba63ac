"""``not_checked``: a file the audit could not read. Nobody has looked at it, so it is never shown as clean.

A corrupt, truncated or unsupported picture (a JPEG XL without the plugin, say) or a document that will not open
may still show a child; ``auditor check --fail-on high`` must refuse to publish it, as it would a photo with a
finding. High for that reason, with two exceptions that cannot show anyone and would otherwise put noise at the top
of the report: a file under :data:`TOO_SMALL` bytes (no photo in which a person can be recognised fits in it) and an
AppleDouble file (a Mac's metadata leftover copied beside a picture, often with the picture's name). Both are
still listed, at ``info``, with the reason.

One file published at several addresses (``x.svg``, ``x.svg?v=4.7.0``, another folder) is one finding, identified
by its content hash, with the other addresses in ``evidence.also_at``: one decision clears it.
"""

from __future__ import annotations

from auditor.checks._check import Check, string
from auditor.errors import plain
from auditor.models import Finding, Severity, Unread

ADVICE = (
    "Open the file yourself: it may show people or carry metadata the audit could not see. Re-export it as "
    "an ordinary JPEG or PNG (or fix what the reason says) and check it again before it is published."
)
# The smallest picture a recognisable face fits in is about 75 x 75 pixels (30 px between the eyes); no image
# format stores that in under 1 KiB with a face still recognisable, and headers alone take hundreds of bytes.
TOO_SMALL = 1024
APPLE_DOUBLE = b"\x00\x05\x16\x07"  # the AppleDouble magic number (RFC 1740)


def severity_and_reason(file: Unread) -> tuple[Severity, str]:
    """High unless the file cannot hold a photo; the reason then says why it is listed lower."""
    why = plain(file.why)
    if file.head.startswith(APPLE_DOUBLE):
        return "info", f"{why}; it is an AppleDouble file (a Mac's metadata leftover), not a picture"
    if file.size is not None and file.size < TOO_SMALL:
        return "info", f"{why}; only {file.size:,} bytes, too small to hold a photo in which anyone is recognisable"
    return "high", why


def find(unread: list[Unread]) -> list[Finding]:
    """One finding per file that could not be read: per content hash where its bytes were stored (the other
    addresses are merged into ``also_at`` after every check has run), else per address."""
    out = []
    for file in sorted(set(unread), key=lambda u: (u.url, u.why)):
        severity, reason = severity_and_reason(file)
        title = (
            "Not checked: the file could not be read, so nobody has looked at it"
            if severity == "high"
            else "Not checked: a file that cannot be read, and cannot hold a photo"
        )
        out.append(
            Finding(
                Finding.make_id("not_checked", file.sha256 or file.url),
                "not_checked",
                severity,
                title,
                file.url,
                file.page,
                {"reason": reason},
                ADVICE,
            )
        )
    return out


CHECK = Check(
    id="not_checked",
    order=30,
    name="Files that could not be checked",
    stage="analysis",
    severities=("high", "info"),
    severity_rule=f"high; info for a file under {TOO_SMALL:,} bytes or an AppleDouble leftover (no photo fits)",
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
