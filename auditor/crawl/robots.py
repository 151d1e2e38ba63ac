"""robots.txt through Protego (a maintained parser), plus which AI crawlers a site turns away.

Status handling follows RFC 9309: a 4xx robots.txt means "no rules" (crawl everything); a 5xx or an unreachable
server means "disallow everything" until it answers, because a site that cannot say what it allows has not
allowed anything.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from protego import Protego

from auditor.config import ROBOTS_TOKEN
from auditor.data import load

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 requires parsing at least 500 KiB; beyond that is ignored


# The categories of the ai-crawler-robots table whose crawlers collect pages for training models.
TRAINING_CATEGORIES = ("ai-training", "dataset")
# How a crawler's operator treats robots.txt, in that table: these do not promise to obey a Disallow.
IGNORES_ROBOTS = ("by-design-no", "disputed")


@functools.cache
def _index() -> dict[str, dict[str, Any]]:
    """Token (lower case) -> the ai-crawler-robots record of every training or dataset crawler."""
    import ai_crawler_robots

    return {
        str(c["token"]).lower(): c
        for c in ai_crawler_robots.crawlers().values()  # type: ignore[no-untyped-call]
        if c.get("category") in TRAINING_CATEGORIES and c.get("token")
    }


@functools.cache
def ai_crawler_tokens() -> tuple[str, ...]:
    """The robots.txt tokens of crawlers that collect for AI training: the training and dataset categories of the
    ``ai-crawler-robots`` table (kept current by upgrading that package, see :func:`ai_crawler_list`), then the
    project's own ``auditor/data/ai_crawlers.json`` for operators that table files elsewhere (an AI product's
    crawler, say) or lacks."""
    tokens = {str(c["token"]): None for c in _index().values()}
    known = {t.lower() for t in tokens}
    tokens.update({c["token"]: None for c in load("ai_crawlers")["crawlers"] if c["token"].lower() not in known})
    return tuple(tokens)


def ignoring_robots() -> list[str]:
    """The listed AI crawlers whose operators do not promise to obey robots.txt (by design, or disputed)."""
    return [str(c["token"]) for c in _index().values() if c.get("respects") in IGNORES_ROBOTS]


def ai_crawler_list() -> str:
    """Which list of AI crawlers was used, for the evidence: a list goes stale, so a finding says how old it is."""
    import ai_crawler_robots

    data = str(ai_crawler_robots.META.get("data_version") or "")[:10]
    return f"ai-crawler-robots {ai_crawler_robots.__version__} (data of {data}) and the project's own list"


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

    def ai_crawlers_blocked(self, root_url: str) -> tuple[list[str], list[str], list[str]]:
        """(blocked, allowed, ignoring): which AI crawler tokens may not fetch the site root, which may, and which of
        the blocked ones belong to operators that do not promise to obey robots.txt. A crawler that reads only the
        group named for it (not ``*``) counts as allowed unless it is named."""
        import ai_crawler_robots

        blocked: list[str] = []
        allowed: list[str] = []
        ignoring: list[str] = []
        if self.status != 200:
            return blocked, list(ai_crawler_tokens()), ignoring
        path = urlsplit(root_url).path or "/"
        verdicts: dict[str, tuple[bool, str]] = {}  # token (lower case) -> (blocked, how the operator obeys)
        audit = ai_crawler_robots.audit(self.text[:MAX_ROBOTS_BYTES], path, ai_only=False)  # type: ignore[no-untyped-call]
        for kind in ("blocked", "allowed", "unenforceable", "control_tokens"):
            for entry in audit.get(kind) or []:
                obeys = str(entry.get("obeys") or "")
                says_no = kind == "blocked" or (kind != "allowed" and entry.get("allowed") is False)
                if kind == "unenforceable" and obeys == "own-token-only":
                    says_no = False  # the rule is in the * group, which this crawler does not read
                verdicts[str(entry.get("token", "")).lower()] = (says_no, obeys)
        for token in ai_crawler_tokens():
            verdict = verdicts.get(token.lower())
            is_blocked = verdict[0] if verdict else not self._parser.can_fetch(root_url, token)
            (blocked if is_blocked else allowed).append(token)
            if is_blocked and verdict and verdict[1] in IGNORES_ROBOTS:
                ignoring.append(token)
        return blocked, allowed, ignoring
