"""The report's view-model: plain dicts and lists built from ``findings.json`` (and thumbnails), so the template only
loops and prints. Pure functions, unit-tested without a browser.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from auditor.checks import REGISTRY
from auditor.decisions import counted
from auditor.models import MINOR_CLASSES, SEVERITIES
from auditor.report.masking import Masker, mask_name, masker_for

__all__ = [
    "build",
    "capture_histogram",
    "faces_per_page",
    "mask_name",
    "mask_names_in",
    "plain_value",
    "plural",
    "top_fixes",
]

WEIGHT = {"critical": 100, "high": 30, "medium": 10, "low": 3, "info": 1}


def _name(check: str) -> str:
    return REGISTRY[check].name if check in REGISTRY else check


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


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 face``, ``2 faces``: the report never says ``face(s)``."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


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
        "check_name": _name(finding["check"]),
        "status": finding.get("status", ""),
        "accepted": finding.get("accepted"),
        "acceptance_lapsed": finding.get("acceptance_lapsed"),
    }


def top_fixes(findings: list[dict[str, Any]], limit: int = 10) -> list[dict[str, Any]]:
    """The fixes that remove the most risk: findings grouped by what to fix (the asset or page), scored by the
    severity of everything that fix would resolve."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        groups[f["asset"] or f["page"] or f["id"]].append(f)
    scored = sorted(groups.items(), key=lambda kv: (-sum(WEIGHT[f["severity"]] for f in kv[1]), kv[0]))
    out = []
    for target, group in scored[:limit]:
        worst = min(group, key=lambda f: SEVERITIES.index(f["severity"]))
        out.append(
            {
                "target": target,
                "severity": worst["severity"],
                "score": sum(WEIGHT[f["severity"]] for f in group),
                "checks": sorted({_name(f["check"]) for f in group}),
                "advice": worst["advice"],
            }
        )
    return out


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


MIN_GROUP = 2  # a cause shared by two files or more is one action; a single file stays a file


