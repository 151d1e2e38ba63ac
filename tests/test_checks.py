"""The check registry is the one place a check is declared: the analysis stage, the crawl-level checks, the report,
the JSON Schema and the README all follow it (this test fails when one of them drifts)."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.analyze import run
from auditor.checks import REGISTRY, apply_to_schema, ids, readme_table
from auditor.report.findings_json import schema
from auditor.report.masking import known_names

REPO = Path(__file__).resolve().parent.parent


def test_every_check_finds_through_exactly_one_hook() -> None:
    """A check is wired by its module alone: the stages call every registered check's hook."""
    for check in REGISTRY.values():
        assert len(check.hooks) == 1, (check.id, check.hooks)
        assert (check.hooks[0] == "site") == (check.stage == "crawl"), check.id


def test_every_stage_records_exactly_the_registered_checks() -> None:
    assert set(run.CHECKS) == set(ids("analysis"))
    assert {c.id for c in REGISTRY.values() if c.site is not None} == set(ids("crawl"))
    assert len(REGISTRY) == len(ids()) == len(set(ids()))


def test_the_shipped_schema_is_the_registrys() -> None:
    shipped = schema()
    assert apply_to_schema(json.loads(json.dumps(shipped))) == shipped, "run: python -m auditor.checks"


def test_the_readme_table_is_the_registrys() -> None:
    assert readme_table() in (REPO / "README.md").read_text(), "run: python -m auditor.checks, paste the table"


def test_every_check_explains_itself_and_declares_its_evidence() -> None:
    for check in REGISTRY.values():
        assert check.name and check.means and check.why and check.reliability and check.fix, check.id
        assert check.severities and check.evidence, check.id
        assert set(check.name_fields) <= set(check.evidence), check.id


def test_names_are_collected_from_the_declared_fields() -> None:
    document = {
        "findings": [
            {"check": "person_name_metadata", "evidence": {"fields": {"EXIF:Artist": "Jo Bloggs"}}},
            {
                "check": "name_near_photo",
                "evidence": {"names": ["Mary Jones"], "matches": [{"text": "Mary Jones wins"}]},
            },
            {"check": "gps_location", "evidence": {"field": "EXIF:GPS"}},
        ]
    }
    assert known_names(document) == ["Jo Bloggs", "Mary Jones"]
