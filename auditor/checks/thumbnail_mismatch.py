"""``thumbnail_mismatch``: An embedded preview that differs from the published picture."""

from __future__ import annotations

from auditor.analyze.metadata import ImageMetadata
from auditor.analyze.metadata_checks import Subject, thumbnail_finding
from auditor.checks._check import Check, ImageContext, array, integer, number, string
from auditor.models import Finding


def find(subject: Subject, meta: ImageMetadata, context: ImageContext) -> list[Finding]:
    """The comparison itself runs while the stage holds the file's bytes (``ImageContext.thumbnail_difference``)."""
    difference = context.thumbnail_difference
    return [] if difference is None else [thumbnail_finding(subject, difference)]


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
)
