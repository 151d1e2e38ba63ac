"""``--format junit``: JUnit XML, what CI test-report widgets read.

One test case per check; each finding not accepted is a failure of its check's case, so a clean check is a passed
case and the gate's story is readable in any CI.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from auditor.checks import REGISTRY
from auditor.report.formats import Format


def junit(document: dict[str, Any]) -> str:
    by_check: dict[str, list[dict[str, Any]]] = {check: [] for check in REGISTRY}
    for finding in document["findings"]:
        by_check.setdefault(finding["check"], []).append(finding)
    cases = []
    failures = 0
    for check, findings in by_check.items():
        open_findings = [f for f in findings if not f.get("accepted")]
        failures += bool(open_findings)
        name = quoteattr(REGISTRY[check].name if check in REGISTRY else check)
        body = "".join(
            f"<failure type={quoteattr(f['severity'])} message={quoteattr(f['title'])}>"
            f"{escape(f.get('asset') or f.get('page') or '')}: {escape(f['advice'])}</failure>"
            for f in open_findings
        )
        accepted = [f for f in findings if f.get("accepted")]
        if accepted:
            body += (
                "<system-out>"
                + escape(
                    "; ".join(
                        f"accepted: {f.get('asset') or f.get('page')}: {f['accepted']['reason']}" for f in accepted
                    )
                )
                + "</system-out>"
            )
        cases.append(f'  <testcase classname="exposure-auditor" name={name}>{body}</testcase>')
    scan = document["scan"]
    errors = 0 if scan["complete"] else 1
    incomplete = "".join(f"<error message={quoteattr(r['message'])}/>" for r in scan.get("incomplete_reasons", []))
    if incomplete:
        cases.append(f'  <testcase classname="exposure-auditor" name="audit complete">{incomplete}</testcase>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuite name="exposure-auditor" tests="{len(cases)}" failures="{failures}" errors="{errors}">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n"
    )


FORMAT = Format("junit", "JUnit XML (CI test reports)", junit)
