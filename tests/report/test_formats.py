"""``--format json|sarif|junit`` on standard output for CI, ``--quiet``, and log lines that say when and which
site (issue 15's CI-friendly output)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image

from auditor.checks import REGISTRY
from auditor.cli import main
from tests.analyze import images
from tests.server import Route, Site


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "trip.jpg").write_bytes(images.jpeg(lat=51.5007, lon=-0.1246, serial="SN-77"))
    (folder / "visitor.jpg").write_bytes(images.save(Image.fromarray(skimage.data.astronaut()), "JPEG"))
    return folder


def test_sarif_on_stdout_has_a_rule_per_check_and_a_result_per_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    args = ["check", str(folder), "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s")]
    result = CliRunner().invoke(main, [*args, "--format", "sarif", "--quiet"])
    sarif = json.loads(result.stdout)  # nothing else on stdout: the report: line went to stderr
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and [r["id"] for r in run["tool"]["driver"]["rules"]] == list(REGISTRY)
    assert len(run["results"]) == len(document["findings"])
    gps = next(r for r in run["results"] if r["ruleId"] == "gps_location")
    assert gps["level"] == "error" and gps["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "trip.jpg"
    )
    assert run["invocations"][0]["executionSuccessful"] is True
    assert "report:" in result.stderr and "pages" not in result.stderr  # --quiet: no progress or summary

    # Run from the folder above (a repository's root in CI): the photo is located by its repository path.
    monkeypatch.chdir(tmp_path)
    local = json.loads(CliRunner().invoke(main, [*args, "--format", "sarif", "-q"]).stdout)["runs"][0]
    place = next(r for r in local["results"] if r["ruleId"] == "gps_location")["locations"][0]["physicalLocation"]
    assert place["artifactLocation"] == {"uri": "photos/trip.jpg", "uriBaseId": "%SRCROOT%"}
    assert local["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"

    gps_id = gps["partialFingerprints"]["exposureAuditorId"]
    CliRunner().invoke(main, ["accept", gps_id, "--reason", "consent on file", "--scan", str(tmp_path / "o")])
    again = json.loads(CliRunner().invoke(main, [*args, "--format", "sarif", "-q"]).stdout)
    suppressed = next(r for r in again["runs"][0]["results"] if r["ruleId"] == "gps_location")
    assert suppressed["suppressions"][0]["justification"].startswith("consent on file")


def test_junit_marks_each_check_with_open_findings_as_failed(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    result = CliRunner().invoke(
        main, ["check", str(folder), "--out", str(tmp_path / "o"), "--no-state", "--format", "junit", "-q"]
    )
    suite = ET.fromstring(result.stdout)
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    failing = {REGISTRY[f["check"]].name for f in document["findings"]}
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {c.name for c in REGISTRY.values()}
    assert {name for name, case in cases.items() if case.find("failure") is not None} == failing
    assert suite.get("failures") == str(len(failing)) and suite.get("errors") == "0"
    assert (
        json.loads(CliRunner().invoke(main, ["report", "--out", str(tmp_path / "o"), "--format", "json"]).stdout)[
            "findings"
        ]
        == document["findings"]
    )


def test_log_lines_carry_a_timestamp_and_the_site(tmp_path: Path) -> None:
    site = Site({"/": Route("<img src='/a.jpg'>"), "/a.jpg": Route(images.jpeg(), content_type="image/jpeg")})
    with site.serve() as base:
        args = ["scan", base + "/", "--out", str(tmp_path / "o"), "--no-state", "--render", "never", "--verbose"]
        result = CliRunner().invoke(main, args)
    host = base.split("://", 1)[1]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    logged = [line for line in lines if re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", line)]
    assert logged and all(host in line for line in logged)


def test_the_cli_offers_exactly_the_registered_formats(tmp_path: Path) -> None:
    """Formats are a registry (one module each): the CLI's choices and help come from it, never a second list."""
    from auditor.report.formats import REGISTRY

    assert set(REGISTRY) == {"json", "sarif", "junit"}
    refused = CliRunner().invoke(main, ["report", "--out", str(tmp_path), "--format", "csv"])
    assert refused.exit_code == 2 and all(f"'{name}'" in refused.output for name in REGISTRY)
    shown = " ".join(CliRunner().invoke(main, ["scan", "--help"]).output.split())
    assert all(f"{f.name}: {f.help}" in shown for f in REGISTRY.values())
