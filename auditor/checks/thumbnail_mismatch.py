"""``thumbnail_mismatch``: An embedded preview that differs from the published picture."""

from __future__ import annotations

from dataclasses import replace

from auditor.analyze.metadata import ImageMetadata
from auditor.checks._check import Check, ImageContext, Refinement, array, integer, number, string
from auditor.models import MINOR_CLASSES, Finding, Subject


def find(subject: Subject, meta: ImageMetadata, context: ImageContext) -> list[Finding]:
    """The comparison itself runs while the stage holds the file's bytes (``ImageContext.thumbnail_difference``)."""
    difference = context.thumbnail_difference
    if difference is None:
        return []
    return [
        subject.finding(
            "thumbnail_mismatch",
            "high",
            "Embedded thumbnail differs from the published image",
            {"field": "EXIF:IFD1:ThumbnailImage", **difference},
            "The file carries an older preview that may show what was cropped or blurred. Re-export the "
            "image without its EXIF thumbnail and replace the published copy.",
        )
    ]


def refine(finding: Finding, seen: Refinement) -> Finding:
    """Once faces are read: how many faces (and possible minors) the differing preview itself shows."""
    if seen.thumbnail_faces is None:
        return finding
    in_thumb = seen.thumbnail_faces()
    minors = sum(f.triage in MINOR_CLASSES for f in in_thumb)
    evidence = {**finding.evidence, "faces_in_thumbnail": len(in_thumb), "possible_minors_in_thumbnail": minors}
    return replace(finding, evidence=evidence)


CHECK = Check(
    id="thumbnail_mismatch",
    order=70,
    name="Hidden preview differs from the photo",
    stage="analysis",
    severities=("high",),
    severity_rule="high",
    means="The file carries an older preview that differs from the published picture.",
    why="A crop or blur applied to the photo may not have been applied to the preview.",
    reliability="Compares shapes and content; small edits may not be noticed.",
    fix="Re-export without the embedded preview and replace the published copy.",
    evidence={
        "field": string(),
        "reason": string(),
        "thumbnail_size": array(integer()),
        "image_aspect": number(),
        "thumbnail_aspect": number(),
        "hash_distance": integer(),
        "faces_in_thumbnail": integer(),
        "possible_minors_in_thumbnail": integer(),
    },
    image=find,
    refine=refine,
)
