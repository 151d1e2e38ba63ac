"""``findings.json``: built from the store, validated by ``auditor/schema/findings.schema.json``, written atomically.

This file is a public contract read by scheduled jobs and other tools. Change it only by adding fields; keep the
schema and the README in step. Lists are sorted so two scans of the same site produce the same file (apart from
timestamps).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from auditor import TOOL_NAME, __version__
from auditor.errors import ContractError
from auditor.files import write_atomic
from auditor.models import SEVERITIES
from auditor.store import Store

SCHEMA_ID = "exposure-auditor/findings@1"
# Additive changes (new fields, new check ids, new enum values) raise the minor version; removing or changing the
# meaning of anything raises the major one, and with it SCHEMA_ID (see the README).
SCHEMA_VERSION = "1.6"


def schema() -> dict[str, Any]:
    """The JSON Schema of ``findings.json`` shipped in the package."""
    text = resources.files("auditor").joinpath("schema/findings.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _pages(store: Store) -> list[dict[str, Any]]:
    return [
        {
            "url": p.url,
            "final_url": p.final_url,
            "status": p.status,
            "rendered": p.rendered,
            "depth": p.depth,
            "title": p.title,
            "directory_listing": p.directory_listing,
        }
        for p in store.page_records()
    ]


def _assets(store: Store) -> list[dict[str, Any]]:
    facts, faces = store.facts(), store.faces()
    out = []
    for a in store.asset_rows():
        sizes = sorted({(w, h) for _, _, w, h in a.sources if w is not None and h is not None})
        out.append(
            {
                "url": a.url,
                "type": a.type,
                "sha256": a.sha256,
                "bytes": a.bytes,
                "status": a.status,
                "final_url": a.final_url,
                "content_type": a.content_type,
                "fetched": a.fetched,
                "found_on": sorted({p for p, *_ in a.sources}),
                "found_via": sorted({v for _, v, *_ in a.sources}),
                "rendered_sizes": [{"width": w, "height": h} for w, h in sizes],
                "metadata": facts.get(a.url),
                "last_modified": a.last_modified,
                "faces": faces.get(a.url),
            }
        )
    return out


def _findings(store: Store) -> list[dict[str, Any]]:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(
        store.findings(),
        key=lambda f: (order[f["severity"]], f["check"], f["asset"] or "", f["page"] or "", f["id"]),
    )


def incomplete_reasons(
    store: Store, errors: list[dict[str, Any]], skipped: dict[str, int], checks_skipped: dict[str, str]
) -> list[dict[str, str]]:
    """Why this audit must not be relied on as a whole: an empty list means it looked everywhere it was asked to.

    A seed that failed, a limit that cut the crawl, a check that could not run, or a run that never finished
    each make ``scan.complete`` false; the report says so in a banner and shows no overall risk."""
    reasons: list[dict[str, str]] = []
    if not store.get_meta("finished_at"):
        reasons.append(
            {"code": "interrupted", "message": "the scan did not finish; run the same command again to resume it"}
        )
    seeds = set(store.get_meta("seeds") or [])
    for e in errors:
        if e["url"] in seeds and e["stage"] == "fetch":
            reasons.append({"code": "seed_failed", "url": e["url"], "message": f"{e['url']}: {e['message']}"})
    config = store.get_meta("config") or {}
    if skipped.get("max_pages"):
        reasons.append(
            {
                "code": "max_pages",
                "message": f"--max-pages {config.get('max_pages', '')} cut the "
                f"crawl: {skipped['max_pages']} pages were not fetched".replace("  ", " "),
            }
        )
    if skipped.get("max_assets"):
        reasons.append(
            {
                "code": "max_assets",
                "message": f"{skipped['max_assets']} images, documents or links "
                f"found were not recorded (--max-assets {config.get('max_assets', '')}, or more than "
                "50,000 on one page, script or sitemap)",
            }
        )
    if skipped.get("time_budget"):
        reasons.append(
            {
                "code": "time_budget",
                "message": f"--max-duration ran out: {skipped['time_budget']} pages and files were not fetched",
            }
        )
    for check, why in sorted(checks_skipped.items()):
        reasons.append({"code": "check_not_run", "check": check, "message": f"{check} could not run: {why}"})
    return reasons


def build(store: Store) -> dict[str, Any]:
    """The whole document, from the store alone (``auditor report`` can rebuild it without re-scanning)."""
    pages, assets = _pages(store), _assets(store)
    errors = [{"url": u, "stage": s, "message": m} for u, s, m in store.errors()]
    skipped = {**store.skipped_counts(), "max_assets": int(store.get_meta("discoveries_dropped") or 0)}
    checks_skipped = store.get_meta("checks_skipped") or {}
    reasons = incomplete_reasons(store, errors, skipped, checks_skipped)
    return {
        "schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "scan": {
            "seeds": store.get_meta("seeds") or [],
            "started_at": store.get_meta("started_at"),
            "finished_at": store.get_meta("finished_at"),
            "complete": not reasons,
            "incomplete_reasons": reasons,
            "pages": len(pages),
            "assets": len(assets),
            "errors": len(errors),
            "skipped": skipped,
            "config": store.get_meta("config") or {},
            "checks_skipped": checks_skipped,
            "timings": store.get_meta("timings") or {},
            "not_modified": store.not_modified_count(),
            "files_skipped": store.get_meta("files_skipped") or [],
            "sources": store.get_meta("sources") or [],
        },
        "pages": pages,
        "assets": assets,
        "findings": _findings(store),
        "errors": errors,
    }


@cache
def _validator() -> Any:
    # jsonschema-rs (MIT, Rust): the same Draft 2020-12 rules as the pure-Python ``jsonschema`` the tests also
    # validate with, about 300x faster: 2 ms instead of 0.6 s for a 1,000-photo site, paid by every run.
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema())


def validate(document: dict[str, Any]) -> None:
    """Raise :class:`ContractError` when ``document`` does not match the shipped schema."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: [str(p) for p in e.instance_path])
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.instance_path) or "(top)"
        raise ContractError(f"findings.json does not match its schema at {where}: {first.message}")


def write_document(document: dict[str, Any], out: Path) -> None:
    """Validate, then write. A document that breaks the public contract is a bug in the auditor: it is kept as
    ``findings.invalid.json`` for the bug report, never written as ``findings.json``."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        validate(document)
    except ContractError as exc:
        write_atomic(out / "findings.invalid.json", text)
        raise ContractError(f"{out / 'findings.invalid.json'}: {exc} (a bug: please report it)") from exc
    write_atomic(out / "findings.json", text)
