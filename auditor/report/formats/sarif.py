"""``--format sarif``: SARIF 2.1.0, what code-scanning dashboards (GitHub, GitLab, Azure DevOps) read.

One rule per check, one result per finding, its level from the severity, its location the page's or file's URL,
and an accepted finding as a result with an external suppression carrying the school's reason. A local file
(``auditor check``) inside the folder the command ran from is located by its path relative to that folder, from
``%SRCROOT%``: code scanning places results by repository-relative paths, and may drop ``file://`` ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditor import __version__
from auditor.checks import REGISTRY
from auditor.files import file_url_path
from auditor.report.formats import Format

SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


SOURCE_ROOT = "%SRCROOT%"


def _location(where: str, root: Path) -> dict[str, Any]:
    """The artifact location of a finding's page or file: a local file under ``root`` as a relative path."""
    if where.startswith("file:"):
        path = file_url_path(where)
        try:
            relative = path.relative_to(root)
        except ValueError:
            return {"uri": where.split("#", 1)[0]}
        return {"uri": quote(relative.as_posix()), "uriBaseId": SOURCE_ROOT}
    return {"uri": where}


def sarif(document: dict[str, Any], root: Path | None = None) -> dict[str, Any]:
    """``root``: the folder local paths are relative to (the working folder, where a CI job checks out the
    repository)."""
    root = (root or Path.cwd()).resolve()
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
            "locations": [{"physicalLocation": {"artifactLocation": _location(where, root)}}] if where else [],
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
                "originalUriBaseIds": {SOURCE_ROOT: {"uri": root.as_uri() + "/"}},
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
