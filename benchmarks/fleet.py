"""The fleet layer's cost: N generated sites audited by ``auditor fleet`` (on this machine, without Ray) beside
the same sites audited by plain ``auditor scan`` commands one after the other, in one run, on this machine; first
scans and then the nightly re-scan (the fleet's next run; the plain scans again into their own ``--state``).

    python benchmarks/fleet.py [--images 100] [--counts 1,2,4] [--cpus-per-site 2]

Prints, for each N: wall times, sites per hour, the fleet against the sequential scans, and where the difference
goes: each site's scan as timed by the fleet itself (``fleet-state.json``'s ``seconds``) against the same scan run
plainly, and the rest (the fleet's own work: starting the scans, the dashboard). A warm-up scan runs first so
neither side pays for cold caches. Each site is the same generated site served on its own port (a host of its own).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.demo import serve_directory
from benchmarks.run import make

SCAN = ["--render", "never", "--rate", "200", "--no-link-check", "-q"]


def plain(base: str, out: Path) -> float:
    """One ``auditor scan`` of a site, as a school would run it; its wall time."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "auditor", "scan", base + "/", "--out", str(out), "--state", str(out / "state")]
    subprocess.run([*command, *SCAN], capture_output=True, check=False)
    return time.perf_counter() - started


def fleet(sites: Path, out: Path, cpus: int) -> tuple[float, list[float]]:
    """One ``auditor fleet`` run; its wall time and each site's scan time on its worker."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "auditor", "fleet", str(sites), "--out", str(out), "--cpus-per-site", str(cpus)]
    subprocess.run(command, capture_output=True, check=False)
    wall = time.perf_counter() - started
    state = json.loads((out / "fleet-state.json").read_text())
    return wall, [s["seconds"] for s in state["sites"].values()]


def row(label: str, count: int, sequential: float, wall: float, in_fleet: list[float], alone: list[float]) -> str:
    change = (wall - sequential) / sequential
    per_site = (sum(in_fleet) - sum(alone)) / count
    rest = wall - sum(in_fleet)  # exact when the sites run one after another (cpus per site >= cores)
    return (
        f"{label:>8} {count:>5} {sequential:>12.1f} {wall:>8.1f} {count / wall * 3600:>10.0f} "
        f"{change:>+10.1%} {per_site:>+14.2f} {rest:>13.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--counts", default="1,2,4")
    parser.add_argument("--cpus-per-site", type=int, default=2, help="as auditor fleet's option (its default: 2)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "auditor-bench")
    args = parser.parse_args()
    site = make(args.images, args.cache)
    counts = [int(c) for c in args.counts.split(",")]
    print(f"cores: {os.cpu_count()}, --cpus-per-site {args.cpus_per_site}, {args.images} images a site")
    print(
        f"{'scan':>8} {'sites':>5} {'sequential s':>12} {'fleet s':>8} {'sites/hour':>10} {'fleet vs':>10} "
        f"{'per site s':>14} {'rest s':>13}"
    )
    blank = ""
    print(f"{blank:>37} {'(fleet)':>10} {'sequential':>10} {'(in fleet-alone)':>14} {'(the fleet)':>13}")
    with serve_directory(site) as warm, tempfile.TemporaryDirectory() as tmp:
        plain(warm, Path(tmp) / "warm-up")
    for count in counts:
        with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
            bases = [stack.enter_context(serve_directory(site)) for _ in range(count)]
            tables = "".join(
                f'[[site]]\nname = "s{k}"\nseeds = ["{base}/"]\nrender = "never"\nrate = 200\nno-link-check = true\n\n'
                for k, base in enumerate(bases)
            )
            (Path(tmp) / "sites.toml").write_text(tables)
            for label in ("first", "re-scan"):  # the second round: plain re-scans, and the fleet's next run
                alone = [plain(base, Path(tmp) / f"plain-{k}") for k, base in enumerate(bases)]
                wall, in_fleet = fleet(Path(tmp) / "sites.toml", Path(tmp) / "f", args.cpus_per_site)
                print(row(label, count, sum(alone), wall, in_fleet, alone), flush=True)


if __name__ == "__main__":
    main()
