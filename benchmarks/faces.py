"""Face pipeline measurements on ``../shared/eval``: printed, never asserted.

    python benchmarks/faces.py [--shared ../shared]

- Detector (``eval/detect``, WIDER FACE val subset): recall at IoU 0.5 by face height (all, >= 32 px, >= 64 px),
  precision, ms per image with one pass at 640 px, one at DETECT_LONG_SIDE, and the default cascade (a first look
  at COARSE_LONG_SIDE, a second at DETECT_LONG_SIDE only where someone was found).
- Age (``eval/age``, aligned UTKFace chips, development split): each chip is edge-padded and its known face box
  handed to the age model (so these are age-model figures; the detector's misses on chips are counted apart).
  MAE and bias per band, the minor triage as a table of thresholds (under-18s flagged, 13-17 flagged, adults
  18-25 and 26+ flagged), ROC AUC, and the threshold a 5-fold cross-validation picks for 98 % of under-18s.
- Photos (``eval/photos``: real youth-organisation website photos, labelled per photo; stage them with its
  ``stage.py`` into a folder outside the repository and pass ``--photos DIR``): the real ``auditor check`` run
  once per site (so people are grouped within a site, as on a scan), for this checkout and for ``--baseline REV``
  (a git worktree of that revision) side by side, with ``--context auto`` and ``school``. Per photo: photos
  showing a minor with a face of 30 px or more that get a ``minor_face`` finding (any severity, and medium or
  above), that get any face finding; adults-only photos flagged ``minor_face``; per size band.
- Grouping: on the age chips (every chip a different person), how many children complete linkage merges into
  someone else at SAME_PERSON, and the share of pairs above it; with ``--pairs DIR`` (a folder of photos and a
  ``master.csv`` of ``file_x,file_y,Decision`` pairs, such as deepface's MIT-licensed unit-test set of adult
  public figures, staged outside the repository), same-person recall across different photos.

    python benchmarks/faces.py --only photos grouping --photos /tmp/evalphotos --pairs /tmp/deepface
"""

from __future__ import annotations

import argparse
import collections
import csv
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.analyze import face_models, faces, persons
from auditor.models import MINOR_CLASSES
from benchmarks.revisions import REPO, worktree

BANDS = [("0-12", 0, 12), ("13-17", 13, 17), ("18-25", 18, 25), ("26+", 26, 200)]


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w, h = max(0.0, min(ax2, bx2) - max(a[0], b[0])), max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter) if inter else 0.0


def detector(root: Path, sides: tuple[int, int], choice: faces.FaceModelChoice = faces.DEFAULT_MODELS) -> None:
    """``sides``: (first look, search size) of the cascade in ``faces.detect``; equal sides mean a single pass."""
    truth = json.loads((root / "gt.json").read_text())
    entries = truth if isinstance(truth, list) else truth.get("images", truth)
    bands = {"all": [0, 0], ">=32px": [0, 0], ">=64px": [0, 0]}
    predicted = matched_predictions = 0
    times = []
    previous = faces.COARSE_LONG_SIDE, faces.DETECT_LONG_SIDE
    faces.COARSE_LONG_SIDE, faces.DETECT_LONG_SIDE = sides
    try:
        for entry in entries:
            pixels = np.asarray(Image.open(root / "images" / entry["file"]).convert("RGB"))
            started = time.perf_counter()
            found = faces.detect(pixels, choice)
            times.append((time.perf_counter() - started) * 1000)
            boxes = [f[0] for f in found]
            predicted += len(boxes)
            used: set[int] = set()
            gt = [f for f in entry["faces"] if not f.get("invalid")]
            for face in gt:
                box = tuple(face["box"])
                best = max(range(len(boxes)), key=lambda i: iou(box, boxes[i]), default=None)
                hit = best is not None and iou(box, boxes[best]) >= 0.5
                if hit and best is not None:
                    used.add(best)
                for name, floor in (("all", 0), (">=32px", 32), (">=64px", 64)):
                    if box[3] >= floor:
                        bands[name][0] += hit
                        bands[name][1] += 1
            matched_predictions += len(used)
    finally:
        faces.COARSE_LONG_SIDE, faces.DETECT_LONG_SIDE = previous
    recall = "  ".join(f"recall {k} {v[0] / max(v[1], 1):.2f} ({v[1]} faces)" for k, v in bands.items())
    precision = matched_predictions / max(predicted, 1)
    how = f"long side {sides[0]}" if sides[0] == sides[1] else f"cascade {sides[0]} -> {sides[1]}"
    print(
        f"{choice.description.split(' + ')[0]}, {how}: {recall}  precision {precision:.2f}"
        f"  median {statistics.median(times):.0f} ms/image, mean {statistics.mean(times):.0f}"
    )


