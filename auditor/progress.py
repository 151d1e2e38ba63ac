"""How stages report progress without knowing about terminals: a small protocol, and the two ways the CLI shows
it (a live line on a terminal, plain lines on stderr for cron and CI)."""

from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import click

from auditor.errors import printable


@dataclass(slots=True)
class Counters:
    pages: int = 0
    assets: int = 0
    errors: int = 0
    requests: int = 0
    pages_known: int = 0  # pages found so far (crawled or waiting): the crawl's total as far as it is known
    assets_known: int = 0
    stage: str = "crawl"  # crawl, then faces (analysis)
    done: int = 0  # analysis: pictures whose faces are read ...
    total: int = 0  # ... of this many
    pages_cap: int = 0  # --max-pages (0: none): pages found beyond it will never be fetched
    assets_cap: int = 0  # --max-assets, likewise


class Pace:
    """Requests per second over the last :data:`WINDOW` seconds: the crawl's start (robots.txt, the first pages,
    the browser) and its slow hosts pass, and an estimate from the whole run's average was once off by ten times
    ("about 68 min left" for a scan that ended 4 minutes later)."""

    WINDOW = 30.0

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque()

    def rate(self, now: float, requests: int) -> float | None:
        self._samples.append((now, requests))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.WINDOW:
            self._samples.popleft()
        first_at, first = self._samples[0]
        return (requests - first) / (now - first_at) if now - first_at >= 3 else None


def describe(counters: Counters, elapsed: float, pace: float | None = None) -> str:
    """The progress line: done of known, and the time left (rough, and said to be): for the crawl, what is left
    to fetch (never past --max-pages or --max-assets) at the recent pace ``pace``."""
    if counters.stage != "crawl":
        left = _left(counters.done, counters.total, elapsed)
        what = "files" if counters.stage == "fixing" else "pictures"
        return f"{counters.stage}: {counters.done:,} of {counters.total:,} {what}{left}"
    rate = counters.requests / max(elapsed, 1e-6)
    pages = f"{counters.pages:,}" + (f"/{counters.pages_known:,}" if counters.pages_known else "")
    assets = f"{counters.assets:,}" + (f"/{counters.assets_known:,}" if counters.assets_known else "")
    waiting = _waiting(counters.pages, counters.pages_known, counters.pages_cap)
    waiting += _waiting(counters.assets, counters.assets_known, counters.assets_cap)
    recent = rate if pace is None else pace
    left = f" · crawl: about {_duration(waiting / recent)} left" if recent > 0 and waiting and elapsed > 5 else ""
    return f"pages {pages} · assets {assets} · errors {counters.errors} · {rate:.1f} req/s{left}"


def _waiting(done: int, known: int, cap: int) -> int:
    return max(0, (min(known, cap) if cap else known) - done)


def _left(done: int, total: int, elapsed: float) -> str:
    if not done or done >= total or elapsed < 3:
        return ""
    return f" · about {_duration(elapsed / done * (total - done))} left"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


class Progress(Protocol):
    def update(self, counters: Counters) -> None:
        """Called after every page and asset; cheap to call often."""

    def log(self, message: str) -> None:
        """A line worth showing the user (a warning, a phase change)."""


class NullProgress:
    """Progress that goes nowhere (library use, tests)."""

    def update(self, counters: Counters) -> None:
        pass

    def log(self, message: str) -> None:
        pass


def for_terminal(site: str = "", quiet: bool = False, verbose: bool = False) -> Progress:
    """A live status line on a terminal, plain timestamped log lines elsewhere (cron mail, CI logs); ``quiet``:
    nothing but warnings; ``verbose``: log lines every second, on a terminal too."""
    if quiet:
        return QuietProgress()
    if verbose:
        return LogProgress(every=1.0, site=site)
    return RichProgress() if sys.stderr.isatty() else LogProgress(site=site)


class QuietProgress(NullProgress):
    """No progress; a message worth showing (a warning) still goes to stderr."""

    def log(self, message: str) -> None:
        click.echo(printable(message), err=True)


class LogProgress:
    """Plain lines on stderr, at most one every few seconds: suits cron mail and CI logs."""

    def __init__(self, every: float = 5.0, site: str = "") -> None:
        self.every = every
        self.site = site
        self._last = 0.0
        self._stage = ""
        self._start = time.monotonic()
        self._stage_start = self._start
        self._pace = Pace()

    def _prefix(self) -> str:
        """When and which site: a cron mail or CI log that holds several scans can be read line by line."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{stamp} {self.site} " if self.site else f"{stamp} "

    def update(self, counters: Counters) -> None:
        """A line every ``every`` seconds, and at once when a new stage starts (its pace counts from there)."""
        now = time.monotonic()
        if counters.stage != self._stage:
            self._stage, self._stage_start, self._last = counters.stage, now, 0.0
        pace = self._pace.rate(now, counters.requests)
        if now - self._last >= self.every:
            self._last = now
            click.echo(f"{self._prefix()}{describe(counters, now - self._stage_start, pace)}", err=True)

    def log(self, message: str) -> None:
        click.echo(self._prefix() + printable(message), err=True)


class RichProgress:
    """A single live status line on a terminal."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self._status = self.console.status("starting…")
        self._status.start()
        self._start = time.monotonic()
        self._stage, self._stage_start = "crawl", self._start
        self._pace = Pace()

    def update(self, counters: Counters) -> None:
        now = time.monotonic()
        if counters.stage != self._stage:
            self._stage, self._stage_start = counters.stage, now
        pace = self._pace.rate(now, counters.requests)
        self._status.update(describe(counters, now - self._stage_start, pace))

    def log(self, message: str) -> None:
        self.console.log(printable(message), markup=False)

    def stop(self) -> None:
        self._status.stop()
