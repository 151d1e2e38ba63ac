"""``auditor diff`` and ``auditor forget``: comparing two scans, and deleting a site's history."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from auditor.cli.output import UserError, _echo
from auditor.crawl.urls import BadUrl, normalize
from auditor.history import default_state_dir
from auditor.report.words import plural


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


@click.command()
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


@click.command()
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
