"""Triage decisions (issue 15): ``auditor accept`` records that a finding is accepted (consent on file); the
finding stays in the report, marked, and stops failing the nightly gate; it comes back when the photo changes or
the decision expires; ``auditor decisions`` lists and withdraws them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from auditor.cli import main
from auditor.decisions import Decision, apply
from auditor.report.findings_json import schema
from tests.analyze import images


def _check(folder: Path, out: Path, state: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        main, ["check", str(folder), "--out", str(out), "--state", str(state), "--fail-on", "high", *extra]
    )


def _document(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "findings.json").read_text())
    jsonschema.validate(document, schema())
    return document


def test_an_accepted_finding_stays_visible_and_stops_failing_the_gate(tmp_path: Path) -> None:
    folder, state = tmp_path / "photos", tmp_path / "state"
    folder.mkdir()
    (folder / "trip.jpg").write_bytes(images.jpeg(lat=51.5007, lon=-0.1246))
    first = _check(folder, tmp_path / "o1", state)
    assert first.exit_code == 1, first.output  # a critical GPS finding fails --fail-on high
    gps = next(f for f in _document(tmp_path / "o1")["findings"] if f["check"] == "gps_location")

    accepted = CliRunner().invoke(
        main,
        [
            "accept",
            gps["id"],
            "--reason",
            "consent on file (form 2024-17)",
            "--by",
            "dpo",
            "--scan",
            str(tmp_path / "o1"),
        ],
    )
    assert accepted.exit_code == 0, accepted.output
    assert (state / "decisions.json").exists() and "report updated" in accepted.output
    marked = next(f for f in _document(tmp_path / "o1")["findings"] if f["id"] == gps["id"])
    assert marked["accepted"]["reason"] == "consent on file (form 2024-17)" and marked["accepted"]["by"] == "dpo"
    report = (tmp_path / "o1" / "report.html").read_text()
    assert "Accepted: consent on file (form 2024-17)" in report and 'id="accepted-count"' in report

    again = _check(folder, tmp_path / "o2", state)
    assert again.exit_code == 0, again.output  # the nightly job no longer fails on it
    assert next(f for f in _document(tmp_path / "o2")["findings"] if f["id"] == gps["id"])["accepted"]

    listing = CliRunner().invoke(main, ["decisions", "--state", str(state)])
    assert gps["id"] in listing.output and "consent on file" in listing.output and "no end date" in listing.output

    # The photo is replaced by another one with a position: a different file, so the decision does not cover it.
    (folder / "trip.jpg").write_bytes(images.jpeg(images.scene(seed=9), lat=48.85, lon=2.35))
    assert _check(folder, tmp_path / "o3", state).exit_code == 1

    withdrawn = CliRunner().invoke(main, ["decisions", "--state", str(state), "--remove", gps["id"]])
    assert withdrawn.exit_code == 0 and json.loads((state / "decisions.json").read_text())["decisions"] == []


def test_a_decision_lapses_when_it_expires_or_its_file_changes() -> None:
    document = {
        "findings": [{"id": "a", "check": "gps_location", "asset": "u", "page": None}],
        "assets": [{"url": "u", "sha256": "1" * 64}],
    }
    decision = Decision("a", "gps_location", "u", "1" * 64, "consent", "dpo", "2026-01-01T00:00:00+00:00", "2026-06-30")
    assert apply(document, [decision], dt.date(2026, 6, 30))["findings"][0]["accepted"]["until"] == "2026-06-30"
    expired = apply(document, [decision], dt.date(2026, 7, 1))["findings"][0]
    assert "accepted" not in expired and "expired on 2026-06-30" in expired["acceptance_lapsed"]
    changed = {**document, "assets": [{"url": "u", "sha256": "2" * 64}]}
    lapsed = apply(changed, [decision], dt.date(2026, 6, 1))["findings"][0]
    assert "accepted" not in lapsed and "changed" in lapsed["acceptance_lapsed"]


def test_a_broken_decisions_file_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(images.jpeg())
    broken = tmp_path / "decisions.json"
    broken.write_text("{not json")
    result = _check(folder, tmp_path / "o", tmp_path / "state", "--decisions", str(broken))
    assert result.exit_code == 2 and "decisions.json: not a readable decisions file" in result.output
    assert not (tmp_path / "o" / "findings.json").exists()


def test_accepting_an_unknown_finding_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(images.jpeg(lat=1.5, lon=1.5))
    _check(folder, tmp_path / "o", tmp_path / "state")
    result = CliRunner().invoke(main, ["accept", "nosuchid", "--reason", "x", "--scan", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no finding nosuchid" in result.output
    past = CliRunner().invoke(
        main, ["accept", "x", "--reason", "x", "--until", "2001-01-01", "--scan", str(tmp_path / "o")]
    )
    assert past.exit_code == 2


_ONE = {
    "finding_id": "0123456789abcdef0123",
    "check": "gps_location",
    "target": "file:///photos/a.jpg",
    "sha256": None,
    "reason": "consent on file",
    "by": "dpo",
    "at": "2026-01-01T00:00:00+00:00",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"until": "2099-13-45"}, "decision 1: 'until' must be a date YYYY-MM-DD, not '2099-13-45'"),
        ({"until": 20991231}, "decision 1: 'until' must be text or null (got int)"),
        ({"finding_id": ["x"]}, "decision 1: 'finding_id' must be text (got list)"),
        ({"reason": {"why": "x"}}, "decision 1: 'reason' must be text (got dict)"),
        ({"at": "yesterday"}, "decision 1: 'at' must be a date and time"),
    ],
)
def test_every_field_of_a_decision_is_checked_before_the_run(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    """Each of these once passed the up-front check, let the run go ahead, then crashed while writing the outputs
    (traceback, exit 1 or 4, no findings.json)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(images.jpeg())
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps({"schema": "exposure-auditor/decisions@1", "decisions": [{**_ONE, **change}]}))
    result = _check(folder, tmp_path / "o", tmp_path / "state", "--decisions", str(decisions))
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "o" / "findings.json").exists()


def test_a_deeply_nested_decisions_file_is_one_line(tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.json"
    decisions.write_text("[" * 200_000 + "]" * 200_000)
    result = CliRunner().invoke(main, ["decisions", "--decisions", str(decisions)])
    assert result.exit_code == 2 and "not a readable decisions file" in result.output


def test_what_a_decision_says_cannot_drive_the_terminal(tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.json"
    hostile = {**_ONE, "reason": "ok\x1b]0;owned\x07\x1b[2J", "by": "dpo\u202e"}
    decisions.write_text(json.dumps({"schema": "exposure-auditor/decisions@1", "decisions": [hostile]}))
    result = CliRunner().invoke(main, ["decisions", "--decisions", str(decisions)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    assert "ok\\x1b]0;owned\\x07" in result.output
