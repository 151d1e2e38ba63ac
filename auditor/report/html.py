"""``report.html``: a minimal, self-contained page (inline CSS, no external requests) rendered with Jinja2.

Logic lives in :func:`view_model`; the template only loops and prints. Autoescaping is on and undefined names
are errors, so crawled text can never inject markup.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from auditor.models import SEVERITIES
from auditor.report.findings_json import write_atomic
from auditor.resources import templates_dir


def view_model(document: dict[str, Any]) -> dict[str, Any]:
    """Counts and groupings the template shows, computed here so the template stays dumb."""
    findings = document["findings"]
    by_severity = Counter(f["severity"] for f in findings)
    by_check = Counter(f["check"] for f in findings)
    worst = next((s for s in SEVERITIES if by_severity.get(s)), "none")
    via = Counter(v for a in document["assets"] for v in a["found_via"])
    return {
        "tool": document["tool"],
        "scan": document["scan"],
        "risk": worst,
        "severity_counts": [(s, by_severity.get(s, 0)) for s in SEVERITIES],
        "check_counts": sorted(by_check.items()),
        "findings": findings,
        "pages": document["pages"],
        "assets": document["assets"],
        "via_counts": sorted(via.items()),
        "errors": document["errors"],
    }


def render(document: dict[str, Any]) -> str:
    env = Environment(
        loader=FileSystemLoader(templates_dir()), autoescape=select_autoescape(default=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**view_model(document))


def write(document: dict[str, Any], out: Path) -> Path:
    path = out / "report.html"
    write_atomic(path, render(document))
    return path
