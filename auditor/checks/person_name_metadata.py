"""``person_name_metadata``: People's names in a photo's metadata."""

from __future__ import annotations

from auditor.analyze.boilerplate import is_boilerplate_name
from auditor.analyze.metadata import ImageMetadata
from auditor.checks._check import Check, ImageContext, obj, string
from auditor.models import Finding, Subject


def find(subject: Subject, meta: ImageMetadata, context: ImageContext) -> list[Finding]:
    """Name fields that hold more than a camera's default text, and the full names a language model reads in the
    captions and keywords (``context.caption_names``)."""
    names = {k: v for k, v in meta.names.items() if not is_boilerplate_name(v)}
    names |= {k: "; ".join(v) for k, v in context.caption_names.items() if v}
    if not names:
        return []
    return [
        subject.finding(
            "person_name_metadata",
            "medium",
            "Names in the photo's metadata",
            {"fields": names},
            "Strip metadata before publishing: names of photographers, owners or people shown let a stranger "
            "connect the picture to real people.",
        )
    ]


def remains(meta: ImageMetadata, given: frozenset[str]) -> bool:
    """A safe copy still names someone (``given``: the rights holder the school chose to write is no leak)."""
    return any(not is_boilerplate_name(v) and v not in given for v in meta.names.values())


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
    verify=remains,
    device_words="a name",
)
