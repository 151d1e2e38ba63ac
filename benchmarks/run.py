"""The performance harness: generate sites of two sizes, serve each on 127.0.0.1, audit it, and print wall time,
throughput, time per stage, peak RSS and CPU use, with the peers measured in the same run on the same files
(``exiftool -j -r`` for metadata, a plain concurrent httpx fetch for the network). Results go to a JSON file.

    python benchmarks/run.py --sizes 200,1000 [--render never|auto] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.demo import serve_directory

HERE = Path(__file__).resolve().parent


def make(size: int, cache: Path) -> Path:
    site = cache / f"site-{size}"
    if not (site / "index.html").exists():
        subprocess.run([sys.executable, str(HERE / "make_site.py"), str(site), "--pages", str(max(10, size // 5)),
                        "--images", str(size)], check=True)
    return site


def audit(base: str, render: str, state: str | None = None) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        history = ["--state", state] if state else ["--no-state"]
        result = subprocess.run([sys.executable, "-m", "auditor", "scan", base, "--out", out, *history,
                                 "--render", render, "--no-link-check", "--rate", "1000", "--concurrency", "16",
                                 "--max-pages", "100000"], capture_output=True, text=True)
        wall = time.perf_counter() - started
        if result.returncode not in (0, 1, 3):
            raise SystemExit(result.stderr[-2000:])
        document = json.loads((Path(out) / "findings.json").read_text())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    images = [a for a in document["assets"] if a["type"] == "image" and a["fetched"]]
    megapixels = sum((a["metadata"] or {}).get("width", 0) * (a["metadata"] or {}).get("height", 0)
                     for a in images) / 1e6
    return {"wall_s": round(wall, 1), "pages": document["scan"]["pages"], "images": len(images),
            "pages_per_s": round(document["scan"]["pages"] / wall, 1), "images_per_s": round(len(images) / wall, 1),
            "megapixels_per_s": round(megapixels / wall, 1), "peak_rss_mib": round(after.ru_maxrss / 1024),
            "cpu_utilisation": round(cpu / wall / (os.cpu_count() or 1), 2), **document["scan"]["timings"],
            "findings": len(document["findings"])}


async def fetch_only(base: str, site: Path) -> float:
    urls = [base + str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()]
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(limits=limits) as client:
        semaphore = asyncio.Semaphore(16)

        async def one(url: str) -> None:
            async with semaphore:
                await client.get(url)

        await asyncio.gather(*(one(u) for u in urls))
    return time.perf_counter() - started


def exiftool_seconds(site: Path) -> float | None:
    if not shutil.which("exiftool"):
        return None
    started = time.perf_counter()
    subprocess.run(["exiftool", "-j", "-r", str(site / "photos")], capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="200,1000")
    parser.add_argument("--render", default="never")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "auditor-bench")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        site = make(size, args.cache)
        with serve_directory(site) as base, tempfile.TemporaryDirectory() as state:
            row = {"size": size, **audit(base, args.render, state)}
            row["rescan_s"] = audit(base, args.render, state)["wall_s"]  # unchanged site, faces from the cache
            row["fetch_only_s"] = round(asyncio.run(fetch_only(base, site)), 1)
        exif_s = exiftool_seconds(site)
        row["exiftool_s"] = None if exif_s is None else round(exif_s, 1)
        if exif_s and row.get("metadata_s"):
            row["metadata_vs_exiftool"] = round(exif_s / row["metadata_s"], 1)  # >1: our metadata stage is faster
        rows.append(row)
        print(json.dumps(row))
    print(f"\n{'images':>7} {'wall s':>7} {'img/s':>6} {'MP/s':>6} {'crawl s':>8} {'analysis s':>10} {'RSS MiB':>8} "
          f"{'CPU':>5} {'re-scan s':>9} {'fetch-only s':>12} {'exiftool s':>10}")
    for r in rows:
        print(f"{r['images']:>7} {r['wall_s']:>7} {r['images_per_s']:>6} {r['megapixels_per_s']:>6} "
              f"{r.get('crawl_s', '-'):>8} {r.get('analysis_s', '-'):>10} {r['peak_rss_mib']:>8} "
              f"{r['cpu_utilisation']:>5} {r['rescan_s']:>9} {r['fetch_only_s']:>12} {r['exiftool_s'] or '-':>10}")
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        print(f"growth {a['images']} -> {b['images']} images: time x{b['wall_s'] / a['wall_s']:.1f}, "
              f"peak RSS x{b['peak_rss_mib'] / a['peak_rss_mib']:.2f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": os.uname().machine, "cores": os.cpu_count(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
