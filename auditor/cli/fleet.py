"""``auditor fleet``: many sites, one scan each, on this machine's cores or on a Ray cluster."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from auditor.cli.gate import EXIT_MEANINGS
from auditor.cli.output import UserError, _echo
from auditor.errors import ConfigError, ContractError
from auditor.report.words import plural


@click.command()
@click.argument("sites_file", metavar="SITES.toml", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Fleet folder.")
@click.option(
    "--address",
    help="An existing Ray cluster: HOST:6379, auto (the one started on this machine), or ray://HOST:10001 "
    "(Ray Client) [default: this machine's cores, without Ray: nothing listens on the network].",
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
    """Audit every [[site]] of SITES.toml (on this machine, or a Ray cluster with --address), each with the same
    auditor scan into OUT/sites/NAME (its own history), and write OUT/index.html, fleet.json and fleet.csv.
    Re-running the same command finishes the sites that did not finish and does not redo the others. Exit status:
    1 when a site's gate failed, else 3 when a site failed or is incomplete, else 0."""
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
