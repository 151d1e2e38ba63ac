"""``auditor fleet`` on this machine (no Ray: nothing listens) and on a real two-node Ray cluster: three loopback
sites, one unreachable and one slow; each site's findings equal a plain ``auditor scan`` of it; the dashboard's
numbers match; a driver killed mid-run is re-run with the same command and finishes without redoing finished
sites."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import stat
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
from auditor.fleet.run import RESULTS
from tests.analyze import images
from tests.server import Route, Site
from tests.sites import SECTIONS, assert_one_rate, one_host_two_sections


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


@pytest.fixture
def ray_can_start() -> Any:
    """Ray, for the tests of a fleet on a cluster (a fleet on one machine does not use it)."""
    return pytest.importorskip("ray", reason="Ray is not installed (pip install 'exposure-auditor[fleet]')")


def _listening(session: int) -> list[str]:
    """The TCP addresses any process of ``session`` (a process group started with start_new_session) listens on,
    read from /proc: the sockets each process holds, matched against the kernel's table of listening sockets."""
    inodes: set[str] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != session:
                continue
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:  # ended meanwhile, or not ours to read
            continue
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.append(fields[1])
    return found


def test_a_fleet_on_one_machine_listens_on_no_network_interface(tmp_path: Path) -> None:
    """A fleet without --address runs its scans without Ray: while they crawl, no process of the fleet listens
    on any TCP port (Ray's services listened on every interface, and a local user with its token ran code in the
    fleet). The scans' rate relays are owner-only Unix sockets."""
    slow = _site(delay=1.5)
    with slow.serve() as base:
        sites = _sites_file(tmp_path / "sites.toml", {"a": base, "b": base})
        command = [sys.executable, "-m", "auditor", "fleet", str(sites), "--out", str(tmp_path / "fleet")]
        driver = subprocess.Popen([*command, "--cpus-per-site", "1"], start_new_session=True, stderr=subprocess.PIPE)
        seen: list[str] = []
        deadline = time.monotonic() + 120
        while not slow.hits.get("/more.html") and time.monotonic() < deadline and driver.poll() is None:
            seen += _listening(driver.pid)
            time.sleep(0.1)
        crawling = bool(slow.hits.get("/more.html"))
        seen += _listening(driver.pid)
        _, err = driver.communicate(timeout=300)
    assert crawling, "the scans were never seen crawling"
    assert seen == [] and driver.returncode in (0, 1), err[-2000:]


def test_a_fleet_audits_each_site_as_a_plain_scan_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A settings file where the fleet is started from is not merged into every site's settings: the sites file
    # alone says how a site is scanned (this one would make gps_location low everywhere).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "auditor.toml").write_text('[checks.gps_location]\nseverity = "low"\n')
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
                "--no-config",
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
    assert "(exit status 3: the audit is incomplete)" in result.output  # the console says what a status means
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
        resumed = json.loads(state_file.read_text())
        hits_resumed = dict(first.hits)
        resumed_mtime = (tmp_path / "fleet" / "sites" / "a" / "findings.json").stat().st_mtime_ns
        # The run has ended: the same command is now the next run (the nightly re-scan), every site again.
        nightly = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode in (0, 1), again.stderr
    state = resumed["sites"]
    assert resumed["run"] == 1 and resumed["ended"]
    assert state["a"]["attempts"] == 1 and state["b"]["status"] == "done"  # a was not run again
    assert resumed_mtime == finished
    assert hits_resumed == hits_before
    assert json.loads((tmp_path / "fleet" / "fleet.json").read_text())["sites"][0]["status"] == "done"
    assert nightly.returncode in (0, 1), nightly.stderr
    next_run = json.loads(state_file.read_text())
    assert next_run["run"] == 2 and next_run["ended"]
    assert all(s["status"] == "done" and s["attempts"] == 1 for s in next_run["sites"].values())
    assert sum(first.hits.values()) > sum(hits_before.values())  # a was scanned again, this time
    document = json.loads((tmp_path / "fleet" / "sites" / "a" / "findings.json").read_text())
    assert document["history"]["first_scan"] is False


