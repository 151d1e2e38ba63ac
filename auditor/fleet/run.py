"""The fleet's sites file, its run on Ray, and what it remembers between runs (see :mod:`auditor.fleet`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.files import write_atomic

STATE_FILE = "fleet-state.json"
MAX_ATTEMPTS = 3
GATE_EXITS = (0, 1, 3)  # what a finished scan exits with: clean, a gate failed, incomplete (anything else: a crash)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """One ``[[site]]`` of the sites file: a name (its folder), its seeds, and ``auditor scan`` options."""

    name: str
    seeds: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def command(self, out: Path, workers: int) -> list[str]:
        """The ``auditor scan`` this site's task runs (the same as a school would type)."""
        args = [sys.executable, "-m", "auditor", "scan", *self.seeds, "--out", str(out / "sites" / self.name)]
        args += ["--state", str(out / "sites" / self.name / "state"), "--quiet"]
        args += ["--shared-rate-dir", str(out / "rates")]  # one host's rate holds across every site of the fleet
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
        if not _NAME.match(name) or name in seen:
            raise ConfigError(f"{path}: site {k + 1}: give each site a unique name of letters, digits, . _ -")
        if not isinstance(seeds, list) or not seeds or not all(isinstance(s, str) for s in seeds):
            raise ConfigError(f"{path}: site {name}: seeds must be a list of URLs")
        options = {key.replace("-", "_"): value for key, value in table.items() if key not in ("name", "seeds")}
        for banned in ("out", "state", "state_dir", "no_state"):
            if banned in options:
                raise ConfigError(f"{path}: site {name}: {banned} is set by the fleet (OUT/sites/{name})")
        seen.add(name)
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


def load_state(out: Path) -> dict[str, SiteState]:
    path = out / STATE_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
        return {name: SiteState(**state) for name, state in data["sites"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a readable fleet state ({exc}); remove it to start the fleet over") from exc


def save_state(out: Path, states: dict[str, SiteState]) -> None:
    body = {"schema": "exposure-auditor/fleet-state@1", "sites": {n: asdict(s) for n, s in sorted(states.items())}}
    write_atomic(out / STATE_FILE, json.dumps(body, indent=2) + "\n")


def scan_site(command: list[str], workers: int) -> tuple[int, str]:
    """One site's scan, run where Ray placed it: its face workers limited to the cores Ray gave the task."""
    # The scan ends itself if this Ray worker dies (a killed fleet leaves no orphan scan holding the site's store).
    env = {**os.environ, "AUDITOR_WORKERS": str(workers), "AUDITOR_EXIT_WITH_PARENT": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    tail = (done.stderr or "").strip().splitlines()[-3:]
    return done.returncode, " / ".join(tail)[-500:]


def run_fleet(
    sites: list[SiteSpec],
    out: Path,
    address: str | None = None,
    cpus_per_site: int = 2,
    progress: Any = None,
) -> dict[str, SiteState]:
    """Run every site not finished yet (up to :data:`MAX_ATTEMPTS` tries each) on Ray; returns each site's state.
    ``address``: an existing cluster (``auto`` or ``ray://HOST:10001``); without it a local Ray with the
    machine's cores is started and stopped."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("auditor fleet needs Ray: pip install 'exposure-auditor[fleet]'") from exc
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    states = load_state(out)
    names = {s.name for s in sites}
    states = {n: st for n, st in states.items() if n in names}
    for site in sites:
        states.setdefault(site.name, SiteState())
    todo = [s for s in sites if states[s.name].status != "done"]
    for site in todo:
        if states[site.name].status == "failed":  # a new run gives a failed site its tries again
            states[site.name] = SiteState()
    save_state(out, states)
    if not todo:
        return states
    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            ray.init(address=address, **kwargs)
        else:
            # "local": a Ray of its own, even when another one runs on this machine (it would join it otherwise)
            ray.init(address="local", num_cpus=os.cpu_count() or 1, **kwargs)
    task = ray.remote(num_cpus=cpus_per_site, max_retries=0)(scan_site)
    try:
        running: dict[Any, SiteSpec] = {}

        def submit(site: SiteSpec) -> None:
            states[site.name].attempts += 1
            running[task.remote(site.command(out, cpus_per_site), cpus_per_site)] = site

        for site in todo:
            submit(site)
        save_state(out, states)
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            site = running.pop(ready[0])
            state = states[site.name]
            try:
                code, tail = ray.get(ready[0])
            except Exception as exc:  # the worker died (killed, out of memory): that site's try, not the fleet's
                code, tail = -1, str(exc).splitlines()[0][:500]
            state.exit_code = code
            if code in GATE_EXITS:
                state.status, state.error = "done", None
            elif state.attempts < MAX_ATTEMPTS:
                state.error = f"try {state.attempts} ended with exit status {code}: {tail}"
                submit(site)
            else:
                state.status = "failed"
                state.error = f"failed {state.attempts} times; last exit status {code}: {tail}"
            save_state(out, states)
            if progress is not None:
                progress(site.name, state)
    finally:
        if started_here:
            ray.shutdown()
    return states
