"""``--format json``: findings.json itself, for scripts."""

from __future__ import annotations

import json
from typing import Any

from auditor.report.formats import Format


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


FORMAT = Format("json", "findings.json itself", render)
