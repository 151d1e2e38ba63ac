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
           WHERE state = 'done' AND (probe = 0 OR (status IS NOT NULL AND status < 400)) ORDER BY depth, rank, url"""
    ).fetchall()
    return [{"url": u, "final_url": f or u, "status": s, "rendered": bool(r), "depth": d, "title": t,
             "directory_listing": bool(li)} for u, f, s, r, d, t, li in rows]


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
        out.append({
            "url": url, "type": kind, "sha256": sha, "bytes": size, "status": status,
            "final_url": final, "content_type": ctype, "fetched": state == "done" and sha is not None,
            "found_on": sorted({p for p, *_ in sources}),
            "found_via": sorted({v for _, v, *_ in sources}),
            "rendered_sizes": [{"width": w, "height": h} for w, h in sizes],
            "metadata": facts.get(url),
            "last_modified": modified,
            "faces": faces.get(url),
        })
    return out


def _findings(store: Store) -> list[dict[str, Any]]:
    rows = store.db.execute(
        "SELECT id, check_id, severity, title, asset, page, evidence, advice FROM findings").fetchall()
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings = [{"id": i, "check": c, "severity": s, "title": t, "asset": a, "page": p,
                 "evidence": json.loads(e), "advice": adv} for i, c, s, t, a, p, e, adv in rows]
    return sorted(findings,
                  key=lambda f: (order[f["severity"]], f["check"], f["asset"] or "", f["page"] or "", f["id"]))


def build(store: Store) -> dict[str, Any]:
    """The whole document, from the store alone (``auditor report`` can rebuild it without re-scanning)."""
    pages, assets = _pages(store), _assets(store)
    errors = [{"url": u, "stage": s, "message": m} for u, s, m in
              store.db.execute("SELECT url, stage, message FROM errors ORDER BY stage, url")]
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "scan": {
            "seeds": store.get_meta("seeds") or [],
            "started_at": store.get_meta("started_at"),
            "finished_at": store.get_meta("finished_at"),
            "complete": bool(store.get_meta("complete")),
            "pages": len(pages), "assets": len(assets), "errors": len(errors),
            "skipped": {
                "max_pages": store.count("pages", "state = 'skipped'"),
                "robots_txt": store.count("pages", "state = 'robots' AND probe = 0") + store.count(
                    "assets", "state = 'robots'"),
                "time_budget": store.count("pages", "state = 'time'") + store.count("assets", "state = 'time'"),
            },
            "config": store.get_meta("config") or {},
            "checks_skipped": store.get_meta("checks_skipped") or {},
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
