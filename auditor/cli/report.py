"""``auditor report`` (the report again from a scan folder) and ``auditor policy`` (the files that reserve AI
training)."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from auditor.cli.fix import _rights_url
from auditor.cli.gate import _print_format, _summary
from auditor.cli.output import UserError, _echo
from auditor.errors import ConfigError, ContractError, StoreError
from auditor.report import formats as output_formats


@click.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The --out folder of a finished scan or check.",
)
@click.option("--pdf", is_flag=True, help="Also print the report to OUT/report.pdf with Chromium.")
@click.option("--browser", metavar="PATH", help="Chromium executable for --pdf.")
@click.option("--no-redact", is_flag=True, help="Do not blur faces in the thumbnails (warns).")
@click.option("--show-names", is_flag=True, help="Show names in full.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(output_formats.names()),
    help="Also print the findings on standard output (see scan --format).",
)
def report(
    out: Path, pdf: bool, browser: str | None, no_redact: bool, show_names: bool, output_format: str | None
) -> None:
    """Re-render findings.json, the CSV exports and report.html from a finished scan's store (no network).

    Edit templates/ and run this again to see the change.
    """
    from auditor.pipeline import rerender
    from auditor.report.outputs import ReportOptions

    if no_redact:
        _echo("warning: --no-redact: faces in report.html will NOT be blurred; keep the report private", err=True)
    try:
        outcome = rerender(out, ReportOptions(redact=not no_redact, show_names=show_names))
        if pdf:
            from auditor.report.pdf import print_pdf

            scan = outcome.document["scan"]
            site = ", ".join(urlsplit(s).netloc or s for s in scan.get("seeds", [])) or "local files"
            printed = print_pdf(outcome.report_path, out / "report.pdf", browser, site, scan.get("finished_at") or "")
            _echo(f"pdf: {printed}", err=True)
    except (ConfigError, StoreError) as exc:
        raise UserError(str(exc)) from exc
    except ContractError as exc:
        _echo(f"internal error: {exc}", err=True)
        sys.exit(4)
    _summary(outcome.document)
    _echo(f"report: {outcome.report_path}", err=output_format is not None)
    _print_format(outcome.document, output_format)


@click.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the files to publish (robots.txt block, .well-known/tdmrep.json, tags and headers).",
)
@click.option("--policy-url", help="Your page that explains how your photos may be used (written into tdmrep.json).")
def policy(out: Path, policy_url: str | None) -> None:
    """Write the site-wide AI-training reservations a school can publish, each with what it does and does not do:
    a robots.txt block for AI crawlers, /.well-known/tdmrep.json, the noai robots meta tag and X-Robots-Tag lines."""
    from auditor.policy import write_policy

    url = _rights_url(policy_url, "--policy-url")
    try:
        written = write_policy(out, url)
    except OSError as exc:
        raise UserError(f"{out}: cannot write there ({exc.strerror})") from exc
    for path in written:
        _echo(str(path))
    _echo(f"read {out / 'README.txt'} first: these are requests that reputable crawlers honour", err=True)
