"""The gate: what the exit status of ``scan``, ``check`` and ``demo`` means, running a scan through it, and the summary
it prints."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from auditor import decisions
from auditor.cli.options import _site_location
from auditor.cli.output import UserError, _echo
from auditor.config import ScanConfig
from auditor.errors import ConfigError, ContractError, StoreError
from auditor.files import file_url_path
from auditor.history import default_state_dir
from auditor.models import SEVERITIES
from auditor.progress import RichProgress, for_terminal
from auditor.report import formats as output_formats

EXIT_MEANINGS = {  # what each exit status of scan, check and demo means (the README's table)
    0: "complete, nothing at the gate",
    1: "a finding at or above the gate (--fail-on / --fail-on-new)",
    2: "a problem to fix in the settings or the command",
    3: "the audit is incomplete",
    4: "internal error: findings.json did not match its schema",
    130: "interrupted",
}


@dataclass(frozen=True, slots=True)
class Gate:
    """What makes the exit status non-zero for cron/CI (see the README's exit codes), and what the run prints:
    ``output_format`` puts the findings on standard output (json, sarif, junit); ``quiet`` prints no progress;
    ``verbose`` prints a timestamped log line every second, on a terminal too."""

    fail_on: str | None = None
    fail_on_new: str | None = None
    output_format: str | None = None
    quiet: bool = False
    verbose: bool = False
    ungated: tuple[str, ...] = ()  # checks whose findings never fail a gate ([checks.ID] gate = false)


def _analysis(options: dict[str, Any]) -> tuple[dict[str, Any], Gate]:
    """Split the shared analysis options into ScanConfig fields and the exit-status gate."""
    if options.pop("no_redact"):
        _echo("warning: --no-redact: faces in report.html will NOT be blurred; keep the report private", err=True)
        options["redact"] = False
    else:
        options["redact"] = True
    chosen, no_state = options.pop("state_dir", None), options.pop("no_state")
    state = None if no_state else chosen or default_state_dir()
    gate = Gate(
        options.pop("fail_on"),
        options.pop("fail_on_new"),
        options.pop("output_format", None),
        options.pop("quiet", False),
        options.pop("verbose", False),
    )
    options["site_location"] = _site_location(options["site_location"])
    policy = click.get_current_context().find_root().obj or {}
    checks = policy.get("checks")
    if checks is not None:
        options["check_severity"] = dict(checks.severity)
        options["ungated_checks"] = tuple(sorted(checks.ungated))
        gate = replace(gate, ungated=tuple(sorted(checks.ungated)))
    decided = decisions.path_for(state, options.pop("decisions", None))
    try:
        decisions.load(decided)  # a broken decisions file stops the run before the crawl, not after it
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    return {**options, "state_dir": state, "decisions_file": decided}, gate


MAX_FAILING_LINES = 20


def _failing(findings: list[dict[str, Any]]) -> None:
    """The findings that fail the gate, one line each in plain words (severity, file, what): a commit hook or a
    CI log must say what to fix without opening the report. A local file is named by its path as given; names
    found in the files are masked in titles as in the report."""
    for finding in findings[:MAX_FAILING_LINES]:
        where = finding.get("asset") or finding.get("page") or ""
        if where.startswith("file://"):
            where = _local_path(where)
        _echo(f"  {finding['severity']:8} {where}: {finding['title']}", err=True)
    if len(findings) > MAX_FAILING_LINES:
        _echo(f"  ... and {len(findings) - MAX_FAILING_LINES} more (see the report)", err=True)


def _local_path(uri: str) -> str:
    """A checked file's path relative to the working folder when it is inside it (a repository's own path)."""
    path = file_url_path(uri)
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _worse_or_equal(severity: str, gate: str) -> bool:
    return SEVERITIES.index(severity) <= SEVERITIES.index(gate)


def _exit_status(document: dict[str, Any], gate: Gate) -> int:
    """1 a finding at or over the gate, 3 the audit is incomplete (a seed failed, a limit cut the crawl, a check
    could not run), else 0. Every reason the audit is incomplete is printed, whatever the status."""
    scan = document["scan"]
    reasons = scan.get("incomplete_reasons", [])
    for reason in reasons:
        _echo(f"incomplete: {reason['message']}", err=True)
    findings = [  # an accepted finding, or one of a check the settings keep out of the gates, does not fail it
        f for f in decisions.counted(document["findings"]) if f["check"] not in gate.ungated
    ]
    if gate.fail_on and any(_worse_or_equal(f["severity"], gate.fail_on) for f in findings):
        _failing([f for f in findings if _worse_or_equal(f["severity"], gate.fail_on)])
        _echo(f"failing: a finding is at or above --fail-on {gate.fail_on}", err=True)
        return 1
    # Without history (--no-state, the demo) nothing was seen before: every finding is new, so the gate still holds.
    new = [f for f in findings if f.get("status", "new") == "new"]
    if gate.fail_on_new and any(_worse_or_equal(f["severity"], gate.fail_on_new) for f in new):
        _failing([f for f in new if _worse_or_equal(f["severity"], gate.fail_on_new)])
        _echo(f"failing: a new finding is at or above --fail-on-new {gate.fail_on_new}", err=True)
        return 1
    if not scan["complete"]:
        _echo("the audit is INCOMPLETE and must not be relied on (exit status 3)", err=True)
        return 3
    return 0


def _run(config: ScanConfig, gate: Gate, fresh: bool = False, check_paths: list[Path] | None = None) -> None:
    from auditor.pipeline import run_check, run_scan

    site = ", ".join(urlsplit(s).netloc or s for s in config.seeds) or "local files"
    progress = for_terminal(site, quiet=gate.quiet, verbose=gate.verbose)
    try:
        if check_paths is not None:
            outcome = run_check(check_paths, config, progress)
        else:
            outcome = run_scan(config, progress, fresh=fresh)
    except (ConfigError, StoreError) as exc:
        raise UserError(str(exc)) from exc
    except ContractError as exc:
        _echo(f"internal error: {exc}", err=True)
        sys.exit(4)
    except KeyboardInterrupt:
        _echo(f"\ninterrupted; run the same command again to resume from {config.out}", err=True)
        sys.exit(130)
    finally:
        if isinstance(progress, RichProgress):
            progress.stop()
    if not gate.quiet:
        _summary(outcome.document)
    _echo(f"findings: {outcome.findings_path}", err=True)
    _echo(f"report: {outcome.report_path}", err=gate.output_format is not None)
    _print_format(outcome.document, gate.output_format)
    status = _exit_status(outcome.document, gate)
    if status:
        sys.exit(status)


def _print_format(document: dict[str, Any], output_format: str | None) -> None:
    """``--format``: the findings on standard output, for CI (the report: line has gone to stderr)."""
    if output_format is not None:
        click.echo(output_formats.render(document, output_format))  # machine formats, escaped by their own rules


def _summary(document: dict[str, Any]) -> None:
    scan, findings = document["scan"], document["findings"]
    worst = (findings[0]["severity"] if findings else "none") if scan["complete"] else "not assessed, incomplete"
    history = document.get("history") or {}
    trend = ""
    if history and not history.get("first_scan"):
        trend = f"; {history['new']} new, {history['resolved']} resolved since the last scan"
        if history.get("not_seen"):
            trend += f" ({history['not_seen']} not seen again, not counted as resolved: the scan is incomplete)"
    elif history:
        trend = "; first scan of these sites, nothing to compare with"
    _echo(
        f"{scan['pages']} pages, {scan['assets']} assets, {len(findings)} findings (worst: {worst}), "
        f"{scan['errors']} error{'' if scan['errors'] == 1 else 's'}{trend}",
        err=True,
    )
