"""The fleet layer's cost: 1, 2 and 4 generated sites audited by ``auditor fleet`` (a local Ray) beside the same
sites audited by plain ``auditor scan`` commands one after the other, in one run, on this machine.

    python benchmarks/fleet.py [--images 100] [--counts 1,2,4]

Prints wall time, sites per hour, and the fleet's time against the sequential scans (overhead when it is slower,
gain when its sites run side by side). Each site is the same generated site served on its own port (a host of its
own); every run starts from an empty folder.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.demo import serve_directory
from benchmarks.run import make

SCAN = ["--render", "never", "--rate", "200", "--no-link-check"]


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
    print(f"{'sites':>5} {'sequential s':>12} {'fleet s':>8} {'sites/hour (fleet)':>18} {'fleet vs sequential':>20}")
    for count in counts:
        with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
            bases = [stack.enter_context(serve_directory(site)) for _ in range(count)]
            started = time.perf_counter()
            for k, base in enumerate(bases):
                out = Path(tmp) / f"plain-{k}"
                command = [sys.executable, "-m", "auditor", "scan", base + "/", "--out", str(out)]
                subprocess.run([*command, "--state", str(out / "state"), "-q", *SCAN], capture_output=True, check=False)
            sequential = time.perf_counter() - started
            tables = "".join(
                f'[[site]]\nname = "s{k}"\nseeds = ["{base}/"]\nrender = "never"\nrate = 200\nno-link-check = true\n\n'
                for k, base in enumerate(bases)
            )
            (Path(tmp) / "sites.toml").write_text(tables)
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "auditor",
                    "fleet",
                    str(Path(tmp) / "sites.toml"),
                    "--out",
                    str(Path(tmp) / "f"),
                    "--cpus-per-site",
                    str(args.cpus_per_site),
                ],
                capture_output=True,
                check=False,
            )
            fleet = time.perf_counter() - started
        change = (fleet - sequential) / sequential
        print(
            f"{count:>5} {sequential:>12.1f} {fleet:>8.1f} {count / fleet * 3600:>18.0f} "
            f"{'+' if change >= 0 else ''}{change:>19.0%}"
        )


if __name__ == "__main__":
    main()
