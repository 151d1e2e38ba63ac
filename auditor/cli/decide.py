"""``auditor accept`` and ``auditor decisions``: a school's recorded decisions on findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from auditor import decisions
from auditor.cli.history import _load_document
from auditor.cli.output import F, UserError, _echo
from auditor.errors import ConfigError, StoreError
from auditor.history import default_state_dir


def _decisions_path(scan_dir: Path | None, state_dir: Path | None, given: Path | None) -> Path:
    """``--decisions``, else the decisions file the scan in ``--scan`` used, else the one in ``--state`` (or the
    default state folder)."""
    if given is not None:
        return given
    if scan_dir is not None and (scan_dir / "findings.json").exists():
        recorded = _load_document(scan_dir)["scan"].get("config", {}).get("decisions_file")
        if recorded:
            return Path(recorded)
    path = decisions.path_for(state_dir or default_state_dir(), None)
    assert path is not None
    return path


def decision_options(func: F) -> F:
    """Where the decisions are, for ``accept`` and ``decisions``."""
    for option in reversed(
        [
            click.option(
                "--scan",
                "scan_dir",
                type=click.Path(file_okay=False, exists=True, path_type=Path),
                help="The --out folder of the scan (its findings and its decisions file).",
            ),
            click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path)),
            click.option("--decisions", "decisions_file", type=click.Path(dir_okay=False, path_type=Path)),
        ]
    ):
        func = option(func)
    return func


@click.command()
@click.argument("finding_id")
@click.option(
    "--reason", required=True, help='Why, in words a colleague understands: "consent on file (form 2024-17)".'
)
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day the decision applies (YYYY-MM-DD).")
@click.option("--by", help="Who decided [default: the user running the command].")
@decision_options
def accept(
    finding_id: str,
    reason: str,
    until: Any,
    by: str | None,
    scan_dir: Path | None,
    state_dir: Path | None,
    decisions_file: Path | None,
) -> None:
    """Record that FINDING_ID (an id from findings.json or the report) is accepted, e.g. consent is on file.

    The finding stays in the report, marked accepted with the reason, who and when; it no longer fails --fail-on or
    --fail-on-new and leaves "Fix first". It comes back if the photo changes or the decision expires (--until).
    """
    import getpass

    if scan_dir is None:
        raise UserError("give --scan OUT: the folder of the scan whose finding this is")
    path = _decisions_path(scan_dir, state_dir, decisions_file)
    text = reason.strip()
    if not text or len(text) > 500:
        raise UserError("--reason: give a reason of at most 500 characters")
    try:
        decision = decisions.accept(
            path, _load_document(scan_dir), finding_id, text, by or getpass.getuser(), until.date() if until else None
        )
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    _echo(f"accepted {decision.finding_id} ({decision.check}: {decision.target}); recorded in {path}", err=True)
    from auditor.store import Store

    if (scan_dir / Store.DB_NAME).exists():
        from auditor.pipeline import rerender
        from auditor.report.outputs import ReportOptions

        try:
            rerender(scan_dir, ReportOptions(decisions=tuple(decisions.load(path))))
            _echo(f"report updated: {scan_dir / 'report.html'}", err=True)
        except (ConfigError, StoreError) as exc:
            _echo(f"the report was not updated ({exc}); run auditor report --out {scan_dir}", err=True)


@click.command(name="decisions")
@click.option("--remove", "remove_id", metavar="FINDING_ID", help="Withdraw the decision on this finding.")
@decision_options
def list_decisions(
    remove_id: str | None, scan_dir: Path | None, state_dir: Path | None, decisions_file: Path | None
) -> None:
    """List the decisions recorded with auditor accept (active or expired), or withdraw one with --remove."""
    import datetime as dt

    path = _decisions_path(scan_dir, state_dir, decisions_file)
    try:
        recorded = decisions.load(path)
        if remove_id is not None:
            kept = [d for d in recorded if d.finding_id != remove_id]
            if len(kept) == len(recorded):
                raise UserError(f"no decision on {remove_id} in {path}")
            decisions.save(path, kept)
            _echo(f"withdrawn: {remove_id}; it counts again from the next scan or auditor report", err=True)
            return
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    _echo(f"{len(recorded)} decision{'' if len(recorded) == 1 else 's'} in {path}", err=True)
    today = dt.date.today()
    for d in recorded:
        status = f"EXPIRED {d.until}" if d.expired(today) else f"until {d.until}" if d.until else "no end date"
        line = f"{d.finding_id}  {d.check:22} {d.target}\n    {d.reason} ({d.by}, {d.at[:10]}; {status})"
        _echo(line)  # a decisions file is text anyone with write access may have edited
