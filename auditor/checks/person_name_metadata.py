"""``person_name_metadata``: People's names in a photo's metadata."""

from __future__ import annotations

from auditor.analyze.metadata import ImageMetadata
from auditor.analyze.metadata_checks import Subject, name_findings
from auditor.checks._check import Check, ImageContext, obj, string
from auditor.models import Finding


def find(subject: Subject, meta: ImageMetadata, context: ImageContext) -> list[Finding]:
    return name_findings(subject, meta, context.caption_names)


CHECK = Check(
    id="person_name_metadata",
    order=60,
    name="Names inside the photo file",
    stage="analysis",
    severities=("medium",),
    severity_rule="medium",
    means="The file's metadata names the photographer, owner or people shown.",
    why="Names connect a picture to real people and their families.",
    reliability="Exact for name fields; names in captions are found by a language model (may miss some).",
    fix="Strip metadata before publishing.",
    evidence={"fields": obj(string(), "field -> the name(s) in it")},
    name_fields=("fields",),
    image=find,
)
