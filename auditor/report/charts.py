"""Small inline charts for the report and the fleet dashboard: no script, no image file; colours follow the
template's light and dark mode."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from auditor.models import SEVERITIES

CHART_HEIGHT, BAR_WIDTH, BAR_GAP, LABEL_WIDTH = 120, 18, 6, 70


def trend_chart(trend: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Stacked bars of findings by severity, one per scan (oldest first, this scan last), for an inline SVG drawn
    by the template: no script, no image file, the colours follow light and dark mode. ``None`` for fewer than
    two scans (one bar says nothing a number does not)."""
    if len(trend) < 2:
        return None
    tallest = max(sum(t["counts"].values()) for t in trend) or 1
    bars = []
    for k, point in enumerate(trend):
        x, y = k * (BAR_WIDTH + BAR_GAP), float(CHART_HEIGHT)
        for severity in reversed(SEVERITIES):  # info at the bottom, critical on top
            count = int(point["counts"].get(severity, 0))
            if not count:
                continue
            height = count / tallest * (CHART_HEIGHT - 10)
            y -= height
            bars.append({"x": x, "y": round(y, 1), "height": round(height, 1), "severity": severity, "count": count})
    width = max(len(trend) * (BAR_WIDTH + BAR_GAP), 2 * LABEL_WIDTH)
    labels = [{"x": 0, "anchor": "start", "text": (trend[0].get("finished_at") or "")[:10]}]
    labels.append({"x": width, "anchor": "end", "text": (trend[-1].get("finished_at") or "")[:10]})
    rows = [
        ((t.get("finished_at") or "this scan")[:16].replace("T", " "), [t["counts"].get(s, 0) for s in SEVERITIES])
        for t in trend
    ]
    return {
        "width": width,
        "height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "bars": bars,
        "labels": labels,
        "rows": rows,
        "severities": SEVERITIES,
        "scans": len(trend),
    }


def capture_histogram(assets: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    """Images by year, for retention: (year, images whose metadata says they were taken that year, images with no
    capture date whose server says it last changed them that year). A server's Last-Modified is when the file was
    uploaded or copied, not when the photo was taken, so the two are never added together."""
    taken: Counter[str] = Counter()
    served: Counter[str] = Counter()
    for asset in assets:
        if asset["type"] != "image":
            continue
        date = (asset.get("metadata") or {}).get("date_taken") or ""
        if match := re.match(r"(19|20)\d\d", date):
            taken[match.group(0)] += 1
        elif match := re.search(r"\b(19|20)\d\d\b", asset.get("last_modified") or ""):
            served[match.group(0)] += 1
        else:
            taken["unknown"] += 1
    return [(year, taken[year], served[year]) for year in sorted(set(taken) | set(served))]