def test_two_sites_on_one_host_share_its_rate(tmp_path: Path) -> None:
    """Two fleet sites served by one host (two sections of one server): --rate 4 holds for the host across both
    scans (the fleet's rate keeper, a Ray actor), not for each scan alone."""
    host = one_host_two_sections()
    with host.serve() as base:
        tables = "".join(
            f'[[site]]\nname = "{part}"\nseeds = ["{base}/{part}/"]\nrender = "never"\nrate = 4\n'
            "no-link-check = true\nmax-depth = 0\n\n"
            for part in SECTIONS
        )
        (tmp_path / "sites.toml").write_text(tables)
        result = CliRunner().invoke(
            main, ["fleet", str(tmp_path / "sites.toml"), "--out", str(tmp_path / "fleet"), "--cpus-per-site", "1"]
        )
    assert result.exit_code in (0, 1), result.output
    assert_one_rate(host, 4)


def _ray_start(tmp_path: Path, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """One node of a real one-machine Ray cluster, started with ``ray start`` as an operator would."""
    log_path = tmp_path / f"{name}.log"
    with log_path.open("wb") as log:  # the node keeps its own copy of the descriptor
        node = subprocess.Popen(
            [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", "--disable-usage-stats", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while "Ray runtime started" not in log_path.read_text(errors="replace"):
        if node.poll() is not None or time.monotonic() > deadline:
            os.killpg(node.pid, signal.SIGKILL)
            pytest.skip(f"ray start did not start here: {log_path.read_text()[-800:]}")
        time.sleep(0.2)
    return node


def _node_ids(address: str, env: dict[str, str]) -> list[str]:
    code = "import ray, sys; ray.init(sys.argv[1]); print(' '.join(n['NodeID'] for n in ray.nodes() if n['Alive']))"
    done = subprocess.run([sys.executable, "-c", code, address], capture_output=True, text=True, env=env, timeout=120)
    return done.stdout.split()


def test_a_fleet_runs_on_an_existing_cluster_and_brings_the_results_back(tmp_path: Path, ray_can_start: Any) -> None:
    """``--address HOST:PORT`` and ``--address ray://HOST:PORT`` against a two-node cluster started by ``ray start``
    (token authentication on, as Ray turns it on). Each site's store stays in ``--work-dir`` (a cluster machine's
    own disk); its report and findings come back to ``OUT/sites/NAME`` through Ray. The second fleet run is the
    next run (every site again), sent to the node that holds the site's history, and so is incremental."""
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    port, client = _free_port(), _free_port()
    head = ["--head", "--port", str(port), "--ray-client-server-port", str(client), "--include-dashboard", "false"]
    nodes = [_ray_start(tmp_path, "head", [*head, "--num-cpus", "1"], env)]
    try:
        nodes.append(_ray_start(tmp_path, "second", ["--address", f"127.0.0.1:{port}", "--num-cpus", "1"], env))
        site = _site()
        with site.serve() as base:
            sites = _sites_file(tmp_path / "sites.toml", {"school": base})
            command = [sys.executable, "-m", "auditor", "fleet", str(sites), "--out", str(tmp_path / "fleet")]
            command += ["--work-dir", str(tmp_path / "work"), "--cpus-per-site", "1"]
            first = subprocess.run(
                [*command, "--address", f"127.0.0.1:{port}"], capture_output=True, text=True, env=env, timeout=300
            )
            assert first.returncode in (0, 1), first.stderr[-2000:]
            state_file = tmp_path / "fleet" / "fleet-state.json"
            state = json.loads(state_file.read_text())
            # Say the site's history is on the other node: the next run must be sent there, not where Ray would
            # put it by itself (the driver's node, first).
            other = next(n for n in _node_ids(f"127.0.0.1:{port}", env) if n != state["sites"]["school"]["node"])
            state_file.write_text(
                json.dumps({**state, "sites": {"school": {**state["sites"]["school"], "node": other}}})
            )
            second = subprocess.run(
                [*command, "--address", f"ray://127.0.0.1:{client}"],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            assert second.returncode in (0, 1), second.stderr[-2000:]
            refused = subprocess.run(  # the cluster's token is needed: without it, a clear error, nothing run
                [*command, "--address", f"127.0.0.1:{port}"],
                capture_output=True,
                text=True,
                env={**env, "RAY_AUTH_TOKEN": secrets.token_hex(32)},
                timeout=300,
            )
    finally:
        for node in nodes:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait()
    results = tmp_path / "fleet" / "sites" / "school"
    assert sorted(p.name for p in results.iterdir()) == sorted(RESULTS)  # the results, not the store
    assert (tmp_path / "work" / "school" / "scan.sqlite3").exists()
    assert state["run"] == 1 and state["ended"] and state["sites"]["school"]["seconds"] > 0
    again = json.loads(state_file.read_text())
    assert again["run"] == 2 and again["ended"] and again["sites"]["school"]["attempts"] == 1
    assert again["sites"]["school"]["node"] == other
    document = json.loads((results / "findings.json").read_text())
    assert document["history"]["first_scan"] is False  # the second run found the first run's history
    assert document == json.loads((tmp_path / "work" / "school" / "findings.json").read_text())
    fleet = json.loads((tmp_path / "fleet" / "fleet.json").read_text())
    jsonschema.validate(fleet, schema())
    assert fleet["sites"][0]["findings"] == len(document["findings"]) > 0
    assert fleet["run"] == 2 and fleet["sites"][0]["node"] == other and fleet["sites"][0]["seconds"] > 0
    assert "fleet run 2" in (tmp_path / "fleet" / "index.html").read_text()
    assert refused.returncode == 2 and "could not join that Ray cluster" in refused.stderr, refused.stderr[-2000:]
    assert json.loads(state_file.read_text()) == again  # a refused run changes nothing


def _scan_pids(folder: Path) -> list[int]:
    """The ``auditor scan`` processes writing into ``folder`` (found by their command line)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"scan" in argv and str(folder).encode() in argv:
                pids.append(int(entry.name))
    return pids


def test_a_killed_scan_is_tried_again_and_a_crashing_site_fails_alone(tmp_path: Path) -> None:
    """One site's scan is killed with SIGKILL mid-run (a worker's death): it is tried again and finishes. Another
    site's scan fails every time (a setting its scan refuses): after 3 tries it is reported as failed, first on the
    dashboard, and the fleet's exit status says so; the other sites complete."""
    slow, fine = _site(delay=1.0), _site()
    with slow.serve() as slow_base, fine.serve() as fine_base:
        sites = _sites_file(tmp_path / "sites.toml", {"slow": slow_base, "fine": fine_base})
        sites.write_text(
            sites.read_text() + f'[[site]]\nname = "broken"\nseeds = ["{fine_base}/"]\nmax-pages = "lots"\n'
        )
        command = [sys.executable, "-m", "auditor", "fleet", str(sites), "--out", str(tmp_path / "fleet")]
        driver = subprocess.Popen(
            [*command, "--cpus-per-site", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        killed: list[int] = []
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline and driver.poll() is None:
            if slow.hits:  # the slow site's scan is crawling
                for pid in _scan_pids(tmp_path / "fleet" / "sites" / "slow"):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            time.sleep(0.1)
        _, err = driver.communicate(timeout=300)
    assert killed, "the slow site's scan was never seen running"
    assert driver.returncode == 3, err[-2000:]
    fleet = json.loads((tmp_path / "fleet" / "fleet.json").read_text())
    rows = {r["name"]: r for r in fleet["sites"]}
    assert fleet["sites"][0]["name"] == "broken" and rows["broken"]["status"] == "failed"
    assert rows["broken"]["attempts"] == 3 and "lots" in rows["broken"]["error"]
    assert rows["slow"]["status"] == "done" and rows["slow"]["attempts"] == 2 and rows["slow"]["complete"]
    assert rows["fine"]["status"] == "done" and rows["fine"]["attempts"] == 1
    assert "FAILED" in (tmp_path / "fleet" / "index.html").read_text()


def test_rays_token_and_its_folder_are_made_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the fleet does after starting Ray, on a token written as Ray writes it (0644 in a 0755 folder); the
    fleet test above checks it on this machine's real token, which a fresh machine may not have."""
    from auditor.fleet.run import _owner_only_token

    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / ".ray"
    folder.mkdir(mode=0o755)
    (folder / "auth_token").write_text("secret")
    (folder / "auth_token").chmod(0o644)
    _owner_only_token()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "auth_token").stat().st_mode) == 0o600
