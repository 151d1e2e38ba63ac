"""``training_allowed``: a photo with a recognisable face whose own metadata says AI training is allowed.

A reservation stops no scraper, so a photo without one is not a finding by itself (``ai_training_not_reserved``
speaks for the whole site). A photo that *grants* permission is different: a C2PA training-and-mining assertion or
a PLUS ``DataMining`` value of "allowed", left by a camera app, an editor or a stock workflow, tells every
reputable trainer that this child's face may be used. That is something the school can change, so it is reported.
"""

from __future__ import annotations

from auditor.checks._check import Check, FaceContext, integer, number, obj, string
from auditor.models import MINOR_CLASSES, Face, Finding, Subject

RECOGNISABLE_IOD = 30.0  # the same line as identifiable_face


def find(subject: Subject, faces: list[Face], context: FaceContext) -> list[Finding]:
    if context.training != "allowed" or not faces:
        return []
    minors = [f for f in faces if f.triage in MINOR_CLASSES]
    largest = max(f.iod for f in faces)
    if not minors and largest < RECOGNISABLE_IOD:
        return []
    who = "a possible minor" if minors else "a recognisable face"
    return [
        Finding(
            subject.finding_id("training_allowed"),
            "training_allowed",
            "high" if minors else "medium",
            f"The photo's own metadata allows AI training, and it shows {who}",
            subject.url,
            subject.page,
            {
                "training": context.training,
                "sources": context.training_sources,
                "faces_in_image": len(faces),
                "possible_minors": len(minors),
                "largest_iod_px": round(largest, 1),
            },
            "Publish a copy whose metadata reserves AI training: `auditor fix` writes the reservation "
            "(IPTC/PLUS DataMining: prohibited) into every safe copy, and `--c2pa-sign` can replace the manifest. "
            "Then find the tool that wrote 'allowed' (camera app, editor, stock workflow) and change its setting.",
        )
    ]


CHECK = Check(
    id="training_allowed",
    order=125,
    name="Photo says AI training is allowed",
    stage="analysis",
    severities=("high", "medium"),
    severity_rule="high when a face looks like a possible minor, medium for another face of 30 px IOD or more",
    means="The photo's metadata (C2PA or IPTC/PLUS) tells AI trainers they may use it, and it shows a face.",
    why="Reputable trainers honour such a grant; a child's face should never carry one.",
    reliability="Exact for the metadata read; the face part is as reliable as the face checks.",
    fix="Publish a safe copy (auditor fix writes a reservation) and change the tool that wrote the grant.",
    evidence={
        "training": string(description="the permission read: allowed"),
        "sources": obj(string(), "where it was read (C2PA assertion and entry, or XMP:plus:DataMining) -> its value"),
        "faces_in_image": integer(),
        "possible_minors": integer(),
        "largest_iod_px": number(),
    },
    faces=find,
    about_faces=True,
)
