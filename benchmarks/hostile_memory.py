"""Peak memory of a scan of the hostile test server (bombs, huge and deep pages, 100k links) and of the demo site:
printed, never asserted. Memory must stay bounded whatever the server sends.

    python benchmarks/hostile_memory.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.demo import serve_directory
from auditor.resources import demo_site_dir
from tests.test_hostile import hostile_site


def peak_rss_of(args: list[str]) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of one `auditor scan` in a fresh process."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        code = (
            "import resource, sys, runpy; sys.argv = ['auditor', *sys.argv[1:]];"
            "\ntry:\n    runpy.run_module('auditor', run_name='__main__')\nexcept SystemExit: pass\n"
            "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                "scan",
                *args,
                "--out",
                out,
                "--no-state",
                "--render",
                "never",
                "--no-link-check",
                "--rate",
                "200",
                "--timeout",
                "2",
            ],
            capture_output=True,
            text=True,
        )
    peak = next(int(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("PEAK"))
    return peak / 1024, time.perf_counter() - started


def main() -> None:
    print(f"python baseline: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    with serve_directory(demo_site_dir()) as base:
        rss, seconds = peak_rss_of([base])
        print(f"demo site: peak RSS {rss:.0f} MiB, {seconds:.1f} s")
    site = hostile_site()
    with site.serve() as base:
        rss, seconds = peak_rss_of([base + "/", "--max-pages", "40", "--max-depth", "4"])
        print(f"hostile server: peak RSS {rss:.0f} MiB, {seconds:.1f} s")


if __name__ == "__main__":
    main()
