"""The wheel carries the templates, the JSON Schema, the catalogues and the demo site, and ``auditor demo`` works
from the installed wheel in a directory that is not the checkout."""

from __future__ import annotations

import ast
import contextlib
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import png_bytes

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


def _requirement_names(requirements: list[str]) -> list[str]:
    """Distribution names of requirements that a plain install brings (those behind an ``extra ==`` marker are not)."""
    names = []
    for requirement in requirements:
        if re.search(r"extra\s*==", requirement):
            continue
        if found := re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement):
            names.append(_canonical(found.group(1)))
    return names


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _unguarded_imports(tree: ast.AST) -> list[tuple[str, int]]:
    """Top-level module names imported anywhere in a file (in functions too), except under ``try``/``except
    ImportError``, which is how the code marks an optional package."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            h.type is not None and "ImportError" in ast.unparse(h.type) for h in node.handlers
        ):
            guarded |= {id(s) for part in node.body for s in ast.walk(part)}
    found = []
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def test_every_package_the_code_imports_is_a_declared_dependency() -> None:
    """README command 1 is a plain ``pip install .``: whatever ``auditor/`` imports outside an ``except ImportError``
    guard must come with ``[project].dependencies`` (directly or through them), not only with the test extras, as
    ``onnx`` once did (every scan of a plain install crashed)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = {n for reqs in project["optional-dependencies"].values() for n in _requirement_names(reqs)}
    plain, todo = set(), _requirement_names(project["dependencies"])
    while todo:
        name = todo.pop()
        if name not in plain:
            plain.add(name)
            with contextlib.suppress(metadata.PackageNotFoundError):
                todo += _requirement_names(metadata.requires(name) or [])
    providers = {module: {_canonical(d) for d in dists} for module, dists in metadata.packages_distributions().items()}
    missing = []
    for path in sorted((REPO / "auditor").rglob("*.py")):
        for module, line in _unguarded_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module in sys.stdlib_module_names or module == "auditor":
                continue
            dists = providers.get(module, set())
            optional = dists & extras and not dists & plain  # an extra's own module (ray, insightface)
            if not dists & plain and not optional:
                missing.append(f"{module} ({', '.join(sorted(dists)) or 'not installed'}) at {path.name}:{line}")
    assert not missing, "imported but not brought by a plain install: " + "; ".join(missing)


def test_a_missing_package_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """A broken installation (here: ``onnx`` cannot be imported, and no prepared graph is cached) ends a check with
    the documented exit status 2 and one line naming the package, never a traceback with exit 1 (which a scheduled
    run reads as "a finding")."""
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes())
    code = "import sys; sys.modules['onnx'] = None; from auditor.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "check", str(photo), "--out", str(tmp_path / "out"), "--no-state"],
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "empty-cache")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "'onnx'" in lines[-1] and "reinstall" in lines[-1]
