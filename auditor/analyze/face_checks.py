"""``minor_face`` and ``identifiable_face``: what the product exists for.

Wording is triage, never a verdict: a face "looks like a possible minor". Severity combines how young the faces
look, how identifiable they are (inter-ocular distance bands: < 30 px low, 30-59 medium, >= 60 high, >= 200 very
high; tools that clone a face from one photo need about a 128 px face crop), whether they are frontal, whether the
photo is a close-up of one person rather than a crowd, and whether the page names someone beside it.
"""

from __future__ import annotations

from typing import Any

from auditor.analyze.metadata_checks import Subject
from auditor.models import Face, Finding, Severity

MINOR_CLASSES = ("likely_child", "possible_minor")


def iod_band(iod: float) -> str:
    return "very_high" if iod >= 200 else "high" if iod >= 60 else "medium" if iod >= 30 else "low"


def _face_evidence(face: Face) -> dict[str, Any]:
    return {
        "class": face.triage,
        "age_estimate": None if face.age is None else round(face.age, 1),
        "p_under_18": None if face.p_under_18 is None else round(face.p_under_18, 3),
        "iod_px": round(face.iod, 1),
        "identifiability": iod_band(face.iod),
        "pose": face.pose,
        "box": list(face.box),
        "detector_score": round(face.score, 3),
        "person": face.person,
    }


def minor_face_findings(subject: Subject, faces: list[Face], named: bool, context: str) -> list[Finding]:
    """Faces that look like possible minors. In a school context, faces the age network cannot judge (too small,
    or turned and reading old) are possible pupils too: not recognisable, so low, but never "nobody here"."""
    minors = [f for f in faces if f.triage in MINOR_CLASSES]
    unjudged = [f for f in faces if f.triage == "uncertain"] if context == "school" else []
    if not minors and not unjudged:
        return []
    children = sum(f.triage == "likely_child" for f in minors)
    close_up = False
    severity: Severity = "low"
    if minors:
        best = max(minors, key=lambda f: f.iod)
        close_up = len(faces) <= 2 and best.iod >= 60
        severity = "high"
        if best.iod >= 60 and best.pose == "frontal" and (named or close_up):
            severity = "critical"
        elif best.iod < 30:
            severity = "medium"
        title = (
            f"{len(minors)} faces that look like possible minors"
            if len(minors) > 1
            else "A face that looks like a possible minor"
        ) + (" (a close-up)" if close_up else "")
    else:
        count = len(unjudged)
        title = (
            f"{count} faces too small or turned to judge an age, on a school page"
            if count > 1
            else "A face too small or turned to judge an age, on a school page"
        )
    return [
        Finding(
            subject.finding_id("minor_face"),
            "minor_face",
            severity,
            title,
            subject.url,
            subject.page,
            {
                "faces_in_image": len(faces),
                "possible_minors": len(minors),
                "likely_children": children,
                "unjudged_faces": len(unjudged),
                "named_on_page": named,
                "context": context,
                "faces": [_face_evidence(f) for f in minors or unjudged],
            },
            "Check consent for every child shown. Prefer photos where children are not identifiable (backs, "
            "distance, groups), publish them small, and never beside their names. `auditor fix --blur minors` "
            "can blur the faces in a copy.",
        )
    ]


def identifiable_face_findings(subject: Subject, faces: list[Face]) -> list[Finding]:
    identifiable = [f for f in faces if f.iod >= 30]
    if not identifiable:
        return []
    best = max(identifiable, key=lambda f: f.iod)
    band = iod_band(best.iod)
    return [
        Finding(
            subject.finding_id("identifiable_face"),
            "identifiable_face",
            "high" if band in ("high", "very_high") else "medium",
            (f"{len(identifiable)} faces" if len(identifiable) > 1 else "A face")
            + f" at recognition grade (largest: {band.replace('_', ' ')})",
            subject.url,
            subject.page,
            {
                "faces_in_image": len(faces),
                "identifiable": len(identifiable),
                "largest_iod_px": round(best.iod, 1),
                "faces": [_face_evidence(f) for f in identifiable],
            },
            "Faces this large can be recognised or used to make new images of the person. Publish a smaller copy "
            "(auditor fix --max-face-iod 30) or choose a photo where faces are not the subject.",
        )
    ]
