"""The check registry is the one place a check is declared: the analysis stage, the crawl-level checks, the report,
the JSON Schema and the README all follow it (this test fails when one of them drifts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor import passes as run
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


def test_a_new_check_is_its_module_alone(tmp_path: Path, monkeypatch: Any) -> None:
    """What adding ``auditor/checks/huge_file.py`` does, without writing into the package: the stage calls its hook,
    the schema generated from the registry accepts its findings, the report gives it a section by its name."""
    import dataclasses

    from click.testing import CliRunner

    from auditor import checks
    from auditor import passes as stage
    from auditor.cli import main
    from auditor.models import Finding
    from auditor.passes import documents, people, videos
    from auditor.passes import images as image_pass
    from auditor.report import findings_json, views
    from tests.analyze import images

    def find(subject: Any, meta: Any, context: Any) -> list[Finding]:
        if meta.width * meta.height < 10_000:
            return []
        return [
            Finding(
                subject.finding_id("huge_file"),
                "huge_file",
                "low",
                "A large picture",
                subject.url,
                subject.page,
                {"pixels": meta.width * meta.height},
                "Publish a smaller copy.",
            )
        ]

    template = REGISTRY["gps_location"]
    new = dataclasses.replace(
        template,
        id="huge_file",
        order=999,
        name="Large pictures",
        severities=("low",),
        evidence={"pixels": {"type": "integer"}},
        name_fields=(),
        image=find,
        verify=None,
        device_words=None,
    )
    registry = {**REGISTRY, "huge_file": new}
    for module in (checks, views, stage, image_pass, documents, videos, people):
        monkeypatch.setattr(module, "REGISTRY", registry, raising=False)
    monkeypatch.setattr(stage, "CHECKS", (*stage.CHECKS, "huge_file"))
    shipped = json.loads(json.dumps(findings_json.schema()))
    monkeypatch.setattr(checks, "ids", lambda stage=None: tuple(registry))
    monkeypatch.setattr(findings_json, "schema", lambda: apply_to_schema(json.loads(json.dumps(shipped))))
    findings_json._validator.cache_clear()
    try:
        folder = tmp_path / "in"
        folder.mkdir()
        (folder / "big.png").write_bytes(images.save(images.scene(320, 240), "PNG"))
        result = CliRunner().invoke(main, ["check", str(folder), "--out", str(tmp_path / "o")])
        assert result.exit_code == 0, result.output
        document = json.loads((tmp_path / "o" / "findings.json").read_text())
        assert [f["check"] for f in document["findings"]] == ["huge_file"]
        assert 'id="check-huge_file"' in (tmp_path / "o" / "report.html").read_text()
    finally:
        findings_json._validator.cache_clear()
