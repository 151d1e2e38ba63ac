"""How much of a scan the report's "Fix first" covers: the share of findings (accepted ones left out) that its
grouped actions clear, and how many actions that takes.

    python benchmarks/causes.py OUT [OUT...]     # the --out folders of finished scans

Issue 15 asks for at most ten actions covering at least 80 % of the findings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.decisions import counted
from auditor.report.causes import root_causes


def main() -> None:
    for folder in sys.argv[1:]:
        document = json.loads((Path(folder) / "findings.json").read_text())
        causes = root_causes(document)
        total = len(counted(document["findings"]))
        covered = sum(c["findings"] for c in causes)
        print(f"{folder}: {len(causes)} actions cover {covered} of {total} findings ({covered / max(total, 1):.0%})")
        for c in causes:
            print(f"  {c['severity']:8} {c['findings']:>4} findings  {c['key'][:100]}")


if __name__ == "__main__":
    main()
