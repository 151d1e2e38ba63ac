"""Per-host facts fetched once per scan: robots.txt and TDMRep, as (HTTP status, text). A status of ``None`` means
the host could not be reached, and the text then says why."""

from __future__ import annotations

from auditor.store.base import StoreBase


class HostStore(StoreBase):
    def robots_txt(self, origin: str) -> tuple[int | None, str] | None:
        """(status, text) of ``origin``'s robots.txt, or ``None`` when it has not been fetched yet."""
        row = self.db.execute(
            "SELECT robots_status, robots_text FROM hosts WHERE host = ? AND robots_text IS NOT NULL", (origin,)
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def put_robots_txt(self, origin: str, status: int | None, text: str) -> None:
        self.db.execute(
            """INSERT INTO hosts (host, robots_status, robots_text) VALUES (?, ?, ?)
               ON CONFLICT(host) DO UPDATE SET robots_status = excluded.robots_status,
               robots_text = excluded.robots_text""",
            (origin, status, text),
        )

    def tdmrep(self, origin: str) -> tuple[int | None, str] | None:
        """(status, text) of ``origin``'s ``/.well-known/tdmrep.json``, or ``None`` when not fetched yet."""
        row = self.db.execute(
            "SELECT tdmrep_status, tdmrep_text FROM hosts WHERE host = ? AND tdmrep_text IS NOT NULL", (origin,)
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def put_tdmrep(self, origin: str, status: int | None, text: str) -> None:
        self.db.execute(
            """INSERT INTO hosts (host, tdmrep_status, tdmrep_text) VALUES (?, ?, ?)
               ON CONFLICT(host) DO UPDATE SET tdmrep_status = excluded.tdmrep_status,
               tdmrep_text = excluded.tdmrep_text""",
            (origin, status, text),
        )

    def host_facts(self, origin: str) -> tuple[int | None, str, int | None, str]:
        """(robots status, robots text, TDMRep status, TDMRep text); (None, "", None, "") for an unknown host."""
        row = self.db.execute(
            "SELECT robots_status, robots_text, tdmrep_status, tdmrep_text FROM hosts WHERE host = ?", (origin,)
        ).fetchone()
        return (None, "", None, "") if row is None else (row[0], row[1], row[2], row[3])
