"""The pre-commit hook (``.pre-commit-hooks.yaml``) in a throw-away repository, run by the real pre-commit
framework: a commit of a photo with GPS is refused with the finding in plain words; the same photo after
``auditor fix`` is committed. The hook is installed as ``language: system`` here (the auditor of this test's
environment): its ``language: python`` install is pip's, which needs the package index; what is tested is the
hook's entry, file choice and verdicts, from the shipped file itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.analyze import images

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_a_commit_of_a_photo_with_gps_is_refused_and_its_safe_copy_is_committed(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install 'exposure-auditor[test]')")
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["language"] == "python" and hook["entry"].startswith("auditor ")
    local = {**hook, "language": "system", "entry": f"{Path(sys.executable).parent / 'auditor'} pre-commit"}
    local.pop("minimum_pre_commit_version", None)
    repo = tmp_path / "site"
    repo.mkdir()
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # no user git settings, and pre-commit's cache in the test's folder
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    assert _git(repo, "init", "-q", env=env).returncode == 0
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    (repo / "index.html").write_text("<img src='photos/trip.jpg'>")
    (repo / "photos").mkdir()
    (repo / "photos" / "trip.jpg").write_bytes(images.jpeg(lat=51.5014, lon=-0.1419))
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr
    _git(repo, "add", "-A", env=env)
    refused = _git(repo, "commit", "-q", "-m", "trip photos", env=env)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    said = refused.stdout + refused.stderr
    assert "critical photos/trip.jpg: GPS position in the photo" in said and "auditor fix" in said
    assert _git(repo, "rev-parse", "HEAD", env=env).returncode != 0  # nothing was committed

    fixed = subprocess.run(
        [sys.executable, "-m", "auditor", "fix", "photos", "--out", str(tmp_path / "safe")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert fixed.returncode == 0, fixed.stderr
    shutil.copy(tmp_path / "safe" / "trip.jpg", repo / "photos" / "trip.jpg")
    _git(repo, "add", "-A", env=env)
    accepted = _git(repo, "commit", "-q", "-m", "trip photos, safe copies", env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "photos/trip.jpg" in _git(repo, "ls-files", env=env).stdout
