"""Face pipeline measurements on ``../shared/eval``: printed, never asserted.

    python benchmarks/faces.py [--shared ../shared]

- Detector (``eval/detect``, WIDER FACE val subset): recall at IoU 0.5 by face height (all, >= 32 px, >= 64 px),
  precision, ms per image with one pass at 640 px, one at DETECT_LONG_SIDE, and the default cascade (a first look
  at COARSE_LONG_SIDE, a second at DETECT_LONG_SIDE only where someone was found).
- Age (``eval/age``, aligned UTKFace chips, development split): each chip is edge-padded and its known face box
  handed to the age model (so these are age-model figures; the detector's misses on chips are counted apart).
  MAE and bias per band, the minor triage as a table of thresholds (under-18s flagged, 13-17 flagged, adults
  18-25 and 26+ flagged), ROC AUC, and the threshold a 5-fold cross-validation picks for 98 % of under-18s.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.analyze import faces

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
    truth, estimates, detected = [], [], 0
    for row in rows:
        pixels = np.asarray(Image.open(root / row["file"]).convert("RGB"))
        pad = pixels.shape[0] // 4
        padded = np.pad(pixels, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        detected += bool(faces.detect(padded))
        age, _, _ = faces._age(padded, (pad, pad, pixels.shape[1], pixels.shape[0]))
        truth.append(int(row["age"]))
        estimates.append(age)
    t, e = np.array(truth), np.array(estimates)
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
        threshold = next((th for th in np.arange(15, 45, 0.5) if (e[train & minors] < th).mean() >= 0.98), 45.0)
        picked.append(threshold)
        held.append(((e[test & minors] < threshold).mean(), (e[test & (t >= 26)] < threshold).mean()))
    print(
        f"\n5-fold CV threshold for 98 % of under-18s: {statistics.mean(picked):.1f} "
        f"(folds {', '.join(f'{p:.1f}' for p in picked)}); held-out under-18s flagged "
        f"{np.mean([h[0] for h in held]):.0%}, adults 26+ flagged {np.mean([h[1] for h in held]):.0%}"
    )
    default = faces.Thresholds()
    for context in ("general", "school"):
        th = default.for_context(context)
        flagged = e < th.minor
        print(
            f"default thresholds, --context {context} (minor < {th.minor}): under-18s {flagged[minors].mean():.0%}"
            f" (13-17 {flagged[teen].mean():.0%}), adults 18-25 {flagged[young].mean():.0%}, "
            f"26+ {flagged[t >= 26].mean():.0%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = parser.parse_args()
    eval_dir = args.shared / "eval"
    if not eval_dir.is_dir():
        sys.exit(f"{eval_dir} not found: this benchmark needs ../shared/eval")
    default = (faces.COARSE_LONG_SIDE, faces.DETECT_LONG_SIDE)
    for sides in ((640, 640), (faces.DETECT_LONG_SIDE, faces.DETECT_LONG_SIDE), default):
        detector(eval_dir / "detect", sides)
    scrfd = args.shared / "models" / "insightface-scrfd"
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
    ages(eval_dir / "age")


if __name__ == "__main__":
    main()
