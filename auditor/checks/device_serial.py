"""``device_serial``: A camera or lens serial number in a photo's metadata."""

from __future__ import annotations

from auditor.checks._check import Check, obj, string

CHECK = Check(
    id="device_serial",
    name="Camera serial number",
    stage="analysis",
    severities=("medium",),
    severity_rule="medium",
    means="The file carries the serial number of the camera or lens.",
    why="It links every photo taken with that camera, across websites and years.",
    reliability="Exact: read from the file, including makers' private notes.",
    fix="Strip metadata before publishing.",
    evidence={"fields": obj(string(), "field -> serial number")},
)
