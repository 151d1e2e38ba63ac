"""Spreadsheet exports beside ``findings.json``: ``findings.csv`` (one finding per row) and ``faces-per-page.csv``
(images with faces per page, for matching against the consent register)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from auditor.files import write_atomic
from auditor.report.masking import masker_for
from auditor.report.views import faces_per_page

FINDING_COLUMNS = ["id", "status", "severity", "check", "title", "asset", "page", "advice", "evidence"]


def findings_csv(document: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(FINDING_COLUMNS)
    for f in document["findings"]:
        writer.writerow(
            [
                f["id"],
                f.get("status", ""),
                f["severity"],
                f["check"],
                f["title"],
                f["asset"] or "",
                f["page"] or "",
                f["advice"],
                json.dumps(f["evidence"], ensure_ascii=False),
            ]
        )
    return buf.getvalue()


def faces_csv(document: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, ["page", "image", "faces", "possible_minors", "identifiable", "people"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(faces_per_page(document))
    return buf.getvalue()


def write(document: dict[str, Any], out: Path, *, show_names: bool = False) -> None:
    """The spreadsheets, with names masked as in the report unless ``show_names``."""
    if not show_names:
        document = masker_for(document).deep(document)
    write_atomic(out / "findings.csv", findings_csv(document))
    write_atomic(out / "faces-per-page.csv", faces_csv(document))
