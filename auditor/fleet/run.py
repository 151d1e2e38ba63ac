"""The fleet's sites file, its run on Ray, and what it remembers between runs (see :mod:`auditor.fleet`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.files import write_atomic
from auditor.fleet.rates import HostRates, RateRelay

STATE_FILE = "fleet-state.json"
MAX_ATTEMPTS = 3
GATE_EXITS = (0, 1, 3)  # what a finished scan exits with: clean, a gate failed, incomplete (anything else: a crash)
# What a finished scan's task sends back to the driver, to be written under OUT/sites/NAME on the driver's machine:
# the report and its exports. The store, the history and the fetched files stay where the scan ran (its work dir).
RESULTS = ("findings.json", "report.html", "findings.csv", "faces-per-page.csv")
LOCAL = "local"  # the node of a site scanned by a fleet on this machine alone (no Ray)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """One ``[[site]]`` of the sites file: a name (its folder), its seeds, and ``auditor scan`` options."""

    name: str
    seeds: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def command(self, work: Path) -> list[str]:
        """The ``auditor scan`` this site's task runs (the same as a school would type) in ``work/NAME``, on the
        machine Ray placed it on."""
        folder = work / self.name
        # --no-config: a settings file in the folder the fleet was started from must not change every site.
        args = [sys.executable, "-m", "auditor", "--no-config", "scan", *self.seeds, "--out", str(folder)]
        args += ["--state", str(folder / "state"), "--quiet"]
        for key, value in sorted(self.options.items()):
            flag = "--" + key.replace("_", "-")
            values = value if isinstance(value, list) else [value]
            for item in values:
                if item is True:
                    args.append(flag)
                elif item is not False:
                    args += [flag, str(item)]
        return args


def read_sites(path: Path) -> list[SiteSpec]:
    """The ``[[site]]`` tables of ``path``; a mistake is an error naming the file and the site."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable sites file ({exc})") from exc
    sites = []
    seen: set[str] = set()
    for k, table in enumerate(data.get("site", [])):
        name = str(table.get("name", ""))
        seeds = table.get("seeds")
        # fullmatch: "a\n" once passed; folded case: "Hill" and "hill" are one folder on a case-insensitive disk.
        if not _NAME.fullmatch(name) or name.casefold() in seen:
            raise ConfigError(
                f"{path}: site {k + 1}: give each site a name of letters, digits, . _ - that no other site has, "
                "whatever its case"
            )
        if not isinstance(seeds, list) or not seeds or not all(isinstance(s, str) for s in seeds):
            raise ConfigError(f"{path}: site {name}: seeds must be a list of URLs")
        for seed in seeds:  # a seed is handed to auditor scan as an argument: it must never read as an option
            if seed.startswith("-") or not seed.strip() or any(c.isspace() or ord(c) < 32 for c in seed):
                raise ConfigError(f"{path}: site {name}: {seed!r} is not a web address")
        options = {key.replace("-", "_"): value for key, value in table.items() if key not in ("name", "seeds")}
        for banned in ("out", "state", "state_dir", "no_state"):
            if banned in options:
                raise ConfigError(f"{path}: site {name}: {banned} is set by the fleet (OUT/sites/{name})")
        seen.add(name.casefold())
        sites.append(SiteSpec(name, tuple(seeds), options))
    if not sites:
        raise ConfigError(f"{path}: no [[site]] tables")
    return sites


@dataclass(slots=True)
class SiteState:
    """What the fleet remembers of one site between runs."""

    status: str = "pending"  # pending | done | failed
    attempts: int = 0
    exit_code: int | None = None
    error: str | None = None
    node: str | None = None  # the Ray node that last ran it: its history is there, so the next run asks for it
    seconds: float | None = None  # how long its last try took, the scan's whole command on the worker


@dataclass(slots=True)
class FleetState:
    """``OUT/fleet-state.json``: which fleet run this is, and each site's state in it.

    A run has ended when no site is left pending (each is done or has failed its tries). Re-running the same command
    after a killed run resumes it (finished sites are not redone); after an ended run it starts the next run, every
    site again (each scan incremental against its own history): the nightly re-scan."""

    run: int = 0
    sites: dict[str, SiteState] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return all(s.status != "pending" for s in self.sites.values())


def load_state(out: Path) -> FleetState:
    path = out / STATE_FILE
    if not path.exists():
        return FleetState()
    try:
        data = json.loads(path.read_text("utf-8"))
        sites = {name: SiteState(**state) for name, state in data["sites"].items()}
        return FleetState(int(data.get("run", 1)), sites)  # a state written before runs were counted: run 1
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a readable fleet state ({exc}); remove it to start the fleet over") from exc


def save_state(out: Path, fleet: FleetState) -> None:
    body = {
        "schema": "exposure-auditor/fleet-state@1",
        "run": fleet.run,
        "ended": fleet.ended,  # for people reading the file; derived from the sites
        "sites": {n: asdict(s) for n, s in sorted(fleet.sites.items())},
    }
    write_atomic(out / STATE_FILE, json.dumps(body, indent=2) + "\n")


