"""The report's view-model: plain dicts and lists built from ``findings.json`` (and thumbnails), so the template only
loops and prints. Pure functions, unit-tested without a browser.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlsplit

from auditor.checks import REGISTRY
from auditor.decisions import counted
from auditor.models import MINOR_CLASSES, SEVERITIES
from auditor.report.causes import root_causes, top_fixes
from auditor.report.charts import capture_histogram, trend_chart
from auditor.report.masking import Masker, mask_name, masker_for
from auditor.report.words import check_name

__all__ = ["build", "faces_per_page", "mask_name", "mask_names_in", "people", "plain_value", "provenance_text"]


def _section(check: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """A check's section: its explanations (declared with the check, in ``auditor/checks/``) and its findings."""
    c = REGISTRY[check]
    return {
        "check": check,
        "name": c.name,
        "means": c.means,
        "why": c.why,
        "reliability": c.reliability,
        "fix": c.fix,
        "findings": findings,
    }


def mask_names_in(text: str, names: list[str]) -> str:
    """``text`` with ``names`` (and any other name-like words) masked; see :mod:`auditor.report.masking`."""
    return Masker(names).text(text)


def plain_value(value: Any) -> str:
    """A value as a person reads it: yes/no, lists joined, field: value pairs, never JSON or ``True``."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {plain_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value) and len(value) == 2:
            return f"{plain_value(value[0])} × {plain_value(value[1])}"  # a size
        return ", ".join(plain_value(v) for v in value) or "none"
    return str(value)


def _evidence_rows(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for key, value in evidence.items():
        if key == "faces" and isinstance(value, list):
            classes = Counter(str(f.get("class", "?")).replace("_", " ") for f in value)
            value = ", ".join(f"{n} {c}" for c, n in sorted(classes.items()))
        elif key == "matches" and isinstance(value, list):
            value = "; ".join(f"{m.get('where', '')}: {m.get('text', '')}" for m in value if isinstance(m, dict))
        rows.append((key.replace("_", " "), plain_value(value)))
    return rows


def _finding_view(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        **finding,
        "evidence_rows": _evidence_rows(finding["evidence"]),
        "check_name": check_name(finding["check"]),
        "status": finding.get("status", ""),
        "accepted": finding.get("accepted"),
        "acceptance_lapsed": finding.get("acceptance_lapsed"),
    }


def faces_per_page(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for the consent register: each page, each image on it with faces."""
    rows = []
    for asset in document["assets"]:
        faces = asset.get("faces") or []
        if not faces:
            continue
        for page in asset["found_on"] or [""]:
            rows.append(
                {
                    "page": page,
                    "image": asset["url"],
                    "faces": len(faces),
                    "possible_minors": sum(f["triage"] in MINOR_CLASSES for f in faces),
                    "identifiable": sum(f["iod"] >= 30 for f in faces),
                    "people": " ".join(
                        f"person {n}" for n in sorted({f["person"] for f in faces if f.get("person") is not None})
                    ),
                }
            )
    return sorted(rows, key=lambda r: (r["page"], r["image"]))


def people(findings: list[dict[str, Any]], thumbnails: dict[str, str]) -> list[dict[str, Any]]:
    """The report's "People" cards: one per person recognisable in several photos, most exposed first, with the
    redacted thumbnail of the photo where the face is largest."""
    cards = []
    for f in findings:
        if REGISTRY.get(f["check"]) is None or REGISTRY[f["check"]].section != "people":
            continue
        evidence = f["evidence"]
        cards.append(
            {
                "number": evidence["person"],
                "severity": f["severity"],
                "title": f["title"],
                "thumbnail": thumbnails.get(f["asset"] or ""),
                "photos": [p["url"] for p in evidence.get("pictures", [])],
                "pages": evidence.get("pages", []),
                "age": evidence.get("age_estimate"),
                "class_reason": evidence.get("class_reason"),
                "people": len(evidence.get("people") or [evidence["person"]]),
                "advice": f["advice"],
            }
        )
    return sorted(cards, key=lambda c: (-len(c["photos"]), c["number"]))


_USE_WORDS = {"notAllowed": "not allowed", "constrained": "allowed only under conditions", "allowed": "allowed"}
_C2PA_WORDS = {
    "trusted": "intact, signer trusted",
    "valid": "intact, signer not on a trust list known here",
    "invalid": "broken: the file or its manifest changed after signing",
    "remote": "stored elsewhere (not fetched)",
    "unreadable": "present but unreadable",
}


