"""The report's view-model builders, on small hand-made documents."""

from __future__ import annotations

from typing import Any

from auditor.report.causes import top_fixes
from auditor.report.charts import capture_histogram
from auditor.report.views import build, faces_per_page, mask_name, mask_names_in


def finding(
    check: str,
    severity: str,
    asset: str | None,
    evidence: dict[str, Any] | None = None,
    page: str | None = "https://s.example/",
) -> dict[str, Any]:
    return {
        "id": f"{check}-{asset}",
        "check": check,
        "severity": severity,
        "title": check,
        "asset": asset,
        "page": page,
        "evidence": evidence or {},
        "advice": f"fix {check}",
    }


def document(findings: list[dict[str, Any]], assets: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "tool": {"name": "exposure-auditor", "version": "0"},
        "scan": {
            "seeds": ["https://s.example/"],
            "started_at": "a",
            "finished_at": "b",
            "complete": True,
            "pages": 1,
            "assets": len(assets or []),
            "errors": 0,
            "config": {},
            "skipped": {},
            "checks_skipped": {},
        },
        "pages": [
            {
                "url": "https://s.example/",
                "final_url": "https://s.example/",
                "status": 200,
                "rendered": False,
                "depth": 0,
                "title": "Home",
                "directory_listing": False,
            }
        ],
        "assets": assets or [],
        "findings": findings,
        "errors": [],
    }


def test_names_are_masked_but_keep_their_shape() -> None:
    assert mask_name("Mary Jones") == "M*** J****"
    assert mask_names_in("Well done Mary Jones!", ["Mary Jones"]) == "Well done M*** J****!"


def test_build_masks_names_unless_asked() -> None:
    doc = document(
        [
            finding(
                "name_near_photo",
                "medium",
                "https://s.example/a.jpg",
                {
                    "names": ["Isla Brown"],
                    "matches": [{"page": "p", "where": "alt", "text": "Isla Brown wins", "names": ["Isla Brown"]}],
                },
            )
        ]
    )
    masked = build(doc, {})
    rows = dict(masked["sections"][0]["findings"][0]["evidence_rows"])
    assert "Isla" not in rows["names"] and "I*** B****" in rows["matches"]
    shown = build(doc, {}, show_names=True)
    assert "Isla Brown" in dict(shown["sections"][0]["findings"][0]["evidence_rows"])["names"]


def test_top_fixes_rank_by_what_a_fix_removes() -> None:
    fixes = top_fixes(
        [
            finding("gps_location", "critical", "https://s.example/a.jpg"),
            finding("device_serial", "medium", "https://s.example/a.jpg"),
            finding("directory_listing", "high", None, page="https://s.example/uploads/"),
            finding("ai_training_not_reserved", "low", None, page="https://s.example/x"),
        ]
    )
    assert [f["target"] for f in fixes] == [
        "https://s.example/a.jpg",
        "https://s.example/uploads/",
        "https://s.example/x",
    ]
    assert fixes[0]["severity"] == "critical" and fixes[0]["score"] == 110


def test_sections_follow_the_products_priorities_and_counts_add_up() -> None:
    doc = document(
        [
            finding("gps_location", "critical", "u1"),
            finding("minor_face", "high", "u2"),
            finding("gps_location", "critical", "u3"),
        ]
    )
    model = build(doc, {})
    assert [s["check"] for s in model["sections"]] == ["minor_face", "gps_location"]
    assert dict(model["severity_counts"]) == {"critical": 2, "high": 1, "medium": 0, "low": 0, "info": 0}
    assert model["risk"] == "critical"


def test_consent_register_rows_and_capture_histogram() -> None:
    face = {"triage": "possible_minor", "iod": 40.0}
    assets: list[dict[str, Any]] = [
        {
            "url": "https://s.example/a.jpg",
            "type": "image",
            "found_on": ["https://s.example/p1", "https://s.example/p2"],
            "faces": [face, {**face, "triage": "adult", "iod": 10.0}],
            "metadata": {"date_taken": "2019:05:01 10:00:00"},
        },
        {
            "url": "https://s.example/b.jpg",
            "type": "image",
            "found_on": ["https://s.example/p1"],
            "faces": [],
            "metadata": None,
        },
        {  # no capture date: the server's date is an upload date, never counted as the year it was taken
            "url": "https://s.example/c.jpg",
            "type": "image",
            "found_on": [],
            "faces": None,
            "metadata": {"date_taken": None},
            "last_modified": "Tue, 02 Mar 2021 10:00:00 GMT",
        },
    ]
    rows = faces_per_page(document([], assets))
    assert rows == [
        {
            "page": "https://s.example/p1",
            "image": "https://s.example/a.jpg",
            "faces": 2,
            "possible_minors": 1,
            "identifiable": 1,
            "people": "",
        },
        {
            "page": "https://s.example/p2",
            "image": "https://s.example/a.jpg",
            "faces": 2,
            "possible_minors": 1,
            "identifiable": 1,
            "people": "",
        },
    ]
    assert capture_histogram(assets) == [("2019", 1, 0), ("2021", 0, 1), ("unknown", 1, 0)]


def test_values_read_as_plain_language() -> None:
    from auditor.report.views import plain_value
    from auditor.report.words import plural

    assert plain_value(True) == "yes" and plain_value(None) == "—" and plain_value([1200, 800]) == "1200 × 800"
    assert plain_value({"EXIF:Artist": "J. Smith", "precise": False}) == "EXIF:Artist: J. Smith; precise: no"
    assert plain_value(["a", "b"]) == "a, b" and plain_value(0.25) == "0.25"
    assert (
        plural(1, "face") == "1 face" and plural(3, "face") == "3 faces" and plural(2, "copy", "copies") == "2 copies"
    )
