"""``auditor watch``: a shared "to publish" folder, checked as files arrive (see :mod:`auditor.watch`)."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.options import context_option, fail_on_option
from auditor.cli.output import UserError, _echo
from auditor.config import ScanConfig
from auditor.errors import ConfigError, StoreError


@click.command()
@click.argument("inbox", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--approved",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where safe copies of the files that pass go (outside the watched folder).",
)
@click.option(
    "--out",
    "reports",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Reports folder: each file's findings.json and report.html (files/NAME/), and watch-state.json (what "
    "was checked).",
)
@fail_on_option("high", "A file whose safe copy still has a finding at or above this is held, not approved.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1), help="Seconds between looks.")
@click.option(
    "--settle",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.0),
    help="A file is checked once unchanged for this many seconds (a copy in progress is never read).",
)
@click.option("--once", is_flag=True, help="Stop when every file there has been checked (for a timer or a test).")
@context_option("The triage context, as for check (auto: school unless the path names staff).")
def watch(
    inbox: Path,
    approved: Path,
    reports: Path,
    fail_on: str,
    interval: float,
    settle: float,
    once: bool,
    face_context: str,
) -> None:
    """Watch INBOX (a shared "to publish" folder): check each file once it is complete, write its findings into
    --out, and put a safe copy (as auditor fix makes it) into --approved when that copy has no finding at or above
    --fail-on. A restart does not check unchanged files again."""
    from auditor.watch import Watcher

    inside = inbox.resolve()
    for name, folder in (("--approved", approved), ("--out", reports)):
        resolved = folder.resolve()
        if resolved == inside or inside in resolved.parents or resolved in inside.parents:
            raise UserError(f"{name} {folder}: must be outside the watched folder {inbox} (and not contain it)")
    config = ScanConfig(seeds=(), out=reports, face_context=face_context)  # type: ignore[arg-type]
    try:
        watcher = Watcher(inbox, approved, reports, config, fail_on, settle, say=lambda line: _echo(line, err=True))
        _echo(f"watching {inbox} every {interval:g} s; approved copies go to {approved}", err=True)
        watcher.run(interval, once=once)
    except (ConfigError, StoreError) as exc:
        raise UserError(str(exc)) from exc
    except KeyboardInterrupt:
        _echo("stopped; the same command carries on where it left off", err=True)
