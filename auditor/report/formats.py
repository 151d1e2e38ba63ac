"""``--format json|sarif|junit``: the scan's findings on standard output, for CI systems that read them.

SARIF 2.1.0 is what code-scanning dashboards (GitHub, GitLab, Azure DevOps) read: one rule per check, one result
per finding, its level from the severity, its location the file's or page's URL, and an accepted finding as a
result with an external suppression carrying the school's reason. JUnit XML is what test-report widgets read: one
test case per check; each finding not accepted is a failure of its check's case, so a clean check is a passed
case and the gate's story is readable in any CI. The files on disk (findings.json, the report) are unchanged.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from auditor import __version__
from auditor.checks import REGISTRY

SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
FORMATS = ("json", "sarif", "junit")


def render(document: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False)
    if fmt == "sarif":
        return json.dumps(sarif(document), indent=2, ensure_ascii=False)
    if fmt == "junit":
        return junit(document)
    raise ValueError(f"unknown format {fmt}")


def sarif(document: dict[str, Any]) -> dict[str, Any]:
    rules = [
        {
            "id": check.id,
            "name": check.name,
            "shortDescription": {"text": check.name},
            "fullDescription": {"text": check.means},
            "help": {"text": f"{check.why} How to fix: {check.fix}"},
        }
        for check in REGISTRY.values()
    ]
    index = {rule["id"]: k for k, rule in enumerate(rules)}
    results = []
    for finding in document["findings"]:
        where = finding.get("asset") or finding.get("page") or ""
        result: dict[str, Any] = {
            "ruleId": finding["check"],
            "ruleIndex": index.get(finding["check"], 0),
            "level": SARIF_LEVEL.get(finding["severity"], "warning"),
            "message": {"text": f"{finding['title']}. {finding['advice']}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": where}}}] if where else [],
            "partialFingerprints": {"exposureAuditorId": finding["id"]},
            "properties": {"severity": finding["severity"], "status": finding.get("status"), "page": finding["page"]},
        }
        if finding.get("accepted"):
            accepted = finding["accepted"]
            result["suppressions"] = [
                {"kind": "external", "justification": f"{accepted['reason']} ({accepted['by']}, {accepted['at']})"}
            ]
        results.append(result)
    scan = document["scan"]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "exposure-auditor",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": bool(scan["complete"]),
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": r["message"]}}
                            for r in scan.get("incomplete_reasons", [])
                        ],
                    }
                ],
            }
        ],
    }


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
