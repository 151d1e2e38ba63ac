"""Do two scans say the same thing? The design issue's guard rail: a refactor must not change what a school reads.

``python benchmarks/same_output.py OLD_OUT NEW_OUT`` compares two scan folders (``auditor scan --out``): every
finding's id, check, severity, title, asset, page and evidence, each asset's metadata, and every report thumbnail
byte for byte. Fields only one side has are listed, not failed (the contract only adds fields). Exit 0 when they say
the same, 1 with the differences.

Run both sides in one session on one machine: face readings are floating-point and may differ between CPUs.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any


def _findings(out: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((out / "findings.json").read_text())
    keys = ("check", "severity", "title", "asset", "page", "evidence")
    return {f["id"]: {k: f.get(k) for k in keys} for f in document["findings"]}


def _thumbnails(out: Path) -> dict[str, str]:
    """The report's embedded pictures, by their place in the page, as hashes of their bytes."""
    html = (out / "report.html").read_text()
    found = re.findall(r"data:image/[a-z+]+;base64,([A-Za-z0-9+/=]+)", html)
    return {f"#{i + 1}": hashlib.sha256(base64.b64decode(d)).hexdigest() for i, d in enumerate(found)}


def compare(old: Path, new: Path) -> list[str]:
    """The differences, one line each (empty when both scans say the same)."""
    problems: list[str] = []
    a, b = _findings(old), _findings(new)
    for fid in sorted(a.keys() - b.keys()):
        problems.append(f"only before: {fid} {a[fid]['check']} {a[fid]['asset']}")
    for fid in sorted(b.keys() - a.keys()):
        problems.append(f"only after: {fid} {b[fid]['check']} {b[fid]['asset']}")
    for fid in sorted(a.keys() & b.keys()):
        for key, before in a[fid].items():
            after = b[fid][key]
            if key == "evidence" and isinstance(before, dict) and isinstance(after, dict):
                added = after.keys() - before.keys()
                after = {k: v for k, v in after.items() if k not in added}
            if before != after:
                problems.append(
                    f"{fid} {a[fid]['check']}: {key} {json.dumps(before)[:300]} -> {json.dumps(after)[:300]}"
                )
    ta, tb = _thumbnails(old), _thumbnails(new)
    for name in sorted(ta.keys() | tb.keys()):
        if ta.get(name) != tb.get(name):
            problems.append(
                f"thumbnail {name}: {'missing' if name not in tb else 'new' if name not in ta else 'bytes differ'}"
            )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args()
    problems = compare(args.old, args.new)
    findings = len(_findings(args.new))
    thumbnails = len(_thumbnails(args.new))
    for line in problems:
        print(line)
    print(f"{'same' if not problems else f'{len(problems)} differences'}: {findings} findings, {thumbnails} thumbnails")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
