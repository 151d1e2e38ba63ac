"""What the checks concluded: findings, facts read from each file, faces, the report's redacted thumbnails, and
the errors of every stage. Each stage replaces its own results in one transaction, so a resumed scan ends the
same as an uninterrupted one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from auditor.models import Finding
from auditor.store.base import StoreBase


@dataclass(frozen=True, slots=True)
class AssetRow:
    """One image or document as ``findings.json`` lists it, before its facts and faces are attached."""

    url: str
    type: str
    status: int | None
    final_url: str | None
    content_type: str | None
    bytes: int | None
    sha256: str | None
    fetched: bool
    last_modified: str | None
    sources: list[tuple[str, str, int | None, int | None]]  # (page, via, rendered width, rendered height)


@dataclass(slots=True)
class AnalysisResults:
    """Everything one run of the analysis stage writes (see :meth:`ResultStore.replace_analysis`)."""

    checks: tuple[str, ...]
    findings: list[Finding]
    facts: list[tuple[str, str]]  # (url, JSON facts)
    faces: list[tuple[str, str]]  # (url, JSON faces)
    thumbnails: dict[str, bytes]  # content hash -> redacted JPEG
    errors: list[tuple[str, str]]  # (url, message)


class ResultStore(StoreBase):
    def replace_findings(self, checks: tuple[str, ...] | list[str], findings: list[Finding]) -> None:
        """The findings of ``checks``, replacing any an earlier run of them left."""
        with self.transaction():
            self._replace_findings(checks, findings)

    def _replace_findings(self, checks: tuple[str, ...] | list[str], findings: list[Finding]) -> None:
        self.db.executemany("DELETE FROM findings WHERE check_id = ?", [(c,) for c in checks])
        self.db.executemany(
            "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(f.id, f.check, f.severity, f.title, f.asset, f.page, json.dumps(f.evidence), f.advice) for f in findings],
        )

    def replace_analysis(self, results: AnalysisResults) -> None:
        """The analysis stage's whole output, in one transaction."""
        with self.transaction():
            self._replace_findings(results.checks, results.findings)
            self.db.execute("DELETE FROM asset_info")
            self.db.execute("DELETE FROM faces")
            self.db.executemany("INSERT INTO faces VALUES (?, ?)", results.faces)
            self.db.execute("DELETE FROM thumbnails")
            self.db.executemany("INSERT INTO thumbnails VALUES (?, ?)", results.thumbnails.items())
            self.db.execute("DELETE FROM errors WHERE stage = 'analyze'")
            self.db.executemany("INSERT OR REPLACE INTO asset_info VALUES (?, ?)", results.facts)
            for url, message in results.errors:
                self.add_error(url, "analyze", message)

    def findings(self) -> list[dict[str, Any]]:
        """Every finding as ``findings.json`` writes it (unsorted)."""
        rows = self.db.execute("SELECT id, check_id, severity, title, asset, page, evidence, advice FROM findings")
        return [
            {
                "id": i,
                "check": c,
                "severity": s,
                "title": t,
                "asset": a,
                "page": p,
                "evidence": json.loads(e),
                "advice": adv,
            }
            for i, c, s, t, a, p, e, adv in rows.fetchall()
        ]

    def asset_rows(self) -> list[AssetRow]:
        """Every image and document, by URL; a speculative URL that turned out not to exist is left out."""
        rows = self.db.execute(
            """SELECT url, type, status, final_url, content_type, bytes, sha256, state, last_modified FROM assets
               WHERE NOT (speculative = 1 AND (status IS NULL OR status >= 300)) ORDER BY url"""
        ).fetchall()
        out = []
        for url, kind, status, final, ctype, size, sha, state, modified in rows:
            sources = self.db.execute(
                "SELECT page_url, via, rendered_w, rendered_h FROM sources WHERE asset_url = ? ORDER BY page_url, via",
                (url,),
            ).fetchall()
            out.append(
                AssetRow(
                    url,
                    kind,
                    status,
                    final,
                    ctype,
                    size,
                    sha,
                    state == "done" and sha is not None,
                    modified,
                    [(p, v, w, h) for p, v, w, h in sources],
                )
            )
        return out

    def facts(self) -> dict[str, Any]:
        """url -> the facts read from the file (format, size, metadata blocks...)."""
        return {u: json.loads(f) for u, f in self.db.execute("SELECT url, facts FROM asset_info")}

    def faces(self) -> dict[str, Any]:
        """url -> the faces found in it (boxes, ages, triage)."""
        return {u: json.loads(f) for u, f in self.db.execute("SELECT url, faces FROM faces")}

    def thumbnails(self) -> dict[str, bytes]:
        """content hash -> the report's redacted thumbnail, made by the face stage."""
        return dict(self.db.execute("SELECT sha256, jpeg FROM thumbnails").fetchall())

    def errors(self, stage: str | None = None) -> list[tuple[str, str, str]]:
        """(url, stage, message), by stage then URL; only ``stage``'s when given."""
        if stage is None:
            rows = self.db.execute("SELECT url, stage, message FROM errors ORDER BY stage, url")
        else:
            rows = self.db.execute("SELECT url, stage, message FROM errors WHERE stage = ? ORDER BY url", (stage,))
        return [(u, s, m) for u, s, m in rows.fetchall()]

    def error_count(self) -> int:
        return self.count("errors")
