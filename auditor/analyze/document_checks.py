"""``document_metadata``: who wrote a document, on which account and machine, with which tool."""

from __future__ import annotations

from auditor.analyze.documents import PERSON_FIELDS, DocumentContent, usernames_in_paths
from auditor.analyze.metadata_checks import Subject, is_boilerplate_name
from auditor.models import Finding, Severity

_TOOL_FIELDS = ("Creator", "Producer", "Application", "AppVersion", "generator")
_ORG_FIELDS = ("Company", "Template", "template")


def document_finding(subject: Subject, content: DocumentContent) -> Finding | None:
    """One finding per document that names people, accounts, the organization's setup or the tool used."""
    fields = {k: v for k, v in content.fields.items() if not is_boilerplate_name(v) or k.endswith(_TOOL_FIELDS)}
    if not fields:
        return None
    people = {k: v for k, v in fields.items() if k.split(":")[-1] in PERSON_FIELDS or k == "XMP:dc:creator"}
    usernames = usernames_in_paths(fields)
    severity: Severity
    if people or usernames:
        severity, title = "medium", "The document names its authors or their accounts"
    elif any(k.endswith(_ORG_FIELDS) for k in fields):
        severity, title = "low", "The document reveals internal details (company, template paths)"
    else:
        severity, title = "info", "The document records the software that made it"
    return Finding(
        subject.finding_id("document_metadata"),
        "document_metadata",
        severity,
        title,
        subject.url,
        subject.page,
        {
            "fields": fields,
            "usernames_in_paths": usernames,
            "embedded_images": len(content.images),
            "embedded_images_not_checked": content.skipped_images,
            "format": content.kind,
        },
        "Remove personal details before publishing (Word: File > Info > Inspect Document; PDF: export with "
        "'remove personal information'; or auditor fix). Photos inside the document are checked separately.",
    )
