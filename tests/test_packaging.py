"""The wheel carries the templates, the JSON Schema, the catalogues and the demo site, and ``auditor demo`` works
from the installed wheel in a directory that is not the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    try:
        from hatchling.builders.wheel import WheelBuilder
    except ImportError:
        pytest.skip("hatchling is not installed in this environment (pip install hatchling)")
    builder = WheelBuilder(str(REPO))
    return Path(next(iter(builder.build(directory=str(out), versions=["standard"]))))


def test_wheel_contains_the_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "auditor/_templates/report.html.j2",
        "auditor/schema/findings.schema.json",
        "auditor/data/share_providers.json",
        "auditor/data/ai_crawlers.json",
        "auditor/py.typed",
        "auditor/_demo_site/index.html",
        "auditor/_demo_site/assets/gallery.3f9c2a.js",
        "auditor/_demo_site/uploads/2024/05/sports-day-3.jpg",
    ):
        assert required in names, required


def test_demo_runs_from_the_installed_wheel_elsewhere(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "import auditor; print(auditor.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip().startswith(str(target))
    result = subprocess.run(
        [sys.executable, "-m", "auditor", "demo", "--render", "never"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (workdir / "auditor-demo" / "report.html").is_file()
