"""``identifiable_face``: Faces large enough to recognise, whatever the age."""

from __future__ import annotations

from auditor.checks._check import FACE, Check, FaceContext, array, integer, number, string
from auditor.checks._faces import face_evidence, iod_band
from auditor.models import Face, Finding, Subject


def find(subject: Subject, faces: list[Face], context: FaceContext) -> list[Finding]:
    identifiable = [f for f in faces if f.iod >= 30]
    if not identifiable:
        return []
    best = max(identifiable, key=lambda f: f.iod)
    band = iod_band(best.iod)
    return [
        subject.finding(
            "identifiable_face",
            "high" if band in ("high", "very_high") else "medium",
            (f"{len(identifiable)} faces" if len(identifiable) > 1 else "A face")
            + f" at recognition grade (largest: {band.replace('_', ' ')})",
            {
                "faces_in_image": len(faces),
                "identifiable": len(identifiable),
                "largest_iod_px": round(best.iod, 1),
                "faces": [face_evidence(f) for f in identifiable],
            },
            "Faces this large can be recognised or used to make new images of the person. Publish a smaller copy "
            "(auditor fix --max-face-iod 30) or choose a photo where faces are not the subject.",
        )
    ]


CHECK = Check(
    id="identifiable_face",
    order=20,
    name="Faces large enough to recognise",
    stage="analysis",
    severities=("high", "medium"),
    severity_rule=(
        "medium when the largest face's IOD is 30-59 px, high from 60 px (faces under 30 px are not reported)"
    ),
    means=(
        "A face is large and sharp enough (distance between the eyes in pixels) for recognition or for tools "
        "that make new images of a person from one photo."
    ),
    why="Face-swap and 'nudify' tools need only one clear face; recognition links a face to other photos.",
    reliability=(
        "Face detection misses some small or turned faces (about 1 in 5 faces of 32 px or more in crowded "
        "photos); found faces are measured precisely."
    ),
    fix="Publish smaller copies, or photos where faces are not the subject.",
    evidence={
        "faces_in_image": integer(),
        "identifiable": integer(),
        "largest_iod_px": number(),
        "faces": array(FACE),
        "smaller_copies": array(string()),
    },
    faces=find,
    about_faces=True,
)
