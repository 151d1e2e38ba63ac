"""Precision and recall of ``name_near_photo``'s name finder on labelled captions and file names.

    python benchmarks/names_precision.py

``benchmarks/data/captions.jsonl`` is the set the rules were written against (expect it to look good);
``captions-holdout.jsonl`` was written before any tuning and never tuned on: quote that one. Both are realistic
school-site captions made up for this purpose (fictional names). Scores per snippet ("does this text name
someone?", what the finding reports) and per name (exact, case-insensitive).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.analyze.names import filename_words, names_in, names_in_filenames

DATA = Path(__file__).resolve().parent / "data"


def predict(rows: list[dict]) -> list[list[str]]:  # type: ignore[type-arg]
    captions = names_in([r["text"] for r in rows if r.get("kind") != "filename"])
    words = {r["text"]: filename_words(r["text"]) for r in rows if r.get("kind") == "filename"}
    files = names_in_filenames([w for w in words.values() if w])
    return [files.get(words[r["text"]] or "", []) if r.get("kind") == "filename" else captions[r["text"]] for r in rows]


def score(path: Path, verbose: bool = True) -> dict[str, float]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    started = time.perf_counter()
    predicted = predict(rows)
    elapsed = time.perf_counter() - started
    s_tp = s_fp = s_fn = n_tp = n_fp = n_fn = 0
    for row, got in zip(rows, predicted, strict=True):
        want, have = {n.lower() for n in row["names"]}, {n.lower() for n in got}
        n_tp, n_fp, n_fn = n_tp + len(want & have), n_fp + len(have - want), n_fn + len(want - have)
        s_tp += bool(want and have)
        s_fp += bool(have and not want)
        s_fn += bool(want and not have)
        if verbose and want != have:
            print(f"  {row['text']!r}: found {got}, labelled {row['names']}")
    result = {
        "snippet_precision": s_tp / max(s_tp + s_fp, 1),
        "snippet_recall": s_tp / max(s_tp + s_fn, 1),
        "name_precision": n_tp / max(n_tp + n_fp, 1),
        "name_recall": n_tp / max(n_tp + n_fn, 1),
    }
    print(
        f"{path.name}: {len(rows)} snippets, snippet P {result['snippet_precision']:.0%} "
        f"R {result['snippet_recall']:.0%}, name P {result['name_precision']:.0%} R {result['name_recall']:.0%}, "
        f"{len(rows) / elapsed:.0f} snippets/s (incl. model load on first use)"
    )
    return result


if __name__ == "__main__":
    for name in ("captions.jsonl", "captions-holdout.jsonl", "page-strings.jsonl"):
        score(DATA / name)
