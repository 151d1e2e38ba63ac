"""The performance harness: generate sites of two sizes, serve each on 127.0.0.1, audit it, and print wall time,
throughput, time per stage, peak RSS and CPU use, with the peers measured in the same run on the same files
(``exiftool -j -r`` for metadata, a plain concurrent httpx fetch for the network). Then it audits the unchanged
site again into the same ``--out`` with the same ``--state`` (conditional requests, cached faces and thumbnails)
and checks that the findings are identical. Results go to a JSON file.

    python benchmarks/run.py --sizes 1000,10000 [--render never|auto] [--json results.json] [--profile]

``--profile`` records the first audit of each size with py-spy (``pip install py-spy``; all processes, the face
workers included) and prints where the time goes, by stage and by function.
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
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.demo import serve_directory

HERE = Path(__file__).resolve().parent


def make(size: int, cache: Path, videos: int = 0, minutes: float = 10.0) -> Path:
    site = cache / (f"site-{size}" + (f"-v{videos}x{minutes:g}" if videos else ""))
    if not (site / "index.html").exists():
        subprocess.run(
            [
                sys.executable,
                str(HERE / "make_site.py"),
                str(site),
                "--pages",
                str(max(10, size // 5)),
                "--images",
                str(size),
                "--videos",
                str(videos),
                "--video-minutes",
                str(minutes),
            ],
            check=True,
        )
    return site


def audit(
    base: str, render: str, out: str, state: str | None, profile: Path | None = None, rate: float = 1000
) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    history = ["--state", state] if state else ["--no-state"]
    command = [
        sys.executable,
        "-m",
        "auditor",
        "scan",
        base,
        "--out",
        out,
        *history,
        "--render",
        render,
        "--no-link-check",
        "--rate",
        str(rate),
        "--concurrency",
        "16",
        "--max-pages",
        "100000",
    ]
    if profile is not None:
        command = [
            "py-spy",
            "record",
            "--subprocesses",
            "--format",
            "raw",
            "--rate",
            "50",
            "-o",
            str(profile),
            "--",
            *command,
        ]
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode not in (0, 1, 3):
        raise SystemExit(result.stderr[-2000:])
    document = json.loads((Path(out) / "findings.json").read_text())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    images = [a for a in document["assets"] if a["type"] == "image" and a["fetched"]]
    megapixels = (
        sum((a["metadata"] or {}).get("width", 0) * (a["metadata"] or {}).get("height", 0) for a in images) / 1e6
    )
    timings = document["scan"]["timings"]
    return {
        "wall_s": round(wall, 1),
        "pages": document["scan"]["pages"],
        "images": len(images),
        "pages_per_s": round(document["scan"]["pages"] / wall, 1),
        "images_per_s": round(len(images) / wall, 1),
        "megapixels_per_s": round(megapixels / wall, 1),
        "peak_rss_mib": round(after.ru_maxrss / 1024),
        "cpu_utilisation": round(cpu / wall / (os.cpu_count() or 1), 2),
        **timings,
        # start-up (imports, the models' canary) and writing findings.json, the CSVs and report.html
        "startup_and_report_s": round(wall - timings.get("crawl_s", 0) - timings.get("analysis_s", 0), 1),
        "models_check_s": timings.get("models_check_s", 0.0),
        "not_modified": document["scan"].get("not_modified", 0),
        "findings": len(document["findings"]),
        "finding_ids": sorted(f["id"] for f in document["findings"]),
    }


# In priority order: a stack is counted in the first stage one of whose functions it passes through.
STAGES = [
    ("faces: detection and ages", ("analyse_picture", "analyse")),
    ("faces: decoding", ("load_image",)),
    ("faces: report thumbnails", ("redacted_thumbnail",)),
    ("faces: fingerprints", ("fingerprint_of",)),
    ("faces: worker start-up", ("_process_worker", "spawn_main")),
    ("faces: grouping", ("largest_copies",)),
    ("report", ("write_all",)),
    ("crawl", ("_crawl", "run_until_complete")),
    ("metadata", ("_images",)),
    ("names", ("name_near_photo", "_caption_names")),
    ("documents", ("_documents",)),
    ("imports", ("_find_and_load",)),
]


def summarise_profile(path: Path) -> dict[str, Any]:
    """py-spy's raw output (one ``frame;frame;... count`` line per stack) → share of samples per stage (the
    first matching marker, outermost frame first) and the functions with the most samples of their own."""
    stages: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        names = {frame.split(" (", 1)[0] for frame in frames}
        stage = next((name for name, markers in STAGES if any(m in names for m in markers)), "other")
        stages[stage] += n
        name, _, where = frames[-1].partition(" (")
        leaves[f"{name} ({where.rstrip(')').rsplit('/', 1)[-1]})"] += n
    return {
        "samples": total,
        "stages": {k: round(v / total, 3) for k, v in stages.most_common()},
        "top_self": [(k, round(v / total, 3)) for k, v in leaves.most_common(12)],
    }


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
    parser.add_argument("--profile", action="store_true", help="record the first audit of each size with py-spy")
    parser.add_argument(
        "--network-rate",
        type=float,
        default=30.0,
        help="also audit the smallest site at this many requests/s (0: skip)",
    )
    parser.add_argument("--videos", type=int, default=0, help="720p videos on each generated site")
    parser.add_argument(
        "--keep",
        type=Path,
        help="copy each size's first scan folder to KEEP/SIZE (compare two commits with benchmarks/same_output.py)",
    )
    parser.add_argument("--video-minutes", type=float, default=10.0)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    sizes = [int(s) for s in args.sizes.split(",")]
    for size in sizes:
        site = make(size, args.cache, args.videos, args.video_minutes)
        with (
            serve_directory(site) as base,
            tempfile.TemporaryDirectory() as state,
            tempfile.TemporaryDirectory() as out,
        ):
            profile = args.cache / f"profile-{size}.txt" if args.profile else None
            row: dict[str, Any] = {"size": size, **audit(base, args.render, out, state, profile)}
            if args.keep is not None:
                shutil.rmtree(args.keep / str(size), ignore_errors=True)
                shutil.copytree(out, args.keep / str(size))
            if profile is not None:
                row["profile"] = summarise_profile(profile)
                print(
                    f"profile of the first audit of {size} images (py-spy, all processes, "
                    f"{row['profile']['samples']} samples):"
                )
                for name, share in row["profile"]["stages"].items():
                    print(f"  {share:6.1%}  {name}")
                print("  functions with the most samples of their own:")
                for name, share in row["profile"]["top_self"]:
                    print(f"  {share:6.1%}  {name}")
            again = audit(base, args.render, out, state)  # the unchanged site, same --out and --state
            row |= {
                "rescan_s": again["wall_s"],
                "rescan_speedup": round(row["wall_s"] / again["wall_s"], 1),
                "rescan_not_modified": again["not_modified"],
                "rescan_same_findings": again["finding_ids"] == row["finding_ids"],
                "rescan_timings": {
                    k: again.get(k)
                    for k in (
                        "crawl_s",
                        "analysis_s",
                        "persons_s",
                        "startup_and_report_s",
                        "models_check_s",
                        "video_frames_s",
                    )
                },
            }
            del row["finding_ids"]
            row["fetch_only_s"] = round(asyncio.run(fetch_only(base, site)), 1)
            if args.network_rate and size == sizes[0]:
                # A crawl bound by the network (here: by the request rate): faces are read while it fetches.
                with tempfile.TemporaryDirectory() as slow_out:
                    slow = audit(base, args.render, slow_out, None, rate=args.network_rate)
                row["network_bound"] = {
                    "rate": args.network_rate,
                    "wall_s": slow["wall_s"],
                    "crawl_s": slow["crawl_s"],
                    "analysis_after_crawl_s": slow["analysis_s"],
                    "one_after_the_other_s": round(slow["crawl_s"] + row["analysis_s"], 1),
                }
        exif_s = exiftool_seconds(site)
        row["exiftool_s"] = None if exif_s is None else round(exif_s, 1)
        if exif_s and row.get("metadata_s"):
            row["metadata_vs_exiftool"] = round(exif_s / row["metadata_s"], 1)  # >1: our metadata stage is faster
        rows.append(row)
        print(json.dumps(row))
    print(
        f"\n{'images':>7} {'pages':>6} {'wall s':>7} {'img/s':>6} {'MP/s':>6} {'RSS MiB':>8} {'CPU':>5} "
        f"{'re-scan s':>9} {'speed-up':>8} {'304s':>6} {'same':>5}"
    )
    for r in rows:
        print(
            f"{r['images']:>7} {r['pages']:>6} {r['wall_s']:>7} {r['images_per_s']:>6} {r['megapixels_per_s']:>6} "
            f"{r['peak_rss_mib']:>8} {r['cpu_utilisation']:>5} {r['rescan_s']:>9} {r['rescan_speedup']:>8} "
            f"{r['rescan_not_modified']:>6} {r['rescan_same_findings']!s:>5}"
        )
    print(
        f"\n{'images':>7} {'crawl s':>8} {'fetch-only s':>12} {'documents s':>11} {'metadata s':>10} "
        f"{'exiftool s':>10} {'names s':>7} {'faces s':>7} {'persons s':>9} {'start-up+report s':>17}"
    )
    for r in rows:
        print(
            f"{r['images']:>7} {r.get('crawl_s', '-'):>8} {r['fetch_only_s']:>12} {r.get('documents_s', '-'):>11} "
            f"{r.get('metadata_s', '-'):>10} {r['exiftool_s'] or '-':>10} {r.get('names_s', '-'):>7} "
            f"{r.get('faces_s', '-'):>7} {r.get('persons_s', '-'):>9} {r['startup_and_report_s']:>17}"
        )
        print(
            f"{'':>7} persons: grouping {r.get('persons_s', '-')} s, the recogniser "
            f"{r.get('persons_describe_cpu_s', '-')} CPU s (inside faces s, on the workers)"
        )
        if r.get("metadata_vs_exiftool"):
            print(
                f"{'':>7} metadata stage {r['metadata_vs_exiftool']}x exiftool's speed on the same files; crawl "
                f"{r['crawl_s'] / max(r['fetch_only_s'], 0.1):.2f}x the time of a plain httpx fetch of every file"
            )
    print(
        f"\n{'start-up':>8} {'images':>7} {'models check s':>14} {'other start-up + report s':>25} "
        f"{'re-scan: same':>14}"
    )
    for r in rows:
        again = r["rescan_timings"]
        other = round(again["startup_and_report_s"] - (again["models_check_s"] or 0), 1)
        print(
            f"{'':>8} {r['images']:>7} {r['models_check_s']:>14} "
            f"{round(r['startup_and_report_s'] - r['models_check_s'], 1):>25} "
            f"{again['models_check_s']!s:>6} / {other}"
        )
    for r in rows:
        if "network_bound" in r:
            n = r["network_bound"]
            print(
                f"\nat {n['rate']:g} requests/s ({r['images']} images): {n['wall_s']} s in all, "
                f"crawl {n['crawl_s']} s with faces read meanwhile, {n['analysis_after_crawl_s']} s of analysis "
                f"after it; one stage after the other would take about {n['one_after_the_other_s']} s"
            )
    for r in rows:
        if args.videos:
            footage = args.videos * args.video_minutes * 60
            frames_s = r.get("video_frames_s") or 0.0
            again = r["rescan_timings"].get("video_frames_s")
            print(
                f"\nvideos ({r['images']} images): {args.videos} x {args.video_minutes:g} min at 720p; video stage "
                f"{frames_s} s of {r['wall_s']} s ({frames_s / max(r['wall_s'], 0.1):.0%}), "
                f"{footage / max(frames_s, 0.1):.0f} s of footage per second (sampled, not every frame); "
                f"re-scan video stage {again} s"
            )
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        print(
            f"growth {a['images']} -> {b['images']} images: time x{b['wall_s'] / a['wall_s']:.1f}, "
            f"peak RSS x{b['peak_rss_mib'] / a['peak_rss_mib']:.2f}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": os.uname().machine, "cores": os.cpu_count(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
