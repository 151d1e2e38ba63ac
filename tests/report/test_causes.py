""" "Fix first" leads with root causes (issue 15): one device writing its position into many photos, one folder
serving originals, one page full of children's faces, a person in many photos, a public share link; a file no
shared cause explains stays a file; accepted findings are left out."""

from __future__ import annotations

from typing import Any

from auditor.report.causes import root_causes


def _finding(
    n: int, check: str, severity: str, asset: str | None, page: str | None = "https://s.example/p"
) -> dict[str, Any]:
    return {
        "id": f"f{n}",
        "check": check,
        "severity": severity,
        "title": f"title {n}",
        "asset": asset,
        "page": page,
        "evidence": {},
        "advice": f"advice {n}",
    }


def _document(findings: list[dict[str, Any]], cameras: dict[str, str]) -> dict[str, Any]:
    urls = {f["asset"] for f in findings if f["asset"]}
    assets = [{"url": u, "metadata": {"camera": cameras.get(u)}} for u in sorted(urls)]
    return {"findings": findings, "assets": assets, "scan": {"config": {"out": "audit"}}}


def test_causes_group_by_device_folder_and_page_and_rank_by_risk() -> None:
    phone = {f"https://s.example/up/{n}.jpg": "Apple iPhone 12" for n in range(3)}
    findings = [
        *(_finding(n, "gps_location", "critical", f"https://s.example/up/{n}.jpg") for n in range(3)),
        *(_finding(10 + n, "oversized_image", "medium", f"https://s.example/gallery/{n}.jpg") for n in range(4)),
        *(
            _finding(20 + n, "minor_face", "high", f"https://s.example/class/{n}.jpg", "https://s.example/year-4")
            for n in range(3)
        ),
        _finding(30, "person_exposure", "high", "https://s.example/class/0.jpg"),
        _finding(31, "public_share_link", "high", "https://drive.google.com/drive/folders/x"),
        _finding(32, "device_serial", "medium", "https://s.example/lonely.jpg"),
        {**_finding(33, "gps_location", "critical", "https://s.example/accepted.jpg"), "accepted": {"reason": "ok"}},
    ]
    causes = root_causes(_document(findings, {**phone, "https://s.example/accepted.jpg": "Apple iPhone 12"}))
    keys = [c["key"] for c in causes]
    assert keys[0] == "device:Apple iPhone 12"  # 3 critical: the most risk removed by one action
    device = causes[0]
    assert device["findings"] == 3 and "Switch off location" in device["action"]  # the accepted one is not counted
    assert "auditor fix --from-scan audit" in device["command"]
    assert "page:https://s.example/year-4" in keys and "folder:https://s.example/gallery/" in keys
    folder = next(c for c in causes if c["key"].startswith("folder:"))
    assert folder["findings"] == 4 and "--max-side 1200" in folder["command"] and len(folder["files"]) == 4
    assert any(k.startswith("person:") for k in keys) and any(k.startswith("share:") for k in keys)
    assert "file:https://s.example/lonely.jpg" in keys  # one file on its own stays a file
    assert [c["score"] for c in causes] == sorted((c["score"] for c in causes), reverse=True)


def test_a_page_of_childrens_photos_is_one_action_with_their_other_face_findings() -> None:
    """Three burst shots on one page: publishing them small clears their minor_face and identifiable_face findings
    alike, so they are one action (before: the page's action, and a card per photo for its recognisable faces)."""
    page = "https://s.example/assembly"
    photos = [f"https://s.example/photos/assembly-{n}.jpg" for n in range(3)]
    findings = [
        *(_finding(n, "minor_face", "high", photos[n], page) for n in range(3)),
        *(_finding(10 + n, "identifiable_face", "high", photos[n], page) for n in range(3)),
    ]
    causes = root_causes(_document(findings, {}))
    assert [c["key"] for c in causes] == [f"page:{page}"]
    assert causes[0]["findings"] == 6 and set(causes[0]["files"]) == set(photos)
    assert causes[0]["finding_ids"] == sorted(f["id"] for f in findings)
