"""The report's trend over every scan kept in --state (issue 15): findings by severity per scan, as an inline SVG
with the numbers beside it, and the same series in findings.json's history."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main
from tests.analyze import images


def test_three_scans_give_a_three_bar_trend(tmp_path: Path) -> None:
    folder, state = tmp_path / "photos", tmp_path / "state"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(images.jpeg(lat=51.5, lon=-0.12))
    for n in range(3):
        if n == 1:
            (folder / "b.jpg").write_bytes(images.jpeg(images.scene(seed=4), lat=48.85, lon=2.35, serial="SN-9"))
        if n == 2:
            (folder / "a.jpg").unlink()
        CliRunner().invoke(main, ["check", str(folder), "--out", str(tmp_path / f"o{n}"), "--state", str(state)])
    document = json.loads((tmp_path / "o2" / "findings.json").read_text())
    trend = document["history"]["trend"]
    assert len(trend) == 3
    totals = [sum(t["counts"].values()) for t in trend]
    assert totals[-1] == len(document["findings"]) and totals[0] < totals[1] and totals[2] < totals[1]
    report = (tmp_path / "o2" / "report.html").read_text()
    chart = report[report.index('<figure id="trend-chart">') : report.index("</figure>")]
    assert "over the last 3 scans" in chart
    xs = sorted({float(x) for x in re.findall(r'<rect class="bar-\w+" x="([\d.]+)"', chart)})
    assert len(xs) == 3  # one bar per scan
    first = (tmp_path / "o0" / "report.html").read_text()
    assert 'id="trend-chart"' not in first  # one scan: a number says it, no chart
