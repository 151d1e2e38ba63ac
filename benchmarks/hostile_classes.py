"""Each class of hostile input from the hostile-inputs issue, run against this checkout and an older revision side
by side: wall time, peak memory (the largest process of the run, the browser's included) and the outcome.
Printed, never asserted; the tests assert the behaviour.

    python benchmarks/hostile_classes.py [--baseline 7aad3fe] [--timeout 180]

The baseline runs from a git worktree of that revision (default: ``main`` before the hostile-inputs fixes), the
reproducers are built here. A run that passes ``--timeout`` is killed and reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.revisions import REPO, worktree
from tests.analyze import images
from tests.conftest import png_bytes
from tests.server import Route, Site
from tests.test_hostile import listing_routes

# Runs one command and reports its wall time, the peak RSS of the largest process it (or any process it waited
# for) had, its exit status and the end of its output.
RUNNER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
try:
    done = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout=float(sys.argv[1]))
    status, tail = done.returncode, (done.stdout + done.stderr)[-400:]
except subprocess.TimeoutExpired as exc:
    status, tail = "timeout", str(exc.stderr or "")[-400:]
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"s": round(time.perf_counter() - started, 1), "mib": round(peak), "status": status, "tail": tail}))
"""


@dataclass
class Case:
    name: str
    command: Callable[[str, Path], list[str]]  # (base URL or "", work folder) -> auditor arguments
    routes: dict[str, Route] | None = None
    files: Callable[[Path], None] | None = None
    outcome: Callable[[dict[str, object], Path], str] | None = None


def _findings(out: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((out / "findings.json").read_text()))
    except (OSError, ValueError):
        return {}


def _scan_outcome(result: dict[str, object], work: Path) -> str:
    document = _findings(work / "o")
    if not document:
        return "no findings.json"
    errors = document.get("errors", [])
    size = (work / "o" / "findings.json").stat().st_size
    scan = document.get("scan", {})
    assert isinstance(scan, dict) and isinstance(errors, list)
    return (
        f"{len(document.get('assets', []))} assets, {len(errors)} errors, findings.json {size / 1e6:.1f} MB, "
        f"complete {scan.get('complete')}"
    )


def _xmp_jpeg(folder: Path) -> None:
    (folder / "photos").mkdir()
    (folder / "photos" / "open.jpg").write_bytes(images.jpeg() + b"<x:xmpmeta " * 100_000)


def _extended_xmp(folder: Path) -> None:
    guid = b"0" * 32
    segments = b""
    for i in range(38):
        body = b"http://ns.adobe.com/xmp/extension/\x00" + guid + (64 << 20).to_bytes(4, "big")
        body += (i * 60_000).to_bytes(4, "big") + b"<" * 60_000
        segments += b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
    photo = images.jpeg()
    (folder / "photos").mkdir()
    (folder / "photos" / "padded.jpg").write_bytes(photo[:2] + segments + photo[2:])


def _sparse(folder: Path) -> None:
    (folder / "photos").mkdir()
    with (folder / "photos" / "huge.jpg").open("wb") as fh:
        fh.write(images.jpeg())
        fh.truncate(3 << 30)


def _check_outcome(result: dict[str, object], work: Path) -> str:
    document = _findings(work / "o")
    checks = sorted({str(f["check"]) for f in document.get("findings", [])}) if document else []
    return f"findings: {', '.join(checks) or 'none'}" if document else "no findings.json"


def _fix_outcome(result: dict[str, object], work: Path) -> str:
    manifest = work / "fixed-manifest.json"
    return "manifest written" if manifest.exists() else "no manifest"


def cases() -> list[Case]:
    targets = ["mailto:head@school.example", "javascript:alert(1)", "data:image/png;base64,AAAA", "about:blank"]
    redirects = {f"/i{i}": Route("", status=302, headers={"Location": t}) for i, t in enumerate(targets)}
    redirects["/"] = Route("".join(f'<img src="/i{i}">' for i in range(4)) + '<img src="/good.jpg">')
    redirects["/good.jpg"] = Route(images.jpeg(lat=51.5, lon=-0.12), content_type="image/jpeg")
    loop = {
        "/": Route(
            "<img src='/a.png'><script>addEventListener('load', () => setTimeout(() => { while (true) {} }))</script>"
        ),
        "/a.png": Route(png_bytes(), content_type="image/png"),
    }
    hog = {
        "/": Route("<img src='/a.png'><script>const a = []; while (true) { a.push(new Array(1e6).fill(1)); }</script>"),
        "/a.png": Route(png_bytes(), content_type="image/png"),
    }
    discovery = listing_routes(100_000)
    for routes in (redirects, loop, hog):
        routes["/robots.txt"] = Route("", status=404)

    def scan(*extra: str) -> Callable[[str, Path], list[str]]:
        return lambda base, work: ["scan", base + "/", "--out", str(work / "o"), "--no-state", *extra]

    def check(base: str, work: Path) -> list[str]:
        return ["check", str(work / "photos"), "--out", str(work / "o"), "--no-state"]

    return [
        Case(
            "redirect to mailto:/javascript:/data:/about:", scan("--render", "never"), redirects, outcome=_scan_outcome
        ),
        Case(
            "page script loops after load (--render always)",
            scan("--render", "always", "--max-duration", "60"),
            loop,
            outcome=_scan_outcome,
        ),
        Case(
            "page script allocates without end",
            scan("--render", "always", "--max-duration", "60"),
            hog,
            outcome=_scan_outcome,
        ),
        Case("1 MB of never-closed <x:xmpmeta (check)", check, files=_xmp_jpeg, outcome=_check_outcome),
        Case("2.3 MB of extended-XMP records (check)", check, files=_extended_xmp, outcome=_check_outcome),
        Case(
            "3 GiB sparse .jpg (fix)",
            lambda base, work: ["fix", str(work / "photos"), "--out", str(work / "fixed")],
            files=_sparse,
            outcome=_fix_outcome,
        ),
        Case(
            "100k-URL sitemap + 100k-URL bundle (--max-pages 5 --max-duration 120)",
            scan("--render", "never", "--max-pages", "5", "--max-duration", "120", "--rate", "500"),
            discovery,
            outcome=_scan_outcome,
        ),
    ]


def run(case: Case, code: Path, timeout: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if case.files is not None:
            case.files(work)
        site = Site(case.routes) if case.routes is not None else None
        with site.serve() if site is not None else _nothing() as base:
            args = case.command(base or "", work)
            env = {**os.environ, "PYTHONPATH": str(code)}
            command = [sys.executable, "-c", RUNNER, str(timeout), sys.executable, "-m", "auditor", *args]
            done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=code)
        result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        result["outcome"] = case.outcome(result, work) if case.outcome else ""
        return result


@contextmanager
def _nothing() -> Iterator[str]:
    yield ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default="7aad3fe", help="revision before the hostile-inputs fixes")
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    with worktree(args.baseline) as old:
        for case in cases():
            print(f"\n{case.name}")
            for label, code in ((f"baseline {args.baseline}", old), ("this checkout", REPO)):
                r = run(case, code, args.timeout)
                tail = str(r["tail"]).strip().splitlines()[-1:] if r["status"] not in (0, 1, 3) else []
                print(
                    f"  {label:17} {r['s']:>6} s {r['mib']:>6} MiB  exit {r['status']}  {r['outcome']}"
                    + (f"  [{tail[0][:90]}]" if tail else "")
                )


if __name__ == "__main__":
    main()
