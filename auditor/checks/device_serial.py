"""``device_serial``: A camera or lens serial number in a photo's metadata."""

from __future__ import annotations

from auditor.analyze.boilerplate import is_placeholder_serial
from auditor.analyze.metadata import ImageMetadata
from auditor.checks._check import Check, ImageContext, obj, string
from auditor.models import Finding, Subject


def find(subject: Subject, meta: ImageMetadata, context: ImageContext) -> list[Finding]:
    serials = {k: v for k, v in meta.serials.items() if not is_placeholder_serial(v)}
    if not serials:
        return []
    return [
        subject.finding(
            "device_serial",
            "medium",
            "Camera or lens serial number in the photo",
            {"fields": serials},
            "Strip metadata before publishing: a serial number links every photo taken with the same camera, "
            "across sites and years.",
        )
    ]


def remains(meta: ImageMetadata, given: frozenset[str]) -> bool:
    """A safe copy still carries a serial number (placeholders such as "#00000001" are none)."""
    return any(not is_placeholder_serial(v) for v in meta.serials.values())


CHECK = Check(
    id="device_serial",
    order=50,
    name="Camera serial number",
    stage="analysis",
    severities=("medium",),
    severity_rule="medium",
    means="The file carries the serial number of the camera or lens.",
    why="It links every photo taken with that camera, across websites and years.",
    reliability="Exact: read from the file, including makers' private notes.",
    fix="Strip metadata before publishing.",
    evidence={"fields": obj(string(), "field -> serial number")},
    image=find,
    verify=remains,
    device_words="its serial number",
)
