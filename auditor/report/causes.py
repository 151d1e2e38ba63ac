"""The report's first screen, "Fix first": root causes ranked by the risk each removes, each with the findings it
clears. Which check groups how (a camera, a folder, a page, the whole site) is each check's own declaration
(``Check.causes``, ``device_words``, ``about_faces``, ``section``); this module only applies them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from auditor.checks import REGISTRY
from auditor.decisions import counted
from auditor.models import SEVERITIES
from auditor.report.words import WEIGHT, check_name, plural


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
                "checks": sorted({check_name(f["check"]) for f in group}),
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
