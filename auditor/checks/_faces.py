"""What the face checks say about one face: its identifiability band and its evidence (boxes, sizes and the age
estimate; never a crop or an embedding)."""

from __future__ import annotations

from typing import Any

from auditor.models import Face


def iod_band(iod: float) -> str:
    """Identifiability from the distance between the eyes: < 30 px low, 30-59 medium, >= 60 high, >= 200 very high
    (tools that clone a face from one photo need about a 128 px face crop)."""
    return "very_high" if iod >= 200 else "high" if iod >= 60 else "medium" if iod >= 30 else "low"


def face_evidence(face: Face) -> dict[str, Any]:
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
