"""``findings.json``: built from the store, validated by ``auditor/schema/findings.schema.json``, written atomically.

This file is a public contract read by scheduled jobs and other tools. Change it only by adding fields; keep the
schema and the README in step. Lists are sorted so two scans of the same site produce the same file (apart from
timestamps).
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from auditor import TOOL_NAME, __version__
from auditor.models import SEVERITIES
from auditor.store import Store

SCHEMA_ID = "exposure-auditor/findings@1"


def schema() -> dict[str, Any]:
    """The JSON Schema of ``findings.json`` shipped in the package."""
    text = resources.files("auditor").joinpath("schema/findings.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _pages(store: Store) -> list[dict[str, Any]]:
    rows = store.db.execute(
        """SELECT url, final_url, status, rendered, depth, title, listing FROM pages
           WHERE state = 'done' AND status IS NOT NULL AND (probe = 0 OR status < 400) ORDER BY depth, rank, url"""
    ).fetchall()
    return [
        {
            "url": u,
            "final_url": f or u,
            "status": s,
            "rendered": bool(r),
            "depth": d,
            "title": t,
            "directory_listing": bool(li),
        }
        for u, f, s, r, d, t, li in rows
    ]


def _assets(store: Store) -> list[dict[str, Any]]:
    rows = store.db.execute(
        """SELECT url, type, status, final_url, content_type, bytes, sha256, state, last_modified FROM assets
           WHERE NOT (speculative = 1 AND (status IS NULL OR status >= 300)) ORDER BY url"""
    ).fetchall()
    facts = {u: json.loads(f) for u, f in store.db.execute("SELECT url, facts FROM asset_info")}
    faces = {u: json.loads(f) for u, f in store.db.execute("SELECT url, faces FROM faces")}
    out = []
    for url, kind, status, final, ctype, size, sha, state, modified in rows:
        sources = store.db.execute(
            "SELECT page_url, via, rendered_w, rendered_h FROM sources WHERE asset_url = ? ORDER BY page_url, via",
            (url,),
        ).fetchall()
        sizes = sorted({(w, h) for _, _, w, h in sources if w is not None and h is not None})
        out.append(
            {
                "url": url,
                "type": kind,
                "sha256": sha,
                "bytes": size,
                "status": status,
                "final_url": final,
                "content_type": ctype,
                "fetched": state == "done" and sha is not None,
                "found_on": sorted({p for p, *_ in sources}),
                "found_via": sorted({v for _, v, *_ in sources}),
                "rendered_sizes": [{"width": w, "height": h} for w, h in sizes],
                "metadata": facts.get(url),
                "last_modified": modified,
                "faces": faces.get(url),
            }
        )
    return out


def _findings(store: Store) -> list[dict[str, Any]]:
    rows = store.db.execute(
        "SELECT id, check_id, severity, title, asset, page, evidence, advice FROM findings"
    ).fetchall()
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings = [
        {
            "id": i,
            "check": c,
            "severity": s,
            "title": t,
            "asset": a,
            "page": p,
            "evidence": json.loads(e),
            "advice": adv,
        }
        for i, c, s, t, a, p, e, adv in rows
    ]
    return sorted(
        findings, key=lambda f: (order[f["severity"]], f["check"], f["asset"] or "", f["page"] or "", f["id"])
    )


def incomplete_reasons(
    store: Store, errors: list[dict[str, Any]], skipped: dict[str, int], checks_skipped: dict[str, str]
) -> list[dict[str, str]]:
    """Why this audit must not be relied on as a whole: an empty list means it looked everywhere it was asked to.

    A seed that failed, a limit that cut the crawl, a check that could not run, or a run that never finished
    each make ``scan.complete`` false; the report says so in a banner and shows no overall risk."""
    reasons: list[dict[str, str]] = []
    if not store.get_meta("finished_at") or not store.get_meta("complete"):
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
    errors = [
        {"url": u, "stage": s, "message": m}
        for u, s, m in store.db.execute("SELECT url, stage, message FROM errors ORDER BY stage, url")
    ]
    skipped = {
        "max_pages": store.count("pages", "state = 'skipped'"),
        "robots_txt": store.count("pages", "state = 'robots' AND probe = 0")
        + store.count("assets", "state = 'robots'"),
        "time_budget": store.count("pages", "state = 'time'") + store.count("assets", "state = 'time'"),
    }
    checks_skipped = store.get_meta("checks_skipped") or {}
    reasons = incomplete_reasons(store, errors, skipped, checks_skipped)
    return {
        "schema": SCHEMA_ID,
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
            "not_modified": store.count("assets", "not_modified = 1"),
        },
        "pages": pages,
        "assets": assets,
        "findings": _findings(store),
        "errors": errors,
    }


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so readers see the old file or the new one, never half of one; owner-only permissions."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_document(document: dict[str, Any], out: Path) -> None:
    write_atomic(out / "findings.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n")
