"""robots.txt through Protego (a maintained parser), plus which AI crawlers a site turns away.

Status handling follows RFC 9309: a 4xx robots.txt means "no rules" (crawl everything); a 5xx or an unreachable
server means "disallow everything" until it answers, because a site that cannot say what it allows has not
allowed anything.
"""

from __future__ import annotations

from protego import Protego

from auditor.config import ROBOTS_TOKEN
from auditor.data import load

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 requires parsing at least 500 KiB; beyond that is ignored


def ai_crawler_tokens() -> list[str]:
    """The robots.txt tokens of AI-training crawlers, from ``auditor/data/ai_crawlers.json``."""
    return [c["token"] for c in load("ai_crawlers")["crawlers"]]


class RobotsPolicy:
    """The parsed robots.txt of one host (parsed once). ``status`` is the HTTP status (None: unreachable, and
    ``unreachable`` says why: then the host itself could not be reached, which is no rule of the site's)."""

    def __init__(self, text: str, status: int | None, unreachable: str | None = None) -> None:
        self.text = text
        self.status = status
        self.unreachable = unreachable if status is None else None
        self._parser = Protego.parse(text[:MAX_ROBOTS_BYTES])

    @property
    def disallow_all(self) -> bool:
        return self.status is None or self.status >= 500

    def refusal(self) -> str | None:
        """Why nothing on this host may be fetched, in words for the errors list; ``None`` when rules apply."""
        if self.status is None:
            return f"not fetched: the server could not be reached ({self.unreachable or 'no answer'})"
        if self.status >= 500:
            return (
                f"not fetched: the server answered HTTP {self.status} for robots.txt, which tells crawlers to "
                "stay away until it answers (RFC 9309); the site could not be audited"
            )
        return None

    def allows(self, url: str, token: str = ROBOTS_TOKEN) -> bool:
        if self.disallow_all:
            return False
        if self.status is not None and self.status >= 400:
            return True
        return bool(self._parser.can_fetch(url, token))

    def crawl_delay(self, token: str = ROBOTS_TOKEN) -> float | None:
        if self.status != 200:
            return None
        delay = self._parser.crawl_delay(token)
        return float(delay) if delay is not None else None

    def sitemaps(self) -> list[str]:
        return list(self._parser.sitemaps) if self.status == 200 else []

    def ai_crawlers_blocked(self, root_url: str) -> tuple[list[str], list[str]]:
        """(blocked, allowed): which AI crawler tokens may not fetch the site root, and which may."""
        blocked, allowed = [], []
        parser = self._parser if self.status == 200 else None
        for token in ai_crawler_tokens():
            if parser is not None and not parser.can_fetch(root_url, token):
                blocked.append(token)
            else:
                allowed.append(token)
        return blocked, allowed