def _folder(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/" if parts.netloc else url.rsplit("/", 1)[0]


def root_causes(document: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """ "Fix first" as root causes, ranked by the risk each removes: a device that writes its position, serial or
    owner into every photo; a folder serving originals; a page showing many possible minors; a person
    recognisable in many photos; a public share link. What no shared cause explains stays one file at a time.
    Accepted findings and ``info`` ones (a share link that is gone, a file too small to hold a photo) are left out:
    they need no fixing, and a first screen spent on them hides what does."""
    findings = [f for f in counted(document["findings"]) if f["severity"] != "info"]
    assets = {a["url"]: a for a in document["assets"]}
    out_dir = (document["scan"].get("config") or {}).get("out") or "OUT"
    used: set[str] = set()
    causes: list[dict[str, Any]] = []

    def add(key: str, group: list[dict[str, Any]], cause: str, action: str, command: str | None = None) -> None:
        files = sorted({f.get("asset") or f.get("page") or "" for f in group})
        causes.append(
            {
                "key": key,
                "cause": cause,
                "action": action,
                "command": command,
                "severity": min((f["severity"] for f in group), key=SEVERITIES.index),
                "score": sum(WEIGHT[f["severity"]] for f in group),
                "findings": len(group),
                "files": files,
                "finding_ids": sorted(f["id"] for f in group),
            }
        )
        used.update(f["id"] for f in group)

    device_words = {c.id: c.device_words for c in REGISTRY.values() if c.device_words}
    people_checks = {c.id for c in REGISTRY.values() if c.section == "people"}
    face_checks = {c.id for c in REGISTRY.values() if c.about_faces}
    by_device: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        camera = ((assets.get(f.get("asset") or "") or {}).get("metadata") or {}).get("camera")
        if f["check"] in device_words and camera:
            by_device[camera].append(f)
    for camera, group in by_device.items():
        photos = {f["asset"] for f in group}
        if len(photos) < MIN_GROUP:
            continue
        what = [w for check, w in device_words.items() if any(f["check"] == check for f in group)]
        add(
            f"device:{camera}",
            group,
            f"The {camera} writes {_and(what)} into every photo it takes ({plural(len(photos), 'photo')})",
            f"Switch off location (and the owner's name) in the {camera}'s settings, and strip metadata before "
            "uploading; replace the published copies with safe ones.",
            f"auditor fix --from-scan {out_dir} --out safe-copies/",
        )
    for f in findings:  # a person: fixing their photos also clears the face findings on those photos
        if f["check"] not in people_checks or f["id"] in used:
            continue
        pictures = {p.get("url") for p in f["evidence"].get("pictures", [])}
        faces = [
            g for g in findings if g["check"] in face_checks and g.get("asset") in pictures and g["id"] not in used
        ]
        add(f"person:{f['id']}", [f, *faces], f["title"], f["advice"])
    where: dict[str, Callable[[dict[str, Any]], str | None]] = {
        "folder": lambda f: _folder(f["asset"]) if f.get("asset") else None,
        "page": lambda f: f.get("page"),
    }
    for by in ("folder", "page", "site", "each"):  # what a narrower cause explains is not counted again
        for check in REGISTRY.values():
            for cause in (c for c in check.causes if c.by == by):
                mine = [f for f in findings if f["check"] == check.id and f["id"] not in used]
                if by == "site":  # one setting or one habit fixes them all
                    groups = {"": mine} if len(mine) >= MIN_GROUP else {}
                elif by == "each":
                    groups = {f["id"]: [f] for f in mine}
                else:
                    groups = defaultdict(list)
                    for f in mine:
                        if key := where[by](f):
                            groups[key].append(f)
                for place, group in groups.items():
                    if by != "each" and len(group) < MIN_GROUP:
                        continue
                    words = {
                        "n": len(group),
                        "photos": plural(len(group), "photo"),
                        "place": place,
                        "asset": group[0].get("asset"),
                        "out": out_dir,
                    }
                    if cause.with_faces:  # publishing those photos small also clears their other face findings
                        shown = {f.get("asset") for f in group}
                        also = [g for g in findings if g["check"] in face_checks and g.get("asset") in shown]
                        group = [*group, *(g for g in also if g not in group and g["id"] not in used)]
                    keys = {"folder": f"folder:{place}", "page": f"page:{place}", "site": f"all:{check.id}"}
                    add(
                        keys.get(by, f"{cause.key or check.id}:{place}"),
                        group,
                        cause.cause.format(**words),
                        cause.action.format(**words) if cause.action else group[0]["advice"],
                        cause.command.format(**words) or None,
                    )
    rest = [f for f in findings if f["id"] not in used]
    for fix in top_fixes(rest, limit=limit):
        group = [f for f in rest if (f.get("asset") or f.get("page") or f["id"]) == fix["target"]]
        causes.append(
            {
                "key": f"file:{fix['target']}",
                "cause": f"{fix['target']} ({', '.join(fix['checks'])})",
                "action": fix["advice"],
                "command": None,
                "severity": fix["severity"],
                "score": fix["score"],
                "findings": len(group),
                "files": [fix["target"]],
                "finding_ids": sorted(f["id"] for f in group),
            }
        )
    causes.sort(key=lambda c: (-c["score"], c["key"]))
    return causes[:limit]


CHART_HEIGHT, BAR_WIDTH, BAR_GAP, LABEL_WIDTH = 120, 18, 6, 70


def trend_chart(trend: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Stacked bars of findings by severity, one per scan (oldest first, this scan last), for an inline SVG drawn
    by the template: no script, no image file, the colours follow light and dark mode. ``None`` for fewer than
    two scans (one bar says nothing a number does not)."""
    if len(trend) < 2:
        return None
    tallest = max(sum(t["counts"].values()) for t in trend) or 1
    bars = []
    for k, point in enumerate(trend):
        x, y = k * (BAR_WIDTH + BAR_GAP), float(CHART_HEIGHT)
        for severity in reversed(SEVERITIES):  # info at the bottom, critical on top
            count = int(point["counts"].get(severity, 0))
            if not count:
                continue
            height = count / tallest * (CHART_HEIGHT - 10)
            y -= height
            bars.append({"x": x, "y": round(y, 1), "height": round(height, 1), "severity": severity, "count": count})
    width = max(len(trend) * (BAR_WIDTH + BAR_GAP), 2 * LABEL_WIDTH)
    labels = [{"x": 0, "anchor": "start", "text": (trend[0].get("finished_at") or "")[:10]}]
    labels.append({"x": width, "anchor": "end", "text": (trend[-1].get("finished_at") or "")[:10]})
    rows = [
        ((t.get("finished_at") or "this scan")[:16].replace("T", " "), [t["counts"].get(s, 0) for s in SEVERITIES])
        for t in trend
    ]
    return {
        "width": width,
        "height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "bars": bars,
        "labels": labels,
        "rows": rows,
        "severities": SEVERITIES,
        "scans": len(trend),
    }


def capture_histogram(assets: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    """Images by year, for retention: (year, images whose metadata says they were taken that year, images with no
    capture date whose server says it last changed them that year). A server's Last-Modified is when the file was
    uploaded or copied, not when the photo was taken, so the two are never added together."""
    taken: Counter[str] = Counter()
    served: Counter[str] = Counter()
    for asset in assets:
        if asset["type"] != "image":
            continue
        date = (asset.get("metadata") or {}).get("date_taken") or ""
        if match := re.match(r"(19|20)\d\d", date):
            taken[match.group(0)] += 1
        elif match := re.search(r"\b(19|20)\d\d\b", asset.get("last_modified") or ""):
            served[match.group(0)] += 1
        else:
            taken["unknown"] += 1
    return [(year, taken[year], served[year]) for year in sorted(set(taken) | set(served))]


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
        "check_counts": [(_name(c), c, len(by_check[c])) for c in REGISTRY if by_check.get(c)],
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
                "check_name": _name(f["check"]),
            }
            for f in history.get("resolved_findings", [])
        ],
        "sections": sections,
        "pages": [
            {**p, "findings": by_page.get(p["final_url"], []), "sheet": sheets.get(p["final_url"], [])}
            for p in document["pages"]
        ],
        "page_filter": sorted(by_page),
        "checks_present": [(c, _name(c)) for c in REGISTRY if by_check.get(c)],
        "timing_rows": [
            (k.removesuffix("_s").replace("_", " "), plain_value(v))
            for k, v in document["scan"].get("timings", {}).items()
        ],
        "skipped_rows": [(k.replace("_", " "), plain_value(v)) for k, v in document["scan"].get("skipped", {}).items()],
        "checks_skipped_rows": [
            (_name(k) if k in REGISTRY else k, v) for k, v in document["scan"].get("checks_skipped", {}).items()
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
