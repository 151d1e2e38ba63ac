"""Everything a finished scan writes into ``--out``, from the store alone: ``findings.json``, ``report.html``
with redacted thumbnails, and the CSV exports. ``auditor report`` calls the same function to re-render."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.decisions import Decision
from auditor.decisions import apply as apply_decisions
from auditor.errors import ContractError
from auditor.models import SEVERITIES
from auditor.report import exports, findings_json, html
from auditor.report.causes import root_causes
from auditor.report.thumbnails import data_uri, thumbnail_uri
from auditor.store import Store


@dataclass(frozen=True, slots=True)
class ReportOptions:
    redact: bool = True
    show_names: bool = False
    decisions: tuple[Decision, ...] = ()  # auditor accept's records, applied to the findings before anything is written
    severity: tuple[tuple[str, str], ...] = ()  # (check, severity) from the settings file's [checks.ID] tables


def _thumbnails(store: Store, document: dict[str, Any], redact: bool) -> dict[str, str]:
    """Thumbnails for the images the report shows a card for (those with findings or faces): the redacted ones
    the face stage made, else made here from the stored file (``--no-redact``, or faces not analysed)."""
    wanted = {f["asset"] for f in document["findings"] if f["asset"]}
    stored = store.thumbnails()
    made = stored if redact else {}
    out = {}
    for asset in document["assets"]:
        if not asset["sha256"] or not (asset["url"] in wanted or asset.get("faces")):
            continue
        if asset["type"] == "video":  # the contact sheet of its frames, always with faces covered
            if asset["sha256"] in stored:
                out[asset["url"]] = data_uri(stored[asset["sha256"]])
            continue
        if asset["type"] != "image":
            continue
        if asset["sha256"] in made and asset.get("faces") is not None:
            out[asset["url"]] = data_uri(made[asset["sha256"]])
            continue
        uri = thumbnail_uri(store.asset_path(asset["url"], asset["sha256"]), asset.get("faces"), redact)
        if uri:
            out[asset["url"]] = uri
    return out


def with_severities(document: dict[str, Any], severity: dict[str, str]) -> dict[str, Any]:
    """The findings of checks the settings file gives another severity, at that severity (the check's own one
    kept in ``original_severity``), in severity order again."""
    if not severity:
        return document
    findings = [
        {**f, "severity": severity[f["check"]], "original_severity": f["severity"]}
        if f["check"] in severity and severity[f["check"]] != f["severity"]
        else f
        for f in document["findings"]
    ]
    findings.sort(key=lambda f: SEVERITIES.index(f["severity"]))  # stable: the order within a severity is kept
    return {**document, "findings": findings}


def write_all(
    store: Store, out: Path, options: ReportOptions, history: dict[str, Any] | None = None
) -> tuple[dict[str, Any], Path]:
    """findings.json, the CSVs and report.html. A document that breaks the schema is a bug: it is kept as
    ``findings.invalid.json`` and :class:`ContractError` is raised, but only after the report and the CSVs are
    written, so a school still has its audit to read while the bug is reported."""
    document = findings_json.build(store)
    if history is not None:
        document = history_annotate(document, history)
    document = apply_decisions(with_severities(document, dict(options.severity)), list(options.decisions))
    document = {**document, "fix_first": root_causes(document)}  # the report's first screen, for tools too
    broken: ContractError | None = None
    try:
        findings_json.write_document(document, out)
    except ContractError as exc:
        broken = exc
    exports.write(document, out, show_names=options.show_names)
    report = html.write(
        document,
        out,
        _thumbnails(store, document, options.redact),
        show_names=options.show_names,
        redacted=options.redact,
    )
    if broken is not None:
        raise broken
    return document, report


def history_annotate(document: dict[str, Any], history: dict[str, Any]) -> dict[str, Any]:
    """Add each finding's ``status`` (new / unchanged) and the ``history`` block (counts, resolved findings).

    A first scan says so (``first_scan``) instead of comparing with nothing. An incomplete scan resolves nothing:
    a finding it did not see again may only be on a page it could not reach, so it is counted as ``not_seen``."""
    previous = set(history.get("previous_ids", []))
    findings = [{**f, "status": "unchanged" if f["id"] in previous else "new"} for f in document["findings"]]
    current = {f["id"] for f in findings}
    gone = [f for f in history.get("previous_findings", []) if f["id"] not in current]
    complete = document["scan"]["complete"]
    resolved = gone if complete else []
    return {
        **document,
        "findings": findings,
        "history": {
            "previous_finished_at": history.get("previous_finished_at"),
            "first_scan": not history.get("previous_finished_at"),
            "new": sum(f["status"] == "new" for f in findings),
            "unchanged": sum(f["status"] == "unchanged" for f in findings),
            "resolved": len(resolved),
            "resolved_findings": resolved,
            "not_seen": 0 if complete else len(gone),
            # every recorded scan of these seeds, then this one: the report's chart
            "trend": [
                *history.get("trend", []),
                {
                    "finished_at": document["scan"].get("finished_at"),
                    "counts": {s: sum(f["severity"] == s for f in findings) for s in SEVERITIES},
                },
            ],
        },
    }
