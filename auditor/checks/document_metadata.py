"""``document_metadata``: Who wrote a document, on which account and machine, with which tool."""

from __future__ import annotations

from auditor.analyze.document_checks import document_finding
from auditor.analyze.documents import DocumentContent
from auditor.analyze.metadata_checks import Subject
from auditor.checks._check import Check, integer, obj, string
from auditor.models import Finding


def find(subject: Subject, content: DocumentContent) -> list[Finding]:
    finding = document_finding(subject, content)
    return [] if finding is None else [finding]


CHECK = Check(
    id="document_metadata",
    order=80,
    name="Personal details inside documents",
    stage="analysis",
    severities=("medium", "low", "info"),
    severity_rule="medium people/accounts, low company/template, info tool only",
    means="A PDF or Office document names its authors, accounts, organisation or software.",
    why="Staff names and account names help social engineering; photos inside documents are checked too.",
    reliability="Exact: read from the document.",
    fix="Use 'Inspect Document' / 'remove personal information' before publishing.",
    evidence={
        "fields": obj(string(), "field -> value"),
        "usernames_in_paths": obj(string(), "path -> the account name in it"),
        "embedded_images": integer(),
        "embedded_images_not_checked": integer(),
        "format": string(),
    },
    name_fields=("fields", "usernames_in_paths"),
    document=find,
)
