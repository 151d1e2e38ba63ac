"""Small words the report, its first screen and the fleet dashboard share: a check's name, plurals, and the
weight each severity carries when causes and files are ranked."""

from __future__ import annotations

from auditor.checks import REGISTRY

WEIGHT = {"critical": 100, "high": 30, "medium": 10, "low": 3, "info": 1}


def check_name(check: str) -> str:
    """The check's name as the report prints it (its id when the registry does not know it: an older scan)."""
    return REGISTRY[check].name if check in REGISTRY else check


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 face``, ``2 faces``: the report never says ``face(s)``."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
