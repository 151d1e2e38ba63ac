"""What reading a WordPress site's own API costs and finds: a real WordPress (tests/wordpress/) with N generated
uploads, nine in ten shown on posts and one in ten attached to nothing, scanned by two checkouts side by side.
Prints, for each: wall time, crawl time, requests the scan sent to the media and users lists, uploads found, and
the unattached uploads found.

    python benchmarks/wordpress_api.py --before /path/to/old/checkout [--after .] [--uploads 1000]

Needs Debian's wordpress, php-cli, php-mysql, php-gd, php-xml (WordPress's sitemap) and mariadb-server
(.ci/run installs them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.analyze import images  # noqa: E402
from tests.wordpress import missing, running  # noqa: E402


def _uploads(folder: Path, count: int) -> list[dict[str, object]]:
    folder.mkdir()
    out: list[dict[str, object]] = []
    for k in range(count):
        path = folder / f"photo-{k:04d}.jpg"
        path.write_bytes(images.jpeg(images.scene(640, 480, seed=k), lat=51.5 + k / 1e4, lon=-0.12))
        out.append({"file": str(path), "post": None if k % 10 == 9 else f"News {k // 10}", "alt": ""})
    return out


def _scan(code: Path, base: str, out: Path) -> dict[str, object]:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "scan",
            base + "/",
            "--out",
            str(out),
            "--no-state",
            "--render",
            "never",
            "--no-link-check",
            "--rate",
            "1000",
            "--concurrency",
            "16",
            "--max-pages",
            "100000",
        ],
        cwd=tempfile.mkdtemp(),
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    document = json.loads((out / "findings.json").read_text())
    fetched = {a["url"] for a in document["assets"] if a["type"] == "image" and a.get("sha256")}
    uploads = {int(m[1]) for u in fetched if (m := re.search(r"/photo-(\d{4})", u))}
    sources = document["scan"].get("sources") or []
    return {
        "exit": done.returncode,
        "wall_s": round(wall, 1),
        "crawl_s": document["scan"]["timings"].get("crawl_s"),
        "list_requests": sum((s.get("reached", 0) + 99) // 100 for s in sources if s.get("url")),
        "images_fetched": len(fetched),
        "uploads_found": len(uploads),
        "gps_findings": sum(f["check"] == "gps_location" for f in document["findings"]),
        "unlisted_upload": sum(f["check"] == "unlisted_upload" for f in document["findings"]),
        "announced": [s.get("announced") for s in sources],
        "unattached_found": sum(k % 10 == 9 for k in uploads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=HERE.parent)
    parser.add_argument("--uploads", type=int, default=1000)
    args = parser.parse_args()
    if (why := missing()) is not None:
        raise SystemExit(why)
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        started = time.perf_counter()
        with running(folder / "site", _uploads(folder / "photos", args.uploads)) as base:
            print(f"WordPress with {args.uploads} uploads ready in {time.perf_counter() - started:.0f} s", flush=True)
            for label, code in (("before", args.before), ("after", args.after)):
                print(label, json.dumps(_scan(code.resolve(), base, folder / label)), flush=True)


if __name__ == "__main__":
    main()
