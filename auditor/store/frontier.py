"""The frontier and the pages: queueing and ranking (breadth-first, deterministic), the page budget, and what
each crawled page was."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.models import PageRecord, PageSignals
from auditor.store.base import StoreBase


@dataclass(frozen=True, slots=True)
class FrontierItem:
    url: str
    depth: int
    rank: int
    probe: bool


class FrontierStore(StoreBase):
    def add_page(
        self,
        url: str,
        depth: int,
        prank: int,
        idx: int,
        probe: bool = False,
        parent: str | None = None,
    ) -> None:
        """Queue a page; if it is already queued at a later position, move it earlier (deterministic order)."""
        self.db.execute(
            """INSERT INTO pages (url, depth, prank, idx, probe, parent) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET depth = excluded.depth, prank = excluded.prank, idx = excluded.idx,
                 probe = excluded.probe, parent = excluded.parent
               WHERE state = 'pending' AND rank IS NULL
                 AND (excluded.depth, excluded.prank, excluded.idx) < (depth, prank, idx)""",
            (url, depth, prank, idx, int(probe), parent),
        )

    def next_level(self, max_pages: int) -> list[FrontierItem]:
        """The pending pages of the shallowest depth, ranked; pages past the ``max_pages`` budget are skipped."""
        row = self.db.execute("SELECT MIN(depth) FROM pages WHERE state = 'pending'").fetchone()
        if row[0] is None:
            return []
        depth = row[0]
        with self.transaction():
            db = self.db
            unranked = db.execute(
                """SELECT url FROM pages WHERE state = 'pending' AND depth = ? AND rank IS NULL
                   ORDER BY prank, idx, url""",
                (depth,),
            ).fetchall()
            start = db.execute("SELECT COALESCE(MAX(rank), -1) + 1 FROM pages").fetchone()[0]
            db.executemany(
                "UPDATE pages SET rank = ? WHERE url = ?", [(start + i, u) for i, (u,) in enumerate(unranked)]
            )
            # Folder probes that found nothing do not use up the page budget.
            used = db.execute(
                """SELECT COUNT(*) FROM pages WHERE state NOT IN ('pending', 'skipped')
                   AND NOT (probe = 1 AND (status IS NULL OR status >= 400))"""
            ).fetchone()[0]
            rows = db.execute(
                "SELECT url, depth, rank, probe FROM pages WHERE state = 'pending' AND depth = ? ORDER BY rank",
                (depth,),
            ).fetchall()
            budget = max(0, max_pages - used)
            for url, *_ in rows[budget:]:
                db.execute("UPDATE pages SET state = 'skipped' WHERE url = ?", (url,))
        return [FrontierItem(u, d, r, bool(p)) for u, d, r, p in rows[:budget]]

    def page_done(self, url: str) -> bool:
        """Has ``url`` been crawled already, under its own name or as another URL's redirect target?"""
        row = self.db.execute(
            "SELECT 1 FROM pages WHERE (url = ? OR final_url = ?) AND state = 'done' LIMIT 1", (url, url)
        ).fetchone()
        return row is not None

    def set_page_state(self, url: str, state: str) -> None:
        """``robots`` (not fetched: a rule), ``done`` (fetched, or failed: the errors say why)."""
        self.db.execute("UPDATE pages SET state = ? WHERE url = ?", (state, url))

    def page_parent(self, url: str) -> str | None:
        row = self.db.execute("SELECT parent FROM pages WHERE url = ?", (url,)).fetchone()
        return row[0] if row and row[0] else None

    def mark_page_asset(self, url: str, status: int, final_url: str) -> None:
        """A link that answered with an image or a document: not a page after all."""
        self.db.execute(
            "UPDATE pages SET state = 'asset', status = ?, final_url = ? WHERE url = ?", (status, final_url, url)
        )

    def finish_page(
        self,
        url: str,
        status: int,
        final_url: str,
        content_type: str,
        title: str | None,
        rendered: bool,
        listing: bool,
        signals: PageSignals,
    ) -> None:
        self.db.execute(
            """UPDATE pages SET state = 'done', status = ?, final_url = ?, content_type = ?, title = ?,
               rendered = ?, listing = ?, noai = ?, noimageai = ?, tdm = ? WHERE url = ?""",
            (
                status,
                final_url,
                content_type,
                title,
                int(rendered),
                int(listing),
                int(signals.noai),
                int(signals.noimageai),
                int(signals.tdm_reservation),
                url,
            ),
        )

    def skip_pending_for_time(self) -> None:
        """The time budget is spent: every page and asset still pending is recorded as skipped for time."""
        with self.transaction():
            self.db.execute("UPDATE pages SET state = 'time' WHERE state = 'pending'")
            self.db.execute("UPDATE assets SET state = 'time' WHERE state = 'pending'")

    def pages_crawled(self) -> int:
        """Pages fetched, for the progress line (folder probes that found nothing are not pages)."""
        return self.count("pages", "state = 'done' AND (probe = 0 OR status < 400)")

    def page_records(self) -> list[PageRecord]:
        """Every page that answered (folder probes only when they found something), in crawl order."""
        rows = self.db.execute(
            """SELECT url, final_url, status, rendered, depth, title, listing FROM pages
               WHERE state = 'done' AND status IS NOT NULL AND (probe = 0 OR status < 400)
               ORDER BY depth, rank, url"""
        ).fetchall()
        return [PageRecord(u, f or u, s, bool(r), d, t, bool(li)) for u, f, s, r, d, t, li in rows]

    def page_counts(self) -> dict[str, int]:
        """Pages that answered 200 (not listings), those with a noai/noimageai signal, those with tdm-reservation."""
        where = "state = 'done' AND status = 200"
        return {
            "total": self.count("pages", f"{where} AND listing = 0"),
            "noai": self.count("pages", f"{where} AND listing = 0 AND (noai = 1 OR noimageai = 1)"),
            "tdm": self.count("pages", f"{where} AND tdm = 1"),
        }

    def skipped_counts(self) -> dict[str, int]:
        """What a limit or robots.txt kept the crawl from fetching (``scan.skipped``)."""
        return {
            "max_pages": self.count("pages", "state = 'skipped'") + int(self.get_meta("pages_dropped") or 0),
            "robots_txt": self.count("pages", "state = 'robots' AND probe = 0")
            + self.count("assets", "state = 'robots'"),
            "time_budget": self.count("pages", "state = 'time'") + self.count("assets", "state = 'time'"),
        }
