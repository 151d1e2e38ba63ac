"""``minor_face``: Faces that look like possible minors: what the product exists for."""

from __future__ import annotations

from auditor.analyze.face_checks import minor_face_findings
from auditor.analyze.metadata_checks import Subject
from auditor.checks._check import FACE, Check, FaceContext, array, boolean, integer, string
from auditor.models import Face, Finding


def find(subject: Subject, faces: list[Face], context: FaceContext) -> list[Finding]:
    return minor_face_findings(subject, faces, context.named, context.context)


CHECK = Check(
    id="minor_face",
    order=10,
    name="Faces that look like possible minors",
    stage="analysis",
    severities=("critical", "high", "medium", "low"),
    severity_rule=(
        "critical close-up or named frontal face, high, medium when every such face is small; low: on a school "
        "page, faces too small or turned to judge an age (possible pupils, not recognisable)"
    ),
    means=(
        "A face in the photo looks like it may belong to someone under 18 (an automatic age estimate), or, on a "
        "school page, a face is too small or turned for any age estimate and may be a pupil."
    ),
    why=(
        "Public photos of children are scraped to make AI-generated abuse imagery (IWF and police reports); "
        "UK ICO guidance asks schools to minimise identifiable images of pupils and to hold consent."
    ),
    reliability=(
        "Triage, not a verdict: tuned to catch about 97-99 % of under-18s, it also flags many young adults "
        "(and about 1 in 10 older adults). A person should review each one."
    ),
    fix="Check consent; prefer photos where children are not identifiable; publish small copies; never beside names.",
    evidence={
        "faces_in_image": integer(),
        "possible_minors": integer(),
        "likely_children": integer(),
        "unjudged_faces": integer(
            description="faces too small or turned to judge an age, counted on school pages only (possible pupils)"
        ),
        "named_on_page": boolean("a name_near_photo finding exists for this picture"),
        "context": string(description="school, staff or general: how generous the triage was"),
        "faces": array(FACE),
        "smaller_copies": array(string(), "smaller sizes of the same photo published on the site"),
    },
    faces=find,
)
