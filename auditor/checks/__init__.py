"""The checks: one module per check, each declaring a :class:`Check` (id, name, the report's explanations, the
severities it gives, the stage that runs it, its evidence fields, which of them hold names).

:data:`REGISTRY` lists them in the report's order (the product's reason to exist first). The analysis stage and the
crawl-level checks record only ids found here; the report's sections and explanations, the JSON Schema's check enum
and evidence types, and the README's check table are generated from (or tested against) it, so adding a check is
one module here, the code that finds it, and their tests.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from auditor.checks._check import Check


def _discover() -> dict[str, Check]:
    """Every module of this package that declares a ``CHECK``, in report order: adding a check is adding one."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            if isinstance(getattr(module, "CHECK", None), Check):
                found.append(module.CHECK)
    return {c.id: c for c in sorted(found, key=lambda c: (c.order, c.id))}


REGISTRY: dict[str, Check] = _discover()


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