def provenance_text(facts: dict[str, Any] | None) -> str | None:
    """One line for an asset card: the C2PA state, what the file says about AI, and its training reservation."""
    if not facts:
        return None
    parts = []
    if facts.get("c2pa"):
        signer = f" (signed by {facts['signer']})" if facts.get("signer") else ""
        parts.append(f"C2PA manifest {_C2PA_WORDS.get(facts['c2pa'], facts['c2pa'])}{signer}")
    if facts.get("ai"):
        parts.append(f"says it was {facts['ai']} by AI or an algorithm")
    if facts.get("training"):
        where = ", ".join(facts.get("training_sources") or {})
        parts.append(f"AI training {_USE_WORDS.get(facts['training'], facts['training'])} ({where})")
    return "; ".join(parts) or None


def provenance_summary(assets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per site (host): how many published images carry a training reservation, allow training, say they are
    AI-made, and carry an intact, broken or remote C2PA manifest. Reservations are counted, not judged: they stop
    no scraper."""
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    for asset in assets:
        if asset["type"] != "image" or not asset.get("metadata"):
            continue
        counts = rows[urlsplit(asset["url"]).netloc or "local files"]
        counts["images"] += 1
        facts = asset["metadata"].get("provenance") or {}
        training, c2pa = facts.get("training"), facts.get("c2pa")
        counts["reserved"] += training in ("notAllowed", "constrained")
        counts["allowed"] += training == "allowed"
        counts["ai"] += bool(facts.get("ai"))
        counts["c2pa_intact"] += c2pa in ("valid", "trusted")
        counts["c2pa_broken"] += c2pa in ("invalid", "unreadable")
        counts["c2pa_remote"] += c2pa == "remote"
    return [{"site": site, **counts} for site, counts in sorted(rows.items())]


def _card(asset: dict[str, Any], thumbnails: dict[str, str], findings: list[dict[str, Any]]) -> dict[str, Any]:
    """One image or document: its thumbnail, where and how it was found, its findings and file facts."""
    larger = [
        f["evidence"].get(field)
        for f in findings
        if f["check"] in REGISTRY and (field := REGISTRY[f["check"]].larger_copy) is not None
    ]
    facts = asset.get("metadata") or {}
    return {
        **asset,
        "thumbnail": thumbnails.get(asset["url"]),
        "findings": findings,
        "largest": larger[0] if larger else None,
        "metadata_rows": sorted(
            (k.replace("_", " "), provenance_text(v) if k == "provenance" else plain_value(v))
            for k, v in facts.items()
            if v not in (None, False)
        ),
    }


SHEET_LIMIT = 12  # thumbnails per page in the Pages section (each is also on its card: the report stays small)


def contact_sheets(
    assets: list[dict[str, Any]], by_asset: dict[str, list[dict[str, Any]]], thumbnails: dict[str, str]
) -> dict[str, list[dict[str, str]]]:
    """Per page, the flagged photos shown on it (worst first), as their redacted thumbnails: a page of pupils
    is seen at a glance. Only pictures with findings; at most :data:`SHEET_LIMIT` a page."""
    out: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for asset in assets:
        flagged = by_asset.get(asset["url"])
        uri = thumbnails.get(asset["url"])
        if not flagged or uri is None:
            continue
        worst = min(SEVERITIES.index(f["severity"]) for f in flagged)
        for page in asset.get("found_on") or []:
            out[page].append((worst, {"url": asset["url"], "src": uri, "severity": SEVERITIES[worst]}))
    return {page: [t for _, t in sorted(items, key=lambda x: x[0])[:SHEET_LIMIT]] for page, items in out.items()}


def build(
    document: dict[str, Any],
    thumbnails: dict[str, str],
    *,
    show_names: bool = False,
    redacted: bool = True,
    csv_name: str = "faces-per-page.csv",
) -> dict[str, Any]:
    if not show_names:  # every string the report prints, not only the fields the name checks filled
        masker = masker_for(document)
        document = masker.deep(document)
        thumbnails = {masker.text(url): uri for url, uri in thumbnails.items()}
    findings = [_finding_view(f) for f in document["findings"]]
    by_severity = Counter(f["severity"] for f in findings)
    worst = next((s for s in SEVERITIES if by_severity.get(s)), "none")
    by_check: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_asset: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_page: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        by_check[f["check"]].append(f)
        if f["asset"]:
            by_asset[f["asset"]].append(f)
        if f["page"]:
            by_page[f["page"]].append(f)

    def in_section(section: str) -> list[dict[str, Any]]:
        """The findings of the checks that have a report section of this kind (``Check.section``)."""
        return [f for c in REGISTRY.values() if c.section == section for f in by_check.get(c.id, [])]

    sections = [_section(c, by_check[c]) for c in REGISTRY if by_check.get(c)]
    cards = [
        _card(a, thumbnails, by_asset.get(a["url"], []))
        for a in document["assets"]
        if a["url"] in by_asset or a.get("faces")
    ]
    cards.sort(key=lambda c: (min((SEVERITIES.index(f["severity"]) for f in c["findings"]), default=9), c["url"]))
    faces = [f for a in document["assets"] for f in (a.get("faces") or [])]
    history = document.get("history") or {}
    sheets = contact_sheets(document["assets"], by_asset, thumbnails)
    return {
        "tool": document["tool"],
        "scan": document["scan"],
        "risk": worst,
        "redacted": redacted,
        "show_names": show_names,
        "severity_counts": [(s, by_severity.get(s, 0)) for s in SEVERITIES],
        "check_counts": [(check_name(c), c, len(by_check[c])) for c in REGISTRY if by_check.get(c)],
        "top_fixes": top_fixes(counted(document["findings"])),  # an accepted finding needs no fixing
        "causes": document.get("fix_first") or root_causes(document),
        "accepted_count": sum(bool(f.get("accepted")) for f in document["findings"]),
        "trend": history,
        "trend_chart": trend_chart(history.get("trend") or []),
        "complete": document["scan"]["complete"],
        "incomplete_reasons": document["scan"].get("incomplete_reasons", []),
        "resolved": [
            {
                "severity": f["severity"],
                "title": f["title"],
                "where": f.get("asset") or f.get("page") or "",
                "check_name": check_name(f["check"]),
            }
            for f in history.get("resolved_findings", [])
        ],
        "sections": sections,
        "pages": [
            {**p, "findings": by_page.get(p["final_url"], []), "sheet": sheets.get(p["final_url"], [])}
            for p in document["pages"]
        ],
        "page_filter": sorted(by_page),
        "checks_present": [(c, check_name(c)) for c in REGISTRY if by_check.get(c)],
        "timing_rows": [
            (k.removesuffix("_s").replace("_", " "), plain_value(v))
            for k, v in document["scan"].get("timings", {}).items()
        ],
        "skipped_rows": [(k.replace("_", " "), plain_value(v)) for k, v in document["scan"].get("skipped", {}).items()],
        "checks_skipped_rows": [
            (check_name(k) if k in REGISTRY else k, v) for k, v in document["scan"].get("checks_skipped", {}).items()
        ],
        "cards": cards,
        "people": people(document["findings"], thumbnails),
        "share_links": in_section("share_links"),
        "ai_signals": in_section("ai_signals"),
        "provenance": provenance_summary(document["assets"]),
        "errors": document["errors"],
        "not_rendered": [e for e in document["errors"] if e["stage"] == "render"],
        "files_skipped": document["scan"].get("files_skipped", []),
        "config_rows": sorted(
            (k.replace("_", " "), plain_value(v)) for k, v in document["scan"].get("config", {}).items()
        ),
        "dpia": {
            "pages": len(document["pages"]),
            # What was read, not what was found: a document robots.txt kept out or a server refused was never
            # audited, and is counted apart (the evidence must add up).
            "images": sum(a["type"] == "image" and bool(a.get("sha256")) for a in document["assets"]),
            "documents": sum(a["type"] == "document" and bool(a.get("sha256")) for a in document["assets"]),
            "videos": sum(a["type"] == "video" and bool(a.get("sha256")) for a in document["assets"]),
            "not_read": sum(
                a["type"] in ("image", "document", "video") and not a.get("sha256") for a in document["assets"]
            ),
            "images_with_faces": sum(bool(a.get("faces")) for a in document["assets"]),
            "faces": len(faces),
            "possible_minors": sum(f["triage"] in MINOR_CLASSES for f in faces),
            **{row: len(by_check.get(c.id, [])) for c in REGISTRY.values() if (row := c.dpia) is not None},
        },
        "histogram": capture_histogram(document["assets"]),
        "csv_name": csv_name,
    }
