"""The fleet's outputs: ``fleet.json`` (validated against its schema), ``fleet.csv`` and ``index.html``, built from
each site's own ``findings.json`` (the fleet adds no finding of its own), and the fleet's exit status."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from auditor import __version__
from auditor.checks import REGISTRY
from auditor.decisions import counted
from auditor.errors import ContractError
from auditor.files import write_atomic
from auditor.fleet.run import FleetState, SiteSpec, SiteState
from auditor.models import SEVERITIES
from auditor.report.charts import trend_chart
from auditor.report.words import WEIGHT, plural
from auditor.resources import templates_dir

SCHEMA_ID = "exposure-auditor/fleet@1"


def schema() -> dict[str, Any]:
    """The JSON Schema of ``fleet.json`` shipped in the package."""
    data: dict[str, Any] = json.loads(
        resources.files("auditor").joinpath("schema/fleet.schema.json").read_text("utf-8")
    )
    return data


def _site_row(site: SiteSpec, state: SiteState, out: Path) -> dict[str, Any]:
    folder = out / "sites" / site.name
    row: dict[str, Any] = {
        "name": site.name,
        "seeds": list(site.seeds),
        "status": state.status,
        "attempts": state.attempts,
        "seconds": state.seconds,
        "node": state.node,
        "exit_code": state.exit_code,
        "error": state.error,
        "complete": False,
        "incomplete_reasons": [],
        "worst": None,
        "score": 0,
        "findings": 0,
        "by_severity": {s: 0 for s in SEVERITIES},
        "by_check": {},
        "new": None,
        "finished_at": None,
        "report": None,
        "trend": [],
    }
    document_path = folder / "findings.json"
    if state.status != "done" or not document_path.exists():
        return row
    document = json.loads(document_path.read_text("utf-8"))
    findings = counted(document["findings"])
    history = document.get("history") or {}
    row.update(
        complete=bool(document["scan"]["complete"]),
        incomplete_reasons=[r["message"] for r in document["scan"].get("incomplete_reasons", [])],
        worst=min((f["severity"] for f in findings), key=SEVERITIES.index, default=None),
        score=sum(WEIGHT[f["severity"]] for f in findings),
        findings=len(findings),
        by_severity={s: sum(f["severity"] == s for f in findings) for s in SEVERITIES},
        by_check={c: n for c in REGISTRY if (n := sum(f["check"] == c for f in findings))},
        new=None if history.get("first_scan", True) else history.get("new"),
        finished_at=document["scan"].get("finished_at"),
        report=f"sites/{site.name}/report.html",
        trend=history.get("trend", []),
    )
    return row


def _rank(row: dict[str, Any]) -> tuple[int, int, int, str]:
    """Failed and incomplete sites first (nothing they say can be relied on), then by risk."""
    trouble = 0 if row["status"] == "failed" else 1 if not row["complete"] else 2
    worst = SEVERITIES.index(row["worst"]) if row["worst"] else len(SEVERITIES)
    return trouble, worst, -row["score"], row["name"]


def exit_status(rows: list[dict[str, Any]]) -> int:
    """The worst of the sites' own exit statuses: 1 when a site's gate failed; else 3 when a site failed or is
    incomplete; else 0."""
    codes = [r["exit_code"] for r in rows]
    if 1 in codes:
        return 1
    if any(r["status"] != "done" or not r["complete"] for r in rows):
        return 3
    return 0


def write(sites: list[SiteSpec], fleet: FleetState, out: Path) -> dict[str, Any]:
    rows = sorted((_site_row(s, fleet.sites[s.name], out) for s in sites), key=_rank)
    document = {
        "schema": SCHEMA_ID,
        "tool": {"name": "exposure-auditor", "version": __version__},
        "sites": rows,
        "exit_status": exit_status(rows),
        "run": fleet.run,
    }
    errors = list(jsonschema_rs.validator_for(schema()).iter_errors(document))
    if errors:
        raise ContractError(f"fleet.json does not match its schema: {errors[0]}")
    write_atomic(out / "fleet.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["site", "status", "complete", "worst", "findings", *SEVERITIES, "new", "report"])
    for r in rows:
        writer.writerow(
            [r["name"], r["status"], r["complete"], r["worst"] or "", r["findings"]]
            + [r["by_severity"][s] for s in SEVERITIES]
            + [r["new"] if r["new"] is not None else "", r["report"] or ""]
        )
    write_atomic(out / "fleet.csv", buffer.getvalue())
    env = Environment(
        loader=FileSystemLoader(templates_dir()), autoescape=select_autoescape(default=True), undefined=StrictUndefined
    )
    env.filters["plural"] = plural
    names = {c.id: c.name for c in REGISTRY.values()}
    html = env.get_template("fleet.html.j2").render(
        rows=[{**r, "chart": trend_chart(r["trend"])} for r in rows],
        severities=SEVERITIES,
        checks=[(c, names[c]) for c in REGISTRY if any(c in r["by_check"] for r in rows)],
        status=document["exit_status"],
        run=fleet.run,
        version=__version__,
    )
    write_atomic(out / "index.html", html)
    return document
