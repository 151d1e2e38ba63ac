"""Decisions a school takes about findings: "consent is on file for this photo", recorded with ``auditor accept``.

Why a file of its own: a decision is the school's record, not the scan's. It lives in ``decisions.json`` in the
``--state`` folder (or any file given with ``--decisions``, which can be kept under version control and reviewed
like code), plain JSON a person can read. A decision names one finding (its stable id) and, when the finding is
about a file, that file's content hash at the time: if the photo is replaced, the decision no longer applies and the
finding comes back. A decision may expire (``--until``); an expired one is listed, never applied.

Accepted findings stay in ``findings.json`` and the report, marked ``accepted`` with the reason, who and when; they
no longer count for ``--fail-on`` and ``--fail-on-new`` (so a nightly job stops failing on them) nor for the
report's "Fix first".
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.files import write_atomic

FILE_NAME = "decisions.json"
SCHEMA = "exposure-auditor/decisions@1"


@dataclass(frozen=True, slots=True)
class Decision:
    finding_id: str
    check: str
    target: str  # the asset or page the finding is about, as the report shows it
    sha256: str | None  # the file's content when accepted: a changed file brings the finding back
    reason: str
    by: str
    at: str  # ISO 8601, UTC
    until: str | None = None  # YYYY-MM-DD: the last day it applies

    def expired(self, today: dt.date) -> bool:
        return self.until is not None and dt.date.fromisoformat(self.until) < today


def path_for(state_dir: Path | None, decisions: Path | None) -> Path | None:
    """Where the decisions are: ``--decisions``, else ``decisions.json`` in the state folder, else nowhere."""
    if decisions is not None:
        return decisions
    return state_dir / FILE_NAME if state_dir is not None else None


def load(path: Path | None) -> list[Decision]:
    """The decisions in ``path`` (none when it does not exist). A file that cannot be read is an error: silently
    dropping a school's decisions would fail every gate it had settled, or worse, the other way round."""
    if path is None or not path.exists():
        return []
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise ConfigError(f"{path}: not a readable decisions file ({type(exc).__name__}: {exc})") from exc
    entries = data.get("decisions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f'{path}: not a decisions file (no "decisions" list)')
    return [_decision(path, k, entry) for k, entry in enumerate(entries, start=1)]


_TEXT_FIELDS = ("finding_id", "check", "target", "reason", "by", "at")


def _decision(path: Path, number: int, entry: Any) -> Decision:
    """One decision, every field checked before anything runs: a bad date or a field of the wrong type once let a
    scan run for hours and then crash while writing its outputs (no findings.json)."""
    where = f"{path}: decision {number}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(entry) - {*_TEXT_FIELDS, "sha256", "until"})
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r}")
    for name in _TEXT_FIELDS:
        if not isinstance(entry.get(name), str):
            raise ConfigError(f"{where}: {name!r} must be text (got {type(entry.get(name)).__name__})")
    for name in ("sha256", "until"):
        if entry.get(name) is not None and not isinstance(entry[name], str):
            raise ConfigError(f"{where}: {name!r} must be text or null (got {type(entry[name]).__name__})")
    try:
        dt.datetime.fromisoformat(entry["at"])
    except ValueError as exc:
        raise ConfigError(f"{where}: 'at' must be a date and time (ISO 8601), not {entry['at']!r}") from exc
    if entry.get("until") is not None:
        try:
            dt.date.fromisoformat(entry["until"])
        except ValueError as exc:
            raise ConfigError(f"{where}: 'until' must be a date YYYY-MM-DD, not {entry['until']!r}") from exc
    return Decision(**entry)


def save(path: Path, decisions: list[Decision]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = {"schema": SCHEMA, "decisions": [asdict(d) for d in sorted(decisions, key=lambda d: (d.at, d.finding_id))]}
    write_atomic(path, json.dumps(body, indent=2, ensure_ascii=False) + "\n")


def accept(
    path: Path, document: dict[str, Any], finding_id: str, reason: str, by: str, until: dt.date | None
) -> Decision:
    """Record a decision for the finding ``finding_id`` of the scan ``document`` (replacing an earlier one)."""
    finding = next((f for f in document["findings"] if f["id"] == finding_id), None)
    if finding is None:
        raise ConfigError(f"no finding {finding_id} in that scan's findings.json (ids are in its 'id' fields)")
    if until is not None and until < dt.date.today():
        raise ConfigError(f"--until {until.isoformat()} is in the past")
    hashes = {a["url"]: a.get("sha256") for a in document["assets"]}
    decision = Decision(
        finding_id,
        finding["check"],
        finding.get("asset") or finding.get("page") or "",
        hashes.get(finding.get("asset") or ""),
        reason,
        by,
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        until.isoformat() if until else None,
    )
    save(path, [d for d in load(path) if d.finding_id != finding_id] + [decision])
    return decision


def apply(document: dict[str, Any], decisions: list[Decision], today: dt.date | None = None) -> dict[str, Any]:
    """The document with each finding a decision still covers marked ``accepted`` (reason, by, at, until), and each
    one whose decision lapsed marked ``acceptance_lapsed`` (why: expired, or the file changed)."""
    if not decisions:
        return document
    today = today or dt.date.today()
    by_id = {d.finding_id: d for d in decisions}
    hashes = {a["url"]: a.get("sha256") for a in document["assets"]}
    findings = []
    for finding in document["findings"]:
        decision = by_id.get(finding["id"])
        if decision is None:
            findings.append(finding)
            continue
        current = hashes.get(finding.get("asset") or "")
        if decision.expired(today):
            lapsed = f"the acceptance expired on {decision.until}"
        elif decision.sha256 and current and current != decision.sha256:
            lapsed = "the file changed since it was accepted"
        else:
            lapsed = None
        record = {"reason": decision.reason, "by": decision.by, "at": decision.at, "until": decision.until}
        findings.append({**finding, "acceptance_lapsed": lapsed} if lapsed else {**finding, "accepted": record})
    return {**document, "findings": findings}


def counted(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings the gates and "Fix first" count: every one not accepted."""
    return [f for f in findings if not f.get("accepted")]