@dataclass(frozen=True, slots=True)
class SiteRun:
    """What one try of a site's task sends back to the driver (a small object: the results, not the store)."""

    exit_code: int
    tail: str  # the scan's last lines of stderr, for a failure's message
    node: str
    seconds: float
    results: dict[str, bytes]  # file name -> contents, from :data:`RESULTS`; empty unless the scan finished


def run_scan(command: list[str], workers: int, folder: str, reserve: Callable[[str, float], float]) -> SiteRun:
    """One site's scan as a subprocess: its face workers limited to ``workers`` cores, its request starts to each
    host given out by the fleet's keeper through ``reserve``; a finished scan's report and exports are returned,
    so the driver has them even when ``folder`` is on another machine's disk. ``node`` is filled in by the caller."""
    started = time.monotonic()
    # The scan ends itself if whatever runs it dies (a killed fleet leaves no orphan scan holding the site's store).
    env = {**os.environ, "AUDITOR_WORKERS": str(workers), "AUDITOR_EXIT_WITH_PARENT": str(os.getpid())}
    with RateRelay(reserve) as relay:
        command = [*command, "--shared-rate-socket", str(relay.path)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    tail = " / ".join((done.stderr or "").strip().splitlines()[-3:])[-500:]
    results: dict[str, bytes] = {}
    if done.returncode in GATE_EXITS:
        for name in RESULTS:
            path = Path(folder) / name
            if path.is_file():
                results[name] = path.read_bytes()
    return SiteRun(done.returncode, tail, LOCAL, round(time.monotonic() - started, 2), results)


def scan_site(command: list[str], workers: int, folder: str, keeper: Any) -> SiteRun:
    """:func:`run_scan` as a Ray task, on the node Ray placed it, asking the fleet's rate keeper actor."""
    import ray

    run = run_scan(command, workers, folder, lambda host, interval: ray.get(keeper.reserve.remote(host, interval)))
    return replace(run, node=ray.get_runtime_context().get_node_id())


def keep_results(folder: Path, results: dict[str, bytes]) -> None:
    """Write a site's returned results under the driver's ``OUT/sites/NAME``; a file that is already there with
    the same bytes (the scan ran on this machine, or ``OUT`` is shared) is left alone."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, body in results.items():
        path = folder / name
        try:
            if path.stat().st_size == len(body) and path.read_bytes() == body:
                continue
        except OSError:
            pass
        write_atomic(path, body)


def _join(ray: Any, address: str, kwargs: dict[str, Any]) -> None:
    """Join an existing cluster. Through Ray Client (``ray://``) up to three tries: Ray 2.60's client server can
    fail to start the first session after another driver has used the cluster ("Starting Ray client server
    failed", reproduced here with a one-task driver then a ``ray://`` one); the next try works."""
    tries = 3 if address.startswith("ray://") else 1
    for attempt in range(1, tries + 1):
        try:
            ray.init(address=address, **kwargs)
            return
        except (ConnectionError, RuntimeError):
            if attempt == tries:
                raise
            time.sleep(2.0)


def _owner_only_token() -> None:
    """Ray writes its authentication token to ``~/.ray/auth_token`` readable by every local user (0644, in a 0755
    folder): with it another account joined the fleet and ran code as the one that holds every pupil's photo.
    Both are made owner-only."""
    folder = Path.home() / ".ray"
    for path, mode in ((folder, 0o700), (folder / "auth_token", 0o600)):
        with contextlib.suppress(OSError):
            if path.exists():
                path.chmod(mode)


class _Runner:
    """Where the sites' scans run: ``submit`` one, ``next_done`` waits for any to end, ``result`` is its
    :class:`SiteRun` (or raises: the thing that ran it died), ``close`` ends what was started."""

    def submit(self, command: list[str], folder: str, node: str | None) -> Any:
        raise NotImplementedError

    def next_done(self, handles: list[Any]) -> Any:
        raise NotImplementedError

    def result(self, handle: Any) -> SiteRun:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _Local(_Runner):
    """A fleet on this machine alone: no Ray, so nothing listens on any network interface (Ray's own services
    listen on every interface whatever they are told: a local user or a neighbour on the network could join). As
    many scans side by side as the cores allow (``cpus_per_site`` each), one thread each waiting on its scan's
    subprocess; one :class:`HostRates` behind a lock keeps each host's rate across them."""

    def __init__(self, cpus_per_site: int) -> None:
        self.cpus = cpus_per_site
        self.pool = ThreadPoolExecutor(max(1, (os.cpu_count() or 1) // cpus_per_site), "auditor-fleet")
        self.rates = HostRates()

    def submit(self, command: list[str], folder: str, node: str | None) -> Future[SiteRun]:
        return self.pool.submit(run_scan, command, self.cpus, folder, self.rates.reserve)

    def next_done(self, handles: list[Future[SiteRun]]) -> Future[SiteRun]:
        return next(iter(wait(handles, return_when=FIRST_COMPLETED).done))

    def result(self, handle: Future[SiteRun]) -> SiteRun:
        return handle.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Ray(_Runner):
    """A fleet on an existing Ray cluster (``--address``): each scan a Ray task of ``cpus_per_site`` CPUs, sent
    back to the node that ran it last (its history is there) when that node is up; one rate keeper actor."""

    def __init__(self, address: str, cpus_per_site: int) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ConfigError("auditor fleet --address needs Ray: pip install 'exposure-auditor[fleet]'") from exc
        self.ray, self.cpus = ray, cpus_per_site
        self.started_here = not ray.is_initialized()
        if self.started_here:
            try:
                _join(ray, address, {"include_dashboard": False, "log_to_driver": False})
            except (ConnectionError, RuntimeError) as exc:
                raise ConfigError(
                    f"--address {address}: could not join that Ray cluster ({str(exc).splitlines()[0]}). Is it "
                    "running, and is this Ray the cluster's version? If it uses token authentication, set "
                    "RAY_AUTH_MODE=token and its token (RAY_AUTH_TOKEN, or the file ~/.ray/auth_token) here too."
                ) from exc
            _owner_only_token()
        self.task = ray.remote(num_cpus=cpus_per_site, max_retries=0)(scan_site)
        self.keeper = ray.remote(num_cpus=0)(HostRates).remote()  # one host's rate across every site

    def submit(self, command: list[str], folder: str, node: str | None) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        options: dict[str, Any] = {}
        if node and node != LOCAL:  # soft: any node will do when that one is gone (the scan starts a new history)
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node, soft=True)
        return self.task.options(**options).remote(command, self.cpus, folder, self.keeper)

    def next_done(self, handles: list[Any]) -> Any:
        return self.ray.wait(handles, num_returns=1)[0][0]

    def result(self, handle: Any) -> SiteRun:
        run: SiteRun = self.ray.get(handle)
        return run

    def close(self) -> None:
        if self.started_here:
            self.ray.shutdown()


def run_fleet(
    sites: list[SiteSpec],
    out: Path,
    address: str | None = None,
    cpus_per_site: int = 2,
    progress: Any = None,
    work: Path | None = None,
) -> FleetState:
    """Run every site not finished yet (up to :data:`MAX_ATTEMPTS` tries each); returns the run's state.

    ``address``: an existing Ray cluster (``auto``, ``HOST:6379`` or ``ray://HOST:10001``); without it the sites
    run on this machine's cores, without Ray (:class:`_Local`). ``work``: where each site's scan keeps its folder
    (store, history, fetched files) on the machine that runs it, ``OUT/sites`` by default; its results come back
    to ``OUT/sites`` here either way. On a cluster a site goes back to the node that ran it last when it is up."""
    out = out.resolve()  # the workers' working folder is not the driver's on a cluster
    work = (work or out / "sites").resolve()
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    fleet = load_state(out)
    before = fleet.sites
    if fleet.ended:  # the next run: every site again, on the node that holds its history
        fleet = FleetState(fleet.run + 1, {n: SiteState(node=st.node) for n, st in before.items()})
    states = fleet.sites = {s.name: fleet.sites.get(s.name) or SiteState() for s in sites}
    todo = [s for s in sites if states[s.name].status == "pending"]
    if not todo:  # killed after its last site finished: nothing is left of that run
        save_state(out, fleet)
        return fleet
    runner: _Runner = _Ray(address, cpus_per_site) if address else _Local(cpus_per_site)
    save_state(out, fleet)  # only now: a cluster that could not be joined leaves the state as it was
    try:
        running: dict[Any, SiteSpec] = {}

        def submit(site: SiteSpec) -> None:
            state = states[site.name]
            state.attempts += 1
            running[runner.submit(site.command(work), str(work / site.name), state.node)] = site

        for site in todo:
            submit(site)
        save_state(out, fleet)
        while running:
            ready = runner.next_done(list(running))
            site = running.pop(ready)
            state = states[site.name]
            try:
                run: SiteRun | None = runner.result(ready)
            except Exception as exc:  # the worker died (killed, out of memory): that site's try, not the fleet's
                run, code, tail = None, -1, (str(exc).splitlines() or [type(exc).__name__])[0][:500]
            finished = False
            if run is not None:
                code, tail = run.exit_code, run.tail
                state.node, state.seconds = run.node, run.seconds
                # Finished means its findings came back: the dashboard never shows an earlier run's as this one's.
                finished = code in GATE_EXITS and "findings.json" in run.results
                if code in GATE_EXITS and not finished:
                    tail = f"its findings.json could not be read in {work / site.name}"
                keep_results(out / "sites" / site.name, run.results)
            state.exit_code = code
            if finished:
                state.status, state.error = "done", None
            elif state.attempts < MAX_ATTEMPTS:
                state.error = f"try {state.attempts} ended with exit status {code}: {tail}"
                submit(site)
            else:
                state.status = "failed"
                state.error = f"failed {state.attempts} times; last exit status {code}: {tail}"
            save_state(out, fleet)
            if progress is not None:
                progress(site.name, state)
    finally:
        runner.close()
    return fleet
