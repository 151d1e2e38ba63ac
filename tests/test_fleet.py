"""``auditor fleet`` on a real local Ray (2 CPUs): three loopback sites, one unreachable and one slow; each site's
findings equal a plain ``auditor scan`` of it; the dashboard's numbers match; a driver killed mid-run is re-run
with the same command and finishes without redoing finished sites."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.fleet.dashboard import schema
from tests.analyze import images
from tests.server import Route, Site

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'exposure-auditor[fleet]')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _site(delay: float = 0.0) -> Site:
    page = "<img src='/trip.jpg'><a href='/more.html'>more</a>"
    return Site(
        {
            "/": Route(page, delay=delay),
            "/more.html": Route("<img src='/other.jpg'>", delay=delay),
            "/trip.jpg": Route(images.jpeg(lat=51.5, lon=-0.12), content_type="image/jpeg"),
            "/other.jpg": Route(images.jpeg(images.scene(seed=3)), content_type="image/jpeg"),
            "/robots.txt": Route("", status=404),
        }
    )


def _sites_file(path: Path, bases: dict[str, str]) -> Path:
    tables = "".join(
        f'[[site]]\nname = "{name}"\nseeds = ["{base}/"]\nrender = "never"\nrate = 200\nno-link-check = true\n\n'
        for name, base in bases.items()
    )
    path.write_text(tables)
    return path


def _comparable(document: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    return sorted((f["id"], f["check"], f["severity"], f["asset"]) for f in document["findings"])


@pytest.fixture(scope="module", autouse=True)
def _ray_can_start() -> None:
    try:
        ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
    except Exception as exc:  # pragma: no cover - a machine where Ray cannot start at all
        pytest.skip(f"Ray could not start here: {exc}")
    ray.shutdown()


def test_a_fleet_audits_each_site_as_a_plain_scan_would(tmp_path: Path) -> None:
    quick, slow = _site(), _site(delay=0.3)
    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    with quick.serve() as quick_base, slow.serve() as slow_base:
        sites = _sites_file(tmp_path / "sites.toml", {"quick": quick_base, "slow": slow_base, "gone": dead})
        result = CliRunner().invoke(
            main, ["fleet", str(sites), "--out", str(tmp_path / "fleet"), "--cpus-per-site", "1"]
        )
        plain = CliRunner().invoke(
            main,
            [
                "scan",
                quick_base + "/",
                "--out",
                str(tmp_path / "plain"),
                "--no-state",
                "--render",
                "never",
                "--rate",
                "200",
                "--no-link-check",
            ],
        )
    assert result.exit_code == 3, result.output  # one site is unreachable: the fleet is incomplete
    fleet = json.loads((tmp_path / "fleet" / "fleet.json").read_text())
    jsonschema.validate(fleet, schema())
    rows = {r["name"]: r for r in fleet["sites"]}
    assert next(r["name"] for r in fleet["sites"]) == "gone"  # trouble first
    assert not rows["gone"]["complete"] and rows["quick"]["complete"] and rows["slow"]["complete"]
    site_doc = json.loads((tmp_path / "fleet" / "sites" / "quick" / "findings.json").read_text())
    plain_doc = json.loads((tmp_path / "plain" / "findings.json").read_text())
    assert plain.exit_code in (0, 1) and _comparable(site_doc) == _comparable(plain_doc)
    assert rows["quick"]["findings"] == len(site_doc["findings"])
    assert rows["quick"]["by_check"].get("gps_location") == 1 and rows["quick"]["worst"] == "critical"
    html = (tmp_path / "fleet" / "index.html").read_text()
    assert 'href="sites/quick/report.html"' in html and "INCOMPLETE" in html
    assert (tmp_path / "fleet" / "fleet.csv").read_text().splitlines()[0].startswith("site,status,complete")


def test_a_killed_fleet_resumes_without_redoing_finished_sites(tmp_path: Path) -> None:
    first, second = _site(), _site(delay=2.0)  # the slow one is still running when the driver is killed
    with first.serve() as first_base, second.serve() as second_base:
        sites = _sites_file(tmp_path / "sites.toml", {"a": first_base, "b": second_base})
        command = [
            sys.executable,
            "-m",
            "auditor",
            "fleet",
            str(sites),
            "--out",
            str(tmp_path / "fleet"),
            "--cpus-per-site",
            "1",
        ]
        driver = subprocess.Popen(command, start_new_session=True, stderr=subprocess.DEVNULL)
        state_file = tmp_path / "fleet" / "fleet-state.json"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if state_file.exists() and json.loads(state_file.read_text())["sites"]["a"]["status"] == "done":
                break
            time.sleep(0.2)
        os.killpg(driver.pid, signal.SIGKILL)  # the driver and everything it started
        driver.wait()
        state = json.loads(state_file.read_text())["sites"]
        assert state["a"]["status"] == "done" and state["b"]["status"] != "done"
        finished = (tmp_path / "fleet" / "sites" / "a" / "findings.json").stat().st_mtime_ns
        hits_before = dict(first.hits)
        again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode in (0, 1), again.stderr
    state = json.loads(state_file.read_text())["sites"]
    assert state["a"]["attempts"] == 1 and state["b"]["status"] == "done"  # a was not run again
    assert (tmp_path / "fleet" / "sites" / "a" / "findings.json").stat().st_mtime_ns == finished
    assert dict(first.hits) == hits_before
    assert json.loads((tmp_path / "fleet" / "fleet.json").read_text())["sites"][0]["status"] == "done"


def test_two_sites_on_one_host_share_its_rate(tmp_path: Path) -> None:
    """Two fleet sites served by one host (two sections of one server): --rate 4 holds for the host across both
    scans (a per-host slot file under OUT/rates), not for each scan alone."""
    pictures = {
        f"/{part}/p{n}.jpg": Route(images.jpeg(images.scene(seed=n)), content_type="image/jpeg")
        for part in ("a", "b")
        for n in range(3)
    }
    pages = {f"/{part}/": Route("".join(f"<img src='/{part}/p{n}.jpg'>" for n in range(3))) for part in ("a", "b")}
    host = Site({**pictures, **pages, "/robots.txt": Route("", status=404)})
    with host.serve() as base:
        tables = "".join(
            f'[[site]]\nname = "{part}"\nseeds = ["{base}/{part}/"]\nrender = "never"\nrate = 4\n'
            "no-link-check = true\nmax-depth = 0\n\n"
            for part in ("a", "b")
        )
        (tmp_path / "sites.toml").write_text(tables)
        result = CliRunner().invoke(
            main, ["fleet", str(tmp_path / "sites.toml"), "--out", str(tmp_path / "fleet"), "--cpus-per-site", "1"]
        )
    assert result.exit_code in (0, 1), result.output
    starts = sorted(host.started)
    assert len(starts) >= 8  # both sites' pages and photos
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # Together at most about 4 requests a second (two scans each keeping only its own rate would reach about 8),
    # and never two at once (slots are reserved a quarter second apart; arrival jitter is a few hundredths).
    assert (len(starts) - 1) / (starts[-1] - starts[0]) <= 4.6, [round(g, 3) for g in gaps]
    assert min(gaps) >= 0.1, [round(g, 3) for g in gaps]
