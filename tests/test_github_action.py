"""The GitHub Action (``action.yml``): its file and the example workflow validate against the schemas the
registries' ``check-jsonschema`` ships (GitHub's own action and workflow schemas, from schemastore), and its two
shell steps run for real on a throw-away repository with two commits: the changed photo is found, checked, and
the job's status and the SARIF file say so, with the photo located by its repository path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.analyze import images

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("path", "schema"), [("action.yml", "github-actions"), ("docs/github-workflow.yml", "github-workflows")]
)
def test_the_action_and_the_example_workflow_are_valid(path: str, schema: str) -> None:
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    if not Path(tool).exists():
        pytest.skip("check-jsonschema is not installed (pip install 'exposure-auditor[test]')")
    done = subprocess.run(
        [tool, "--builtin-schema", f"vendor.{schema}", str(REPO / path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _step(name: str) -> tuple[str, dict[str, str]]:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    (step,) = [s for s in action["runs"]["steps"] if s.get("name") == name]
    return step["run"], step.get("env", {})


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash")
def test_the_actions_steps_check_the_files_a_push_changed(tmp_path: Path) -> None:
    repo, temp = tmp_path / "site", tmp_path / "runner-temp"
    repo.mkdir()
    temp.mkdir()
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "RUNNER_TEMP": str(temp),
    }

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout

    git("init", "-q")
    (repo / "photos").mkdir()
    (repo / "photos" / "old.jpg").write_bytes(images.jpeg(lat=48.85, lon=2.35))  # already published, not changed
    git("add", "-A")
    git("commit", "-q", "-m", "first")
    before = git("rev-parse", "HEAD").strip()
    (repo / "photos" / "-trip.jpg").write_bytes(images.jpeg(lat=51.5014, lon=-0.1419))  # a name that reads as a flag
    (repo / "notes.txt").write_text("not a photo")
    git("add", "-A")
    git("commit", "-q", "-m", "trip")
    after = git("rev-parse", "HEAD").strip()

    outputs = tmp_path / "files-output"
    script, _ = _step("Find the changed files")
    step_env = {**env, "PATHS": "", "BASE": before, "HEAD_SHA": after, "GITHUB_OUTPUT": str(outputs)}
    subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=step_env, check=True, timeout=60)
    found = _outputs(outputs)
    assert found["count"] == "1" and Path(found["list"]).read_text().split() == ["photos/-trip.jpg"]

    outputs = tmp_path / "check-output"
    script, _ = _step("Check them")
    step_env = {**env, "FAIL_ON": "high", "LIST": found["list"], "GITHUB_OUTPUT": str(outputs)}
    subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=step_env, check=True, timeout=600)
    checked = _outputs(outputs)
    assert checked["status"] == "1"  # a finding at or above high: the last step fails the job
    run = json.loads(Path(checked["sarif"]).read_text())["runs"][0]
    places = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert places == {"photos/-trip.jpg"}
