"""What a school meets first (issue 25): findings only where a photo can be, names that are names, Fix first in
``findings.json``, runs that cannot be compared refused, and a site's history that can be forgotten.

A real scan of a real loopback site that reproduces what was seen on real school sites: an SVG icon font at three
addresses, a 210-byte AppleDouble leftover named ``bg.png``, an SVG banner wrapping a photo with a GPS position, a
truncated real photo at two addresses, and an upload form whose alt texts are document kinds.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.models import SEVERITIES
from tests.analyze import images
from tests.server import Route, Site

ICON_FONT = (
    '<?xml version="1.0" standalone="no"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" >\n<svg xmlns="http://www.w3.org/2000/svg"><defs>'
    '<font id="fontawesomeregular" horiz-adv-x="1536"><font-face units-per-em="1792" ascent="1536" descent="-256"/>'
    '<glyph glyph-name="glass" unicode="&#xf000;" d="M1699 1350q0 -35 -43 -78l-632 -632v-768h320z"/></font></defs>'
    "</svg>\n"
)
APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 186


def _banner() -> str:
    """An SVG that wraps a photo taken at a precise position (base64 wrapped over lines, as Inkscape writes it)."""
    photo = base64.b64encode(images.jpeg(images.scene(640, 480), lat=51.5007, lon=-0.1246)).decode()
    wrapped = "\n".join(photo[i : i + 76] for i in range(0, len(photo), 76))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="640" '
        f'height="480"><image width="640" height="480" xlink:href="data:image/jpeg;base64,{wrapped}"/></svg>'
    )


def _many_pictures() -> str:
    """An SVG that embeds more pictures than are read (one past the cap)."""
    dot = base64.b64encode(images.save(images.scene(8, 8), "PNG")).decode()
    tags = "".join(f'<image x="{k}" width="8" height="8" href="data:image/png;base64,{dot}"/>' for k in range(301))
    return f'<svg xmlns="http://www.w3.org/2000/svg">{tags}</svg>'


def _site() -> Site:
    truncated = images.jpeg(images.scene(800, 600))[:6000]
    page = (
        "<html><head><title>Hillside Primary</title></head><body>"
        "<img src='/fonts/fontawesome-webfont.svg'><img src='/fonts/fontawesome-webfont.svg?v=4.7.0'>"
        "<img src='/other/fontawesome-webfont.svg'><img src='/bg.png'><img src='/banner.svg'>"
        "<img src='/photos/trip.jpg'><img src='/photos/trip.jpg?size=large'><img src='/many.svg'>"
        "<form><img src='/form.jpg' alt='Aadhaar Card, Birth Certificate, Cast Certificate, Transfer Certificate'>"
        "<table><tr><th>Name</th><th>Department</th></tr></table></form>"
        "<img src='/team.jpg' alt='Amelia Turner collects the reading prize'>"
        "<a href='/private/minutes.pdf'>Governors' minutes</a>"
        "</body></html>"
    )
    svg, jpeg = "image/svg+xml", "image/jpeg"
    return Site(
        {
            "/": Route(page),
            "/robots.txt": Route("User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
            "/fonts/fontawesome-webfont.svg": Route(ICON_FONT, content_type=svg),
            "/other/fontawesome-webfont.svg": Route(ICON_FONT, content_type=svg),
            "/bg.png": Route(APPLE_DOUBLE, content_type="image/png"),
            "/banner.svg": Route(_banner(), content_type=svg),
            "/many.svg": Route(_many_pictures(), content_type=svg),
            "/photos/trip.jpg": Route(truncated, content_type=jpeg),
            "/form.jpg": Route(images.jpeg(images.scene(200, 150, seed=3)), content_type=jpeg),
            "/team.jpg": Route(images.jpeg(images.scene(300, 200, seed=5)), content_type=jpeg),
        }
    )


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("first-screen") / "out"
    with _site().serve() as base:
        result = CliRunner().invoke(main, ["scan", f"{base}/", "--out", str(out), "--no-state", "--render", "never"])
    assert result.exit_code in (0, 1), result.output
    document: dict[str, Any] = json.loads((out / "findings.json").read_text())
    document["_out"] = str(out)
    return document


def _of(document: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [f for f in document["findings"] if f["check"] == check]


def test_an_icon_font_is_no_finding_and_an_svg_is_read_for_the_photo_it_wraps(scanned: dict[str, Any]) -> None:
    assert not [f for f in scanned["findings"] if "fontawesome" in (f["asset"] or "")]
    (gps,) = _of(scanned, "gps_location")
    assert gps["asset"].endswith("/banner.svg#image=0") and gps["severity"] == "critical"


def test_pictures_an_svg_embeds_past_the_cap_are_said_not_checked(scanned: dict[str, Any]) -> None:
    (many,) = [f for f in _of(scanned, "not_checked") if f["asset"].endswith("/many.svg")]
    assert many["severity"] == "high" and "1 of the pictures embedded" in many["evidence"]["reason"]


def test_a_file_too_small_for_a_photo_is_info_and_a_broken_photo_stays_high(scanned: dict[str, Any]) -> None:
    unread = {f["asset"].rsplit("/", 1)[-1]: f for f in _of(scanned, "not_checked")}
    assert unread["bg.png"]["severity"] == "info" and "AppleDouble" in unread["bg.png"]["evidence"]["reason"]
    assert unread["trip.jpg"]["severity"] == "high"
    fix_first = [cause for cause in scanned["fix_first"] for f in cause["files"] if f.endswith("bg.png")]
    assert fix_first == [], "a file that cannot show anyone is not something to fix first"


def test_one_unreadable_file_at_two_addresses_is_one_finding(scanned: dict[str, Any]) -> None:
    trips = [f for f in _of(scanned, "not_checked") if "/photos/trip.jpg" in f["asset"]]
    assert len(trips) == 1
    assert [a.rsplit("/", 1)[-1] for a in trips[0]["evidence"]["also_at"]] == ["trip.jpg?size=large"]


def test_document_kinds_and_table_headers_are_not_names(scanned: dict[str, Any]) -> None:
    named = {f["asset"].rsplit("/", 1)[-1]: f["evidence"]["names"] for f in _of(scanned, "name_near_photo")}
    assert "form.jpg" not in named
    assert named["team.jpg"] == ["Amelia Turner"]  # the control: a real name beside a photo is still found


def test_fix_first_is_in_findings_json_with_the_findings_each_action_clears(scanned: dict[str, Any]) -> None:
    ids = {f["id"] for f in scanned["findings"]}
    assert scanned["schema_version"] == "1.6" and scanned["fix_first"]
    for cause in scanned["fix_first"]:
        assert cause["finding_ids"] and set(cause["finding_ids"]) <= ids
        assert cause["findings"] == len(cause["finding_ids"])
    report = (Path(scanned["_out"]) / "report.html").read_text()
    assert scanned["fix_first"][0]["action"].split(".")[0][:40] in report.replace("&#39;", "'")


def test_the_dpia_summary_counts_what_was_read(scanned: dict[str, Any]) -> None:
    """A document robots.txt kept out was never audited: it is not counted as one, but as a file not read."""
    report = (Path(scanned["_out"]) / "report.html").read_text()
    assert "<td>Documents</td><td>0</td>" in report
    assert "Files found but not read" in report


def test_diff_refuses_a_scan_against_a_local_check(scanned: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(images.jpeg())
    check = CliRunner().invoke(main, ["check", str(folder), "--out", str(tmp_path / "c"), "--no-state"])
    assert check.exit_code in (0, 1), check.output
    refused = CliRunner().invoke(main, ["diff", scanned["_out"], str(tmp_path / "c")])
    assert refused.exit_code == 2 and "a scan and a check" in refused.output and "resolved:" not in refused.output
    forced = CliRunner().invoke(main, ["diff", scanned["_out"], str(tmp_path / "c"), "--allow-different"])
    assert forced.exit_code == 0 and "WARNING" in forced.output


def test_forget_deletes_a_sites_history_cached_faces_and_thumbnails(tmp_path: Path) -> None:
    """The default --state keeps face boxes and redacted thumbnails outside --out; auditor forget deletes them."""
    folder, state = tmp_path / "photos", tmp_path / "state"
    folder.mkdir()
    (folder / "visit.jpg").write_bytes(images.jpeg(images.scene(320, 240)))
    for run in ("o1", "o2"):
        result = CliRunner().invoke(main, ["check", str(folder), "--out", str(tmp_path / run), "--state", str(state)])
        assert result.exit_code in (0, 1), result.output

    def rows(table: str) -> int:
        with sqlite3.connect(state / "history.sqlite3") as db:
            return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    assert rows("scans") == 2 and rows("face_cache") == 1
    trend = json.loads((tmp_path / "o2" / "findings.json").read_text())["history"]["trend"]
    assert [sorted(point["counts"]) for point in trend] == [sorted(SEVERITIES)] * 2  # every entry has every key
    listed = CliRunner().invoke(main, ["forget", "--state", str(state)])
    assert folder.resolve().as_uri() in listed.output and "2 scans recorded" in listed.output
    unknown = CliRunner().invoke(main, ["forget", "https://other.example/", "--state", str(state)])
    assert unknown.exit_code == 2 and rows("scans") == 2
    forgot = CliRunner().invoke(main, ["forget", str(folder), "--state", str(state)])
    assert forgot.exit_code == 0, forgot.output
    assert rows("scans") == rows("findings") == rows("face_cache") == 0
