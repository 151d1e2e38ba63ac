"""Scan history: where it is kept (``--state DIR``, default the user's data folder), which scans are "the same
site" (their seeds), and the difference between two ``findings.json`` documents. The history database itself is
:class:`auditor.store.history.History`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from auditor.store.history import History

__all__ = ["History", "default_state_dir", "diff", "scan_key"]


def default_state_dir() -> Path:
    """``$AUDITOR_STATE_DIR``, else ``$XDG_DATA_HOME/exposure-auditor``, else ``~/.local/share/exposure-auditor``."""
    if os.environ.get("AUDITOR_STATE_DIR"):
        return Path(os.environ["AUDITOR_STATE_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "exposure-auditor"


def scan_key(seeds: list[str]) -> str:
    return "\n".join(sorted(seeds))


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """new / unchanged / resolved between two findings.json documents, by finding id."""
    old_ids = {f["id"] for f in old["findings"]}
    new_ids = {f["id"] for f in new["findings"]}
    return {
        "new": [f for f in new["findings"] if f["id"] not in old_ids],
        "unchanged": [f for f in new["findings"] if f["id"] in old_ids],
        "resolved": [f for f in old["findings"] if f["id"] not in new_ids],
    }