def ages(root: Path) -> None:
    with (root / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    truth, estimates, under_18, detected = [], [], [], 0
    for row in rows:
        pixels = np.asarray(Image.open(root / row["file"]).convert("RGB"))
        pad = pixels.shape[0] // 4
        padded = np.pad(pixels, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        detected += bool(faces.detect(padded))
        age, p18, _ = faces._age(padded, (pad, pad, pixels.shape[1], pixels.shape[0]))
        truth.append(int(row["age"]))
        estimates.append(age)
        under_18.append(p18)
    t, e, p = np.array(truth), np.array(estimates), np.array(under_18)
    print(f"\nage model on {len(rows)} aligned chips (detector found a face on {detected}/{len(rows)} padded chips)")
    print(f"{'band':6} {'n':>4} {'MAE':>6} {'bias':>6}")
    for name, lo, hi in BANDS:
        mask = (t >= lo) & (t <= hi)
        print(f"{name:6} {mask.sum():>4} {np.abs(e[mask] - t[mask]).mean():6.1f} {(e[mask] - t[mask]).mean():+6.1f}")
    print(f"all    {len(t):>4} {np.abs(e - t).mean():6.1f} {(e - t).mean():+6.1f}")
    minors, adults = t < 18, t >= 18
    order = np.argsort(e)
    ranks = np.empty(len(e))
    ranks[order] = np.arange(len(e))
    auc = 1 - (ranks[minors].mean() - (minors.sum() - 1) / 2) / adults.sum()
    teen, young = (t >= 13) & (t <= 17), (t >= 18) & (t <= 25)
    auc_teen = np.mean([[float(a > b) + 0.5 * float(a == b) for b in e[teen]] for a in e[young]])
    print(f"ROC AUC minors vs adults {auc:.3f}; 13-17 vs 18-25 {auc_teen:.3f}")
    print(f"\n{'flag if estimate <':>19} {'<18':>6} {'13-17':>6} {'18-25':>6} {'26+':>6}")
    for threshold in range(18, 36):
        flagged = e < threshold
        print(
            f"{threshold:>19} {flagged[minors].mean():6.0%} {flagged[teen].mean():6.0%} "
            f"{flagged[young].mean():6.0%} {flagged[t >= 26].mean():6.0%}"
        )
    rng = np.random.default_rng(0)
    folds = rng.permutation(len(t)) % 5
    picked, held = [], []
    for k in range(5):
        train, test = folds != k, folds == k
        cut = float(next((th for th in np.arange(15, 45, 0.5) if (e[train & minors] < th).mean() >= 0.98), 45.0))
        picked.append(cut)
        held.append(((e[test & minors] < cut).mean(), (e[test & (t >= 26)] < cut).mean()))
    print(
        f"\n5-fold CV threshold for 98 % of under-18s: {statistics.mean(picked):.1f} "
        f"(folds {', '.join(f'{p:.1f}' for p in picked)}); held-out under-18s flagged "
        f"{np.mean([h[0] for h in held]):.0%}, adults 26+ flagged {np.mean([h[1] for h in held]):.0%}"
    )
    default = faces.Thresholds()
    for context in ("general", "school"):
        th = default.for_context(context)
        pairs = zip(e, p, strict=True)
        flagged = np.array([faces.triage(a, 100.0, th, "frontal", q) in MINOR_CLASSES for a, q in pairs])
        by_age = e < th.minor
        print(
            f"default triage, --context {context} (under {th.young:g}, or under {th.minor:g} unless P(<18) < "
            f"{th.confident_adult:g}): under-18s {flagged[minors].mean():.0%} (13-17 {flagged[teen].mean():.0%}), "
            f"adults 18-25 {flagged[young].mean():.0%}, 26+ {flagged[t >= 26].mean():.0%}; by the reading alone "
            f"(under {th.minor:g}): under-18s {by_age[minors].mean():.0%} (13-17 {by_age[teen].mean():.0%}), "
            f"18-25 {by_age[young].mean():.0%}, 26+ {by_age[t >= 26].mean():.0%}"
        )
    print(f"\nreliability of P(under 18) on the chips\n{'predicted':>12} {'n':>4} {'minors':>7} {'share':>6}")
    for low, high in ((0, 0.01), (0.01, 0.05), (0.05, 0.2), (0.2, 0.5), (0.5, 0.8), (0.8, 1.01)):
        mask = (p >= low) & (p < high)
        share = f"{minors[mask].mean():6.0%}" if mask.any() else "     -"
        print(f"{low:5.2f}-{min(high, 1):4.2f} {mask.sum():>4} {minors[mask].sum():>7} {share}")


SITE_CHECK_TIMEOUT = 1800


def _check_site(python_path: Path, files: list[Path], context: str, out: Path) -> dict[str, list[dict[str, str]]]:
    """``auditor check`` of one site's labelled files with the code at ``python_path``: findings by file."""
    env = {**os.environ, "PYTHONPATH": str(python_path)}
    command = [sys.executable, "-m", "auditor", "check", "--no-state", "--context", context, "--out", str(out)]
    # Run from the code's own folder: ``python -m`` puts the working directory first on the path.
    subprocess.run(
        [*command, *map(str, files)], env=env, cwd=python_path, capture_output=True, timeout=SITE_CHECK_TIMEOUT
    )
    document = json.loads((out / "findings.json").read_text())
    by_file: dict[str, list[dict[str, str]]] = collections.defaultdict(list)
    names = {f.resolve().as_uri(): f for f in files} | {str(f.resolve()): f for f in files}
    for finding in document["findings"]:
        path = names.get(finding.get("asset") or "")
        if path is not None:
            by_file[str(path)].append({"check": finding["check"], "severity": finding["severity"]})
    return by_file


def _score(labels: dict[str, dict[str, object]], root: Path, found: dict[str, list[dict[str, str]]]) -> list[str]:
    """Per-photo figures, as printed lines."""
    rows: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0, 0, 0])
    for name, label in labels.items():
        findings = found.get(str(root / name), [])
        minor = [f for f in findings if f["check"] == "minor_face"]
        any_face = [f for f in findings if f["check"] in ("minor_face", "identifiable_face", "person_exposure")]
        for key in ((str(label["label"]), str(label["largest_face"] or "none")), (str(label["label"]), name)):
            row = rows[key if key[1] != name else (key[0], "site:" + name.split("/")[0])]
            row[0] += 1
            row[1] += bool(minor)
            row[2] += any(f["severity"] != "low" for f in minor)
            row[3] += bool(any_face)
    out = []

    def share(keys: list[tuple[str, str]], column: int) -> str:
        total = sum(rows[k][0] for k in keys)
        hit = sum(rows[k][column] for k in keys)
        return f"{hit}/{total} = {hit / max(total, 1):.0%}"

    big = [("minor", "medium"), ("minor", "large")]
    adults = [k for k in rows if k[0] == "adults_only" and not k[1].startswith("site:")]
    out.append(
        f"  minors, face >= 30 px: minor_face {share(big, 1)} (medium+ {share(big, 2)}), any face finding "
        f"{share(big, 3)}"
    )
    out.append(f"  adults only: minor_face {share(adults, 1)} (medium+ {share(adults, 2)})")
    for key in sorted(rows):
        label_name, band = key
        out.append(
            f"    {label_name:13} {band:27} n={rows[key][0]:3}  minor_face {share([key], 1):>12}  medium+ "
            f"{share([key], 2):>12}  any face {share([key], 3):>12}"
        )
    return out


