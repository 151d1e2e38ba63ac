"""``--format sarif``: SARIF 2.1.0, what code-scanning dashboards (GitHub, GitLab, Azure DevOps) read.

One rule per check, one result per finding, its level from the severity, its location the file's or page's URL,
and an accepted finding as a result with an external suppression carrying the school's reason.
"""

from __future__ import annotations

import json
from typing import Any

from auditor import __version__
from auditor.checks import REGISTRY
from auditor.report.formats import Format

SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


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


def render(document: dict[str, Any]) -> str:
    return json.dumps(sarif(document), indent=2, ensure_ascii=False)


FORMAT = Format("sarif", "SARIF 2.1.0 (GitHub, GitLab and Azure code scanning)", render)
