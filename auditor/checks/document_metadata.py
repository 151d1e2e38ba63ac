"""``document_metadata``: Who wrote a document, on which account and machine, with which tool."""

from __future__ import annotations

from auditor.analyze.boilerplate import is_boilerplate_name
from auditor.analyze.documents import PERSON_FIELDS, DocumentContent, usernames_in_paths
from auditor.checks._check import Cause, Check, integer, obj, string
from auditor.models import Finding, Severity, Subject

_TOOL_FIELDS = ("Creator", "Producer", "Application", "AppVersion", "generator")
_ORG_FIELDS = ("Company", "Template", "template")


def find(subject: Subject, content: DocumentContent) -> list[Finding]:
    """One finding per document that names people, accounts, the organization's setup or the tool used."""
    fields = {k: v for k, v in content.fields.items() if not is_boilerplate_name(v) or k.endswith(_TOOL_FIELDS)}
    if not fields:
        return []
    people = {k: v for k, v in fields.items() if k.split(":")[-1] in PERSON_FIELDS or k == "XMP:dc:creator"}
    usernames = usernames_in_paths(fields)
    severity: Severity
    if people or usernames:
        severity, title = "medium", "The document names its authors or their accounts"
    elif any(k.endswith(_ORG_FIELDS) for k in fields):
        severity, title = "low", "The document reveals internal details (company, template paths)"
    else:
        severity, title = "info", "The document records the software that made it"
    evidence = {
        "fields": fields,
        "usernames_in_paths": usernames,
        "embedded_images": len(content.images),
        "embedded_images_not_checked": content.skipped_images,
        "format": content.kind,
    }
    advice = (
        "Remove personal details before publishing (Word: File > Info > Inspect Document; PDF: export with "
        "'remove personal information'; or auditor fix). Photos inside the document are checked separately."
    )
    return [subject.finding("document_metadata", severity, title, evidence, advice)]


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
    causes=(
        Cause(
            "site",
            "{n} published documents carry their authors' names, accounts or templates",
            "Remove the author fields (File > Properties, or 'Inspect document') and export the documents again; "
            "check them with auditor check before uploading.",
        ),
    ),
)
