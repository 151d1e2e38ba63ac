"""``device_serial``: A camera or lens serial number in a photo's metadata."""

from __future__ import annotations

from auditor.analyze.metadata import ImageMetadata
from auditor.analyze.metadata_checks import Subject, serial_findings
from auditor.checks._check import Check, ImageContext, obj, string
from auditor.models import Finding


def find(subject: Subject, meta: ImageMetadata, context: ImageContext) -> list[Finding]:
    return serial_findings(subject, meta)


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
)
