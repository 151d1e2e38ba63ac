"""DNS rebinding: a name is looked up once, checked, and connected to at the address that was checked, by httpx and
by the browser. Run for real in a network namespace of its own (``unshare -rnm``: loopback only, its own
resolv.conf), with a DNS server whose answer for a photo host moves from a public-looking address to an office
router's (TTL 0), as an independent probe of the project did (see ``tests/netns/rebinding.py``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.crawl.render import find_browser

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _namespaces() -> str | None:
    """Why the namespace cannot be made here, or ``None`` when it can."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs util-linux's unshare and iproute2's ip"
    probe = subprocess.run(["unshare", "-rnm", "true"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"unshare -rnm is not allowed here ({probe.stderr.strip()})"


@pytest.mark.skipif(_namespaces() is not None, reason=str(_namespaces()))
@pytest.mark.parametrize("render", ["never", "always"])
def test_a_moving_dns_answer_never_reaches_the_private_address(render: str, tmp_path: Path) -> None:
    browser = find_browser(None)
    if render == "always" and browser is None:
        pytest.skip("no Chromium found (install Debian's chromium); .ci/run installs it")
    options = ["--render", "always", "--browser", str(browser)] if render == "always" else ["--render", "never"]
    result = subprocess.run(
        ["unshare", "-rnm", sys.executable, str(HERE / "netns" / "rebinding.py"), str(tmp_path / "out"), *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["exit"] == 0, seen["stderr"]
    # The router's address was answered to every lookup after the first; nothing ever connected to it.
    assert seen["hits"]["10.0.0.1"] == []
    assert "photos.test /p.jpg" in seen["hits"]["93.184.216.35"]
    assert seen["dns_queries"] == 1  # looked up once for the whole scan, browser included
    assert seen["fetched"] == ["http://photos.test/p.jpg"] and seen["errors"] == []
