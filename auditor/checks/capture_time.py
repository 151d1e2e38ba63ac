"""``capture_time``: when a photo of a possible minor was taken, to the minute, in its metadata.

A date and time of day beside a child's recognisable face tells a stranger when that child is somewhere: the
Tuesday 17:10 of a club's training, the morning drop-off. With a GPS position it is a timetable of where to find
them. Cameras and phones write it into every photo (EXIF ``DateTimeOriginal``, XMP ``DateCreated``), so this check
only speaks where it matters: a time of day (not a date alone) on a photo whose possible minor is recognisable
(30 px or more between the eyes). Low severity: the remedy is the same as for every metadata leak (strip it), and
the face findings on the photo already carry the weight.

This check is the design issue's worked example of adding a check: this file and its test, nothing else.
"""

from __future__ import annotations

import re

from auditor.analyze.metadata import ImageMetadata
from auditor.checks._check import Check, FaceContext, boolean, integer, number, string
from auditor.models import MINOR_CLASSES, Face, Finding, Subject

RECOGNISABLE_IOD = 30.0  # the same line as identifiable_face
# "2024:05:14 17:10:32", "2024-05-14T17:10", with or without seconds and a time zone: a date with a time of day.
_WITH_TIME = re.compile(r"^(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2})")


def find(subject: Subject, faces: list[Face], context: FaceContext) -> list[Finding]:
    meta = context.metadata
    taken = meta.date_taken if meta is not None else None
    match = _WITH_TIME.match(taken.strip()) if taken else None
    minors = [f for f in faces if f.triage in MINOR_CLASSES and f.iod >= RECOGNISABLE_IOD]
    if match is None or not minors or match.group(1) == "0000":
        return []
    with_place = meta is not None and meta.gps is not None
    return [
        subject.finding(
            "capture_time",
            "low",
            "When the photo of a possible minor was taken, to the minute" + (", with where" if with_place else ""),
            {
                "taken": taken,
                "with_gps": with_place,
                "possible_minors": len(minors),
                "largest_iod_px": round(max(f.iod for f in minors), 1),
            },
            "Strip metadata before publishing (auditor fix): the time a child was photographed tells a stranger "
            "when they are there.",
        )
    ]


def remains(meta: ImageMetadata, given: frozenset[str]) -> bool:
    """A safe copy still says when it was taken, to the minute."""
    return bool(meta.date_taken and _WITH_TIME.match(meta.date_taken.strip()))


CHECK = Check(
    id="capture_time",
    order=65,
    name="When a photo of a child was taken",
    stage="analysis",
    severities=("low",),
    severity_rule="low (a time of day with a recognisable possible minor)",
    means="The file says the date and time of day it was taken, and it shows a possible minor's face.",
    why="It tells a stranger when a child is somewhere; with a GPS position, where and when to find them.",
    reliability="Exact for the time read from the file; the face part is as reliable as the face checks.",
    fix="Strip metadata before publishing.",
    evidence={
        "taken": string(description="the capture time as the file gives it"),
        "with_gps": boolean("the file also gives a GPS position (see gps_location)"),
        "possible_minors": integer(description="recognisable faces (30 px or more) that look like possible minors"),
        "largest_iod_px": number(),
    },
    faces=find,
    verify=remains,
    about_faces=True,
)
