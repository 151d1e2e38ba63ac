"""Do two scans say the same thing? The design issue's guard rail: a refactor must not change what a school reads.

``python benchmarks/same_output.py OLD NEW`` compares two scans, each a scan folder (``auditor scan --out``) or a
snapshot file written by ``--snapshot``: every finding's check, severity, title, asset, page and evidence (and id,
when both scanned the same address), the first screen's actions (``fix_first``), and, between two folders, every
report thumbnail byte for byte. Evidence fields only the new side has are not differences (the contract only adds
fields). Exit 0 when they say the same, 1 with the differences, one per line.

``python benchmarks/same_output.py --snapshot OUT > FILE`` writes a folder's snapshot: the test suite keeps the
demo's as ``tests/golden/demo.json`` and compares every demo run with it (numbers within 2 %, since face readings
are floating point and may differ in the last digits between CPUs; thumbnails are compared by this script only).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

LOOPBACK = re.compile(r"https?://127\.0\.0\.1:\d+")


def _plain(value: Any, out: Path, written_in: str | None = None) -> Any:
    """``value`` with the loopback server's address (a new port each run) written ``SITE`` and the scan folder
    ``OUT`` (where it is now, and ``written_in``, where the scan wrote it when it has moved since)."""
    text = json.dumps(value).replace(str(out), "OUT")
    if written_in:
        text = text.replace(written_in, "OUT")
    return json.loads(LOOPBACK.sub("SITE", text))


def snapshot(out: Path) -> dict[str, Any]:
    """What a school reads in a scan folder: its findings keyed by what they are about (check, asset, page and
    evidence URL; ids hash the test server's port), its first-screen actions, and its thumbnails' hashes."""
    document = json.loads((out / "findings.json").read_text())
    keys = ("id", "check", "severity", "title", "asset", "page", "evidence")
    findings: dict[str, dict[str, Any]] = {}
    for f in sorted(document["findings"], key=lambda f: json.dumps(_plain(f, out), sort_keys=True)):
        plain = _plain({k: f.get(k) for k in keys}, out)
        about = [plain["check"], plain["asset"], plain["page"], (plain["evidence"] or {}).get("url")]
        key, n = json.dumps(about), 1
        while key in findings:
            n += 1
            key = json.dumps([*about, n])
        findings[key] = plain
    html = (out / "report.html").read_text() if (out / "report.html").exists() else ""
    pictures = re.findall(r"data:image/[a-z+]+;base64,([A-Za-z0-9+/=]+)", html)
    return {
        "seeds": document["scan"].get("seeds", []),
        "findings": findings,
        "fix_first": [
            {k: v for k, v in c.items() if k != "finding_ids"}
            for c in _plain(document.get("fix_first", []), out, (document["scan"].get("config") or {}).get("out"))
        ],
        "thumbnails": [hashlib.sha256(base64.b64decode(p)).hexdigest() for p in pictures],
    }


def _close(before: Any, after: Any, tolerance: float) -> bool:
    """Equal, numbers within ``tolerance`` (relative, or absolute below 1)."""
    if isinstance(before, bool) or isinstance(after, bool):
        return before == after
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        return math.isclose(before, after, rel_tol=tolerance, abs_tol=tolerance)
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() == after.keys() and all(_close(before[k], after[k], tolerance) for k in before)
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(_close(x, y, tolerance) for x, y in zip(before, after, strict=True))
    return bool(before == after)


def compare(a: dict[str, Any], b: dict[str, Any], tolerance: float = 0.0, thumbnails: bool = True) -> list[str]:
    """The differences between two snapshots, one line each (empty when they say the same)."""
    problems: list[str] = []
    fa, fb = a["findings"], b["findings"]
    problems += [f"only before: {k}" for k in sorted(fa.keys() - fb.keys())]
    problems += [f"only after: {k}" for k in sorted(fb.keys() - fa.keys())]
    same_site = a["seeds"] == b["seeds"]
    for key in sorted(fa.keys() & fb.keys()):
        for field, before in fa[key].items():
            after = fb[key].get(field)
            if field == "id" and not same_site:
                continue  # ids hash the test server's address, which changed
            if field == "evidence" and isinstance(before, dict) and isinstance(after, dict):
                after = {k: v for k, v in after.items() if k in before}  # fields added since are no difference
            if not _close(before, after, tolerance):
                problems.append(f"{key}: {field} {json.dumps(before)[:300]} -> {json.dumps(after)[:300]}")
    if not _close(a["fix_first"], b["fix_first"], tolerance):
        problems.append(f"fix_first: {json.dumps(a['fix_first'])[:600]} -> {json.dumps(b['fix_first'])[:600]}")
    if thumbnails and a["thumbnails"] != b["thumbnails"]:
        differ = sum(x != y for x, y in zip(a["thumbnails"], b["thumbnails"], strict=False))
        problems.append(f"thumbnails: {len(a['thumbnails'])} -> {len(b['thumbnails'])}, {differ} differ in bytes")
    return problems


def _load(path: Path) -> dict[str, Any]:
    return snapshot(path) if path.is_dir() else dict(json.loads(path.read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, help="OLD NEW (folders or snapshots), or the folder to snapshot")
    parser.add_argument("--snapshot", action="store_true", help="print the snapshot of one scan folder")
    args = parser.parse_args()
    if args.snapshot:
        print(json.dumps(snapshot(args.paths[0]), indent=1, sort_keys=True))
        return
    old, new = (_load(p) for p in args.paths)
    problems = compare(old, new, thumbnails=bool(old["thumbnails"] and new["thumbnails"]))
    for line in problems:
        print(line)
    summary = f"{len(new['findings'])} findings, {len(new['thumbnails'])} thumbnails"
    print(f"{'same' if not problems else f'{len(problems)} differences'}: {summary}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