def photos(photos_dir: Path, labels_file: Path, baseline: str) -> None:
    """Today's pipeline (``baseline``) and this checkout's, per photo, side by side."""
    labels = json.loads(labels_file.read_text())
    sites = sorted({name.split("/")[0] for name in labels})
    missing = [n for n in labels if not (photos_dir / n).is_file()]
    if missing:
        sys.exit(f"{len(missing)} labelled photos missing under {photos_dir}: stage them with eval/photos/stage.py")
    with worktree(baseline) as tree, tempfile.TemporaryDirectory() as tmp:
        for context in ("auto", "school"):
            for name, code in ((f"baseline {baseline}", tree), ("this checkout", REPO)):
                started = time.perf_counter()
                found: dict[str, list[dict[str, str]]] = {}
                for site in sites:
                    files = [photos_dir / n for n in labels if n.split("/")[0] == site]
                    found |= _check_site(code, files, context, Path(tmp) / f"{site}-{context}-{len(found)}")
                print(f"\nphotos ({len(labels)}), --context {context}, {name} ({time.perf_counter() - started:.0f} s)")
                print("\n".join(_score(labels, photos_dir, found)))


def _vector(path: Path, pad: bool) -> np.ndarray | None:
    """The recogniser's vector of the largest face in a photo (a chip is edge-padded first, as for ages)."""
    pixels = np.asarray(Image.open(path).convert("RGB"))
    if pad:
        margin = pixels.shape[0] // 2
        pixels = np.pad(pixels, ((margin, margin), (margin, margin), (0, 0)), mode="edge")
    found = faces.analyse(pixels, faces.Thresholds())
    if not found:
        return None
    return face_models.recognizer()(persons.aligned(pixels, found[0].landmarks))


