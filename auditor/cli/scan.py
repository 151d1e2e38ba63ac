"""``auditor scan``, ``auditor check`` and ``auditor demo``: an audit of a site, of files before publishing, and of the
bundled demo site."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click

from auditor.cli.gate import _analysis, _run
from auditor.cli.options import (
    _identity,
    _seed,
    analysis_options,
    crawl_options,
    fail_on_option,
    max_bytes_option,
)
from auditor.cli.output import UserError, _echo
from auditor.config import ScanConfig

DEMO_SITE_LOCATION = (51.50135, -0.14189)  # the demo school's made-up position (where its first photo was taken)


@click.command()
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


@click.command()
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


@click.command(name="pre-commit")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@fail_on_option("high", "Refuse the commit when a finding at or above this severity exists.")
@click.pass_context
def pre_commit(ctx: click.Context, paths: tuple[Path, ...], fail_on: str) -> None:
    """Check the files about to be committed (the pre-commit framework's hook, .pre-commit-hooks.yaml).

    The same analysis as check, with no history and the report in a temporary folder (nothing is written into
    the repository); exit status 1, with each finding at or above --fail-on in plain words, refuses the commit.
    """
    if not paths:
        return
    out = Path(tempfile.mkdtemp(prefix="auditor-pre-commit-"))  # owner-only; its path is printed
    try:
        ctx.invoke(check, paths=paths, out=out, no_state=True, fail_on=fail_on, quiet=True)
    except SystemExit as exc:
        if exc.code == 1:
            _echo(
                "to commit safe copies instead: auditor fix FILES --out safe-copies/ (location, serials and names "
                "stripped, oversized photos reduced; --blur minors covers faces), then commit those",
                err=True,
            )
        raise


@click.command()
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
