"""The checks: one module per check, each declaring a :class:`Check` (id, name, the report's explanations, the
severities it gives, the stage that runs it, its evidence fields, which of them hold names).

:data:`REGISTRY` lists them in the report's order (the product's reason to exist first). The analysis stage and the
crawl-level checks record only ids found here; the report's sections and explanations, the JSON Schema's check enum
and evidence types, and the README's check table are generated from (or tested against) it, so adding a check is
one module here, the code that finds it, and their tests.
"""

from __future__ import annotations

from typing import Any

from auditor.checks import (
    ai_training_not_reserved,
    device_serial,
    directory_listing,
    document_metadata,
    gps_location,
    identifiable_face,
    minor_face,
    name_near_photo,
    not_checked,
    oversized_image,
    person_name_metadata,
    public_share_link,
    thumbnail_mismatch,
)
from auditor.checks._check import Check

REGISTRY: dict[str, Check] = {
    module.CHECK.id: module.CHECK
    for module in (
        minor_face,
        identifiable_face,
        not_checked,
        gps_location,
        device_serial,
        person_name_metadata,
        thumbnail_mismatch,
        document_metadata,
        oversized_image,
        name_near_photo,
        public_share_link,
        directory_listing,
        ai_training_not_reserved,
    )
}


def ids(stage: str | None = None) -> tuple[str, ...]:
    """Check ids in report order, only ``stage``'s when given."""
    return tuple(c.id for c in REGISTRY.values() if stage is None or c.stage == stage)


__all__ = ["REGISTRY", "Check", "apply_to_schema", "ids", "readme_table"]


def apply_to_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (findings.json's) with the check enum, each check's severities and its typed evidence taken
    from the registry. ``python -m auditor.checks`` writes the result; a test keeps the shipped file in step."""
    finding = schema["properties"]["findings"]["items"]
    finding["properties"]["check"] = {"enum": list(ids())}
    finding["allOf"] = [
        {
            "if": {"properties": {"check": {"const": c.id}}},
            "then": {"properties": {"severity": {"enum": list(c.severities)}, "evidence": c.evidence_schema()}},
        }
        for c in REGISTRY.values()
    ]
    return schema


def readme_table() -> str:
    """The README's check table (ids, stage, severities, evidence fields), generated from the registry."""
    rows = ["| check id | emitted by | severity | evidence |", "|---|---|---|---|"]
    for c in REGISTRY.values():
        fields = ", ".join(c.evidence)
        rows.append(f"| `{c.id}` | {c.stage} | {c.severity_rule} | {fields} |")
    return "\n".join(rows)