def grouping(age_dir: Path, pairs_dir: Path | None) -> None:
    with (age_dir / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    vectors = {r["file"]: (int(r["age"]), v) for r in rows if (v := _vector(age_dir / r["file"], True)) is not None}
    print(f"\ngrouping: complete linkage at cosine {persons.SAME_PERSON} on {len(vectors)} chips, one person each")
    print(f"{'band':6} {'faces':>5} {'merged':>6} {'pairs >= 0.36':>14} {'pairs >= SAME':>14}")
    for name, lo, hi in (("0-5", 0, 5), ("0-12", 0, 12), ("13-17", 13, 17), ("0-17", 0, 17), ("18+", 18, 200)):
        keys = [k for k, (age, _) in vectors.items() if lo <= age <= hi]
        sims = np.array([float(vectors[a][1] @ vectors[b][1]) for a, b in itertools.combinations(keys, 2)])
        groups = persons.group({(k, 0): vectors[k][1] for k in keys})
        merged = len(keys) - len(set(groups.values()))
        print(
            f"{name:6} {len(keys):>5} {merged:>6} {np.mean(sims >= 0.36):>14.1%} "
            f"{np.mean(sims >= persons.SAME_PERSON):>14.2%}"
        )
    if pairs_dir is None:
        print("same-person recall: pass --pairs DIR (photos and master.csv) to measure it")
        return
    with (pairs_dir / "master.csv").open() as fh:
        pairs = list(csv.DictReader(fh))
    cache = {n: _vector(pairs_dir / n, False) for n in {p[k] for p in pairs for k in ("file_x", "file_y")}}
    same: list[float] = []
    different: list[float] = []
    for p in pairs:
        a, b = cache[p["file_x"]], cache[p["file_y"]]
        if a is not None and b is not None:
            (same if p["Decision"] == "Yes" else different).append(float(a @ b))
    for threshold in (0.36, 0.5, persons.SAME_PERSON, 0.7):
        print(
            f"pairs in {pairs_dir.name} at {threshold}: same person across photos matched "
            f"{np.mean(np.array(same) >= threshold):.1%} of {len(same)}, different people matched "
            f"{np.mean(np.array(different) >= threshold):.1%} of {len(different)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("detect", "ages", "photos", "grouping"),
        default=["detect", "ages", "photos", "grouping"],
    )
    parser.add_argument("--photos", type=Path, help="the staged photo development set (eval/photos/stage.py)")
    parser.add_argument("--baseline", default="88b93fe", help="revision to compare with (default: before issue 19)")
    parser.add_argument("--pairs", type=Path, help="photos and master.csv of same/different person pairs")
    args = parser.parse_args()
    eval_dir = args.shared / "eval"
    if not eval_dir.is_dir():
        sys.exit(f"{eval_dir} not found: this benchmark needs ../shared/eval")
    if "detect" in args.only:
        _detectors(args.shared, eval_dir)
    if "ages" in args.only:
        ages(eval_dir / "age")
    if "photos" in args.only:
        if args.photos is None:
            print("\nphotos: pass --photos DIR (staged with ../shared/eval/photos/stage.py) to measure them")
        else:
            photos(args.photos, eval_dir / "photos" / "labels.json", args.baseline)
    if "grouping" in args.only:
        grouping(eval_dir / "age", args.pairs)


def _detectors(shared: Path, eval_dir: Path) -> None:
    default = (faces.COARSE_LONG_SIDE, faces.DETECT_LONG_SIDE)
    for sides in ((640, 640), (faces.DETECT_LONG_SIDE, faces.DETECT_LONG_SIDE), default):
        detector(eval_dir / "detect", sides)
    scrfd = shared / "models" / "insightface-scrfd"
    try:
        import insightface  # noqa: F401
    except ImportError:
        print("insightface not installed: its backend is not measured (pip install '.[insightface]')")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("scrfd_2.5g_kps.onnx", "scrfd_500m_kps.onnx"):
                if (scrfd / name).exists():
                    pack = Path(tmp) / name.removesuffix(".onnx")
                    pack.mkdir()
                    (pack / name).symlink_to(scrfd / name)
                    for sides in ((640, 640), default):
                        detector(eval_dir / "detect", sides, faces.FaceModelChoice("insightface", pack))


if __name__ == "__main__":
    main()
