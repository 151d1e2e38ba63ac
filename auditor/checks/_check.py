"""What a check declares about itself: the one place a newcomer edits to add or change a check's contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from auditor.models import Finding, Severity

if TYPE_CHECKING:
    from auditor.store import Store

Stage = Literal["analysis", "crawl"]


def string(nullable: bool = False, description: str = "") -> dict[str, Any]:
    return _typed("string", nullable, description)


def integer(nullable: bool = False, description: str = "") -> dict[str, Any]:
    return _typed("integer", nullable, description)


def number(nullable: bool = False, description: str = "") -> dict[str, Any]:
    return _typed("number", nullable, description)


def boolean(description: str = "") -> dict[str, Any]:
    return _typed("boolean", False, description)


def array(items: dict[str, Any] | None = None, description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array", "items": items or {}}
    return {**out, "description": description} if description else out


def obj(values: dict[str, Any] | None = None, description: str = "") -> dict[str, Any]:
    """An object whose keys are free (field names) and whose values are all ``values``."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": values or {}}
    return {**out, "description": description} if description else out


def _typed(kind: str, nullable: bool, description: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": [kind, "null"] if nullable else kind}
    return {**out, "description": description} if description else out


# One face in a face finding's evidence (boxes, sizes and the age estimate; never a crop or an embedding).
FACE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "class": string(description="likely_child, possible_minor, adult or uncertain (too small to judge)"),
        "age_estimate": number(nullable=True),
        "p_under_18": number(nullable=True),
        "iod_px": number(description="distance between the eyes, in pixels"),
        "identifiability": string(description="low, medium, high or very_high, from the eye distance"),
        "pose": string(),
        "box": array(integer(), "x, y, width, height in the upright picture"),
        "detector_score": number(),
    },
}

# Evidence fields the analysis stage may add to any finding about an image it groups (see auditor/analyze/run.py).
COMMON_EVIDENCE: dict[str, dict[str, Any]] = {
    "also_at": array(string(), "other URLs serving the same file (the finding is reported once, on the first)"),
}


@dataclass(frozen=True, slots=True)
class Check:
    """A check's id (in ``findings.json``), its name and the report's four explanations, the severities it can
    give, the stage that runs it, its evidence fields (JSON Schema fragments, written into the schema), and which
    of them hold people's names (masked in the report even where the text-wide masking would miss them)."""

    id: str
    name: str
    stage: Stage
    severities: tuple[Severity, ...]
    severity_rule: str  # for the README's table
    means: str
    why: str
    reliability: str
    fix: str
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    name_fields: tuple[str, ...] = ()
    # How the check finds its exposures: one of the stages' hooks (see auditor/analyze/run.py and site.py).
    site: Callable[[Store], list[Finding]] | None = None  # crawl level, over the whole store

    def evidence_schema(self) -> dict[str, Any]:
        """The JSON Schema of this check's ``evidence`` object (every field optional: older scans lack some)."""
        return {"type": "object", "properties": {**self.evidence, **COMMON_EVIDENCE}}
