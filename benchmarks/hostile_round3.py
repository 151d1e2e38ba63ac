"""Issue 29's cases (hostile inputs, round three), each run through the real CLI against two checkouts side by side:
exit status, wall time, peak memory of the command, and what it wrote. Prints one table row per case.

    python benchmarks/hostile_round3.py --before /path/to/old/checkout [--after .]

Each side runs as ``python -m auditor`` from its own folder, so the code under test is that folder's. The DNS
rebinding case needs ``unshare -rnm`` (a network namespace with its own resolver; see tests/netns/rebinding.py).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.analyze import images  # noqa: E402
from tests.server import Route, Site  # noqa: E402
from tests.test_decisions import _ONE as ONE  # noqa: E402
from tests.test_hostile import _layered  # noqa: E402


def _run(code: Path, args: list[str], timeout: float = 300, wrap: list[str] | None = None) -> dict[str, Any]:
    """``auditor ARGS`` with ``code`` on the path, run in an empty folder (no settings file is read): exit status,
    seconds, peak RSS (GNU time), its output."""
    stats = Path(tempfile.mktemp())
    command = [*(wrap or []), "/usr/bin/time", "-f", "%M", "-o", str(stats), sys.executable, "-m", "auditor", *args]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=tempfile.mkdtemp(),
            env={**os.environ, "PYTHONPATH": str(code)},
            capture_output=True,
            timeout=timeout,
        )
        status, output = done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        status, output = "killed after timeout", ""
    seconds = time.perf_counter() - started
    text = stats.read_text().strip().splitlines() if stats.exists() else []
    peak = int(text[-1]) // 1024 if text and text[-1].isdigit() else None
    return {"exit": status, "s": round(seconds, 1), "peak_mib": peak, "output": output}


def _findings(out: Path) -> dict[str, Any] | None:
    path = out / "findings.json"
    return json.loads(path.read_text()) if path.exists() else None


def bombs(code: Path, work: Path) -> str:
    page = gzip.compress(b"<title>School</title><a href='/news.html'>n</a><img src='/photo.jpg'><img src='/trip.jpg'>")
    site = Site(
        {
            "/": Route(page, headers={"Content-Encoding": "gzip"}),
            "/news.html": Route(_layered(1 << 30, "gzip"), headers={"Content-Encoding": "gzip, gzip"}),
            "/photo.jpg": Route(
                _layered(1 << 30, "deflate"),
                content_type="image/jpeg",
                headers={"Content-Encoding": "deflate, deflate"},
            ),
            "/trip.jpg": Route(images.jpeg(lat=51.5, lon=-0.12), content_type="image/jpeg"),
            "/robots.txt": Route("", status=404),
        }
    )
    with site.serve() as base:
        r = _run(code, ["scan", base + "/", "--out", str(work / "out"), "--no-state", "--render", "never"])
    doc = _findings(work / "out")
    said = (
        "no findings.json"
        if doc is None
        else f"findings.json, {len(doc['errors'])} errors, GPS kept: "
        + str(any(f["check"] == "gps_location" for f in doc["findings"]))
    )
    return f"exit {r['exit']}, {r['s']} s, {r['peak_mib']} MiB, {said}"


def addresses(code: Path, work: Path) -> str:
    page = "<img src='http://100.100.100.200/latest/meta-data/p.jpg'><img src='http://192.0.0.192/p.jpg'>"
    site = Site({"/": Route(page), "/robots.txt": Route("", status=404)})
    with site.serve() as base:
        r = _run(
            code,
            [
                "scan",
                base + "/",
                "--out",
                str(work / "out"),
                "--no-state",
                "--render",
                "never",
                "--timeout",
                "5",
            ],
        )
    doc = _findings(work / "out") or {"errors": []}
    refused = sum("private or reserved" in e["message"] for e in doc["errors"])
    fetched = sum(bool(a.get("sha256")) for a in doc.get("assets", []))
    return f"exit {r['exit']}, {r['s']} s, {refused} of 2 refused before connecting, {fetched} fetched"


def rebinding(code: Path, work: Path) -> str:
    script = HERE.parent / "tests" / "netns" / "rebinding.py"
    done = subprocess.run(
        ["unshare", "-rnm", sys.executable, str(script), str(work / "out"), "--render", "never"],
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 or not done.stdout.strip():
        return f"could not run ({done.stderr.strip()[-200:]})"
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    return f"exit {seen['exit']}, router 10.0.0.1 got {len(seen['hits']['10.0.0.1'])} requests"


def hidden_names(code: Path, work: Path) -> str:
    folder = work / "to-publish"
    folder.mkdir()
    names = ("IMG_0003", "IMG_0001.jpg ", "IMG_0002.jpg.", "IMG_0004.jpg_large", "IMG_0005.mpo", "IMG_0006.dng")
    for k, name in enumerate(names):
        (folder / name).write_bytes(images.jpeg(images.scene(seed=k), lat=51.5007, lon=-0.1246))
    (folder / "IMG_0007.arw").write_bytes(images.save(images.scene(seed=9), "TIFF"))
    r = _run(code, ["check", str(folder), "--out", str(work / "out"), "--no-state", "--fail-on", "high"])
    doc = _findings(work / "out") or {"findings": [], "scan": {}}
    gps = sum(f["check"] == "gps_location" for f in doc["findings"])
    read = sum(bool(a.get("metadata")) for a in doc.get("assets", []))
    return f"exit {r['exit']}, {read} of 7 files read, {gps} of 6 GPS findings, complete: {doc['scan'].get('complete')}"


def dangling(code: Path, work: Path) -> str:
    folder = work / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(images.jpeg())
    (folder / "gone.jpg").symlink_to(work / "deleted.jpg")
    r = _run(code, ["check", str(folder), "--out", str(work / "out"), "--no-state", "--fail-on", "high"])
    doc = _findings(work / "out") or {"findings": []}
    return f"exit {r['exit']}, not_checked findings: {sum(f['check'] == 'not_checked' for f in doc['findings'])}"


def fix_names(code: Path, work: Path) -> str:
    folder = work / "in"
    folder.mkdir()
    names = ["A.jpg", "a.jpg", "caf\u00e9.jpg", "cafe\u0301.jpg", "x.jpg", "x.jpg."]
    for k, name in enumerate(names):
        (folder / name).write_bytes(images.jpeg(images.scene(seed=k), lat=51.5, lon=-0.12))
    r = _run(code, ["fix", str(folder), "--out", str(work / "safe")])
    manifest = work / "safe-manifest.json"
    outputs = [f["output"] for f in json.loads(manifest.read_text())["files"]] if manifest.exists() else []
    folded = {unicodedata.normalize("NFC", o).casefold().rstrip(". ") for o in outputs}
    return f"exit {r['exit']}, {len(outputs)} copies listed, {len(folded)} distinct on a case-insensitive disk"


def decisions(code: Path, work: Path) -> str:
    folder = work / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(images.jpeg(lat=51.5, lon=-0.12))
    path = work / "decisions.json"
    path.write_text(
        json.dumps({"schema": "exposure-auditor/decisions@1", "decisions": [{**ONE, "until": "2099-13-45"}]})
    )
    out = work / "out"
    r = _run(code, ["check", str(folder), "--out", str(out), "--state", str(work / "state"), "--decisions", str(path)])
    trace = "traceback" if "Traceback" in r["output"] else "one line"
    return (
        f"exit {r['exit']}, {trace}, findings.json {'written' if (out / 'findings.json').exists() else 'not written'}"
    )


def terminal(code: Path, work: Path) -> str:
    path = work / "decisions.json"
    hostile = {**ONE, "reason": "ok\x1b]0;owned\x07\x1b[2J"}
    path.write_text(json.dumps({"schema": "exposure-auditor/decisions@1", "decisions": [hostile]}))
    r = _run(code, ["decisions", "--decisions", str(path)])
    return f"exit {r['exit']}, ESC reaches the terminal: {'yes' if chr(27) in r['output'] else 'no'}"


def sites_file(code: Path, work: Path) -> str:
    path = work / "sites.toml"
    path.write_text(
        '[[site]]\nname = "hill"\nseeds = ["--no-state"]\n\n[[site]]\nname = "Hill"\nseeds = ["http://127.0.0.1:9/"]\n'
    )
    r = _run(code, ["fleet", str(path), "--out", str(work / "fleet")], timeout=180)
    lines = [line for line in r["output"].strip().splitlines() if "Error" in line or "error" in line]
    last = lines[-1] if lines else (r["output"].strip().splitlines() or [""])[-1]
    return f"exit {r['exit']}, {r['s']} s: {last[:90]}"


CASES = {
    "page and image gzip,gzip / deflate,deflate, 1 GiB inside each": bombs,
    "images at 100.100.100.200 and 192.0.0.192": addresses,
    "DNS answer moving to 10.0.0.1 after the check (netns)": rebinding,
    "6 GPS photos named IMG_0003, x.jpg , x.jpg., .jpg_large, .mpo, .dng; a TIFF named .arw": hidden_names,
    "a dangling symlink in a checked folder (check --fail-on high)": dangling,
    "fix: A.jpg/a.jpg, NFC/NFD, x.jpg/x.jpg.": fix_names,
    "decisions file with until 2099-13-45": decisions,
    "auditor decisions with ESC/BEL in a reason": terminal,
    "sites file: seed --no-state, names hill and Hill": sites_file,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=HERE.parent)
    parser.add_argument("--only", help="run the cases whose name contains this")
    args = parser.parse_args()
    print("| case | before | after |\n|---|---|---|")
    for name, case in CASES.items():
        if args.only and args.only not in name:
            continue
        row = []
        for code in (args.before, args.after):
            with tempfile.TemporaryDirectory() as work:
                row.append(case(code.resolve(), Path(work)))
        print(f"| {name} | {row[0]} | {row[1]} |", flush=True)


if __name__ == "__main__":
    main()
