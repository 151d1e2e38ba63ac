"""``auditor.toml`` (issue 15): the file's values are the options' defaults, flags override them, ``scan`` with no
URL audits the file's seeds, ``--exclude`` keeps pages out of the crawl, and ``[checks.ID]`` sets a check's
severity or keeps it out of the gates; a mistake in the file is an error naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import main
from tests.analyze import images
from tests.server import Route, Site


def _site() -> Site:
    page = "<a href='/calendar/june.html'>June</a><a href='/news.html'>News</a>"
    return Site(
        {
            "/": Route(page),
            "/news.html": Route("<img src='/trip.jpg'>"),
            "/calendar/june.html": Route("<img src='/june.jpg'>"),
            "/trip.jpg": Route(images.jpeg(lat=51.5007, lon=-0.1246), content_type="image/jpeg"),
            "/june.jpg": Route(images.jpeg(), content_type="image/jpeg"),
            "/robots.txt": Route("", status=404),
        }
    )


def _document(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "findings.json").read_text())
    return data


def test_the_settings_file_drives_a_scan_and_flags_override_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site()
    with site.serve() as base:
        (tmp_path / "auditor.toml").write_text(
            f'seeds = ["{base}/"]\nout = "audit"\nno-state = true\nrender = "never"\nrate = 200\n'
            'max-pages = 1\nexclude = ["*/calendar/*"]\nfail-on = "low"\n\n'
            '[checks.gps_location]\nseverity = "medium"\n\n[checks.ai_training_not_reserved]\ngate = false\n'
        )
        monkeypatch.chdir(tmp_path)  # found in the working folder, as a school's script would run it
        result = CliRunner().invoke(main, ["scan", "--max-pages", "5"])
    document = _document(tmp_path / "audit")
    assert document["scan"]["config"]["max_pages"] == 5  # the flag won over the file's 1
    assert site.hits["/calendar/june.html"] == 0 and site.hits["/news.html"] == 1  # excluded, and not
    gps = next(f for f in document["findings"] if f["check"] == "gps_location")
    assert gps["severity"] == "medium" and gps["original_severity"] == "critical"
    # fail-on low: the GPS finding (medium) fails the gate; the AI-reservation finding alone would not.
    assert result.exit_code == 1, result.output
    assert any(f["check"] == "ai_training_not_reserved" for f in document["findings"])


def test_a_check_kept_out_of_the_gates_does_not_fail_them(tmp_path: Path) -> None:
    site = Site({"/": Route("<p>No photos</p>"), "/robots.txt": Route("", status=404)})
    settings = tmp_path / "settings.toml"
    settings.write_text("[checks.ai_training_not_reserved]\ngate = false\n")
    with site.serve() as base:
        args = ["scan", base + "/", "--out", str(tmp_path / "o"), "--no-state", "--render", "never", "--fail-on", "low"]
        plain = CliRunner().invoke(main, args)
        kept_out = CliRunner().invoke(main, ["--config", str(settings), *args])
    assert plain.exit_code == 1 and kept_out.exit_code == 0, kept_out.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max-pagez = 3\n", "unknown setting max_pagez"),
        ("[checks.no_such_check]\ngate = false\n", "no such check"),
        ('[checks.gps_location]\nseverity = "extreme"\n', "severity must be one of"),
        ("max-pages = [", "not a readable settings file"),
        ("fail_on_neww = 'high'\n", "unknown setting fail_on_neww: did you mean fail_on_new?"),
        ("[checks.gps_locaton]\ngate = false\n", "gps_locaton: did you mean gps_location?"),
    ],
)
def test_a_mistake_in_the_settings_file_is_an_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    settings = tmp_path / "auditor.toml"
    settings.write_text(text)
    result = CliRunner().invoke(main, ["--config", str(settings), "check", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and message in result.output and "auditor.toml" in result.output


def test_pyproject_tool_auditor_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.auditor]\nmax-pagez = 1\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "pyproject.toml: unknown setting max_pagez" in result.output


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ('[[site]]\nname = "hill"\nseeds = ["--no-state"]\n', "'--no-state' is not a web address"),
        ('[[site]]\nname = "hill"\nseeds = ["--out=/tmp/x"]\n', "is not a web address"),
        ('[[site]]\nname = "a\\n"\nseeds = ["https://a.example/"]\n', "site 1: give each site a name"),
        (
            '[[site]]\nname = "Hill"\nseeds = ["https://a.example/"]\n[[site]]\nname = "hill"\nseeds = ["https://b.example/"]\n',
            "site 2: give each site a name",
        ),
    ],
)
def test_a_sites_file_that_could_pass_an_option_or_collide_is_refused(
    tmp_path: Path, tables: str, message: str
) -> None:
    """A seed starting with "-" was handed to auditor scan as an option; "a\\n" passed as a name; "Hill" and
    "hill" were two sites in one folder on a case-insensitive disk. Each is refused before anything runs."""
    sites = tmp_path / "sites.toml"
    sites.write_text(tables)
    result = CliRunner().invoke(main, ["fleet", str(sites), "--out", str(tmp_path / "fleet")])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "fleet" / "fleet-state.json").exists()
