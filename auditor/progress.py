"""How stages report progress without knowing about terminals: a small protocol, and the two ways the CLI shows
it (a live line on a terminal, plain lines on stderr for cron and CI)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import click


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


def describe(counters: Counters, elapsed: float) -> str:
    """The progress line: done of known, and the time left at the pace so far (rough, and said to be)."""
    if counters.stage != "crawl":
        left = _left(counters.done, counters.total, elapsed)
        return f"{counters.stage}: {counters.done:,} of {counters.total:,} pictures{left}"
    rate = counters.requests / max(elapsed, 1e-6)
    pages = f"{counters.pages:,}" + (f"/{counters.pages_known:,}" if counters.pages_known else "")
    assets = f"{counters.assets:,}" + (f"/{counters.assets_known:,}" if counters.assets_known else "")
    waiting = max(0, counters.pages_known - counters.pages) + max(0, counters.assets_known - counters.assets)
    left = f" · about {_duration(waiting / rate)} left" if rate > 0 and waiting and elapsed > 5 else ""
    return f"pages {pages} · assets {assets} · errors {counters.errors} · {rate:.1f} req/s{left}"


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
        click.echo(message, err=True)


class LogProgress:
    """Plain lines on stderr, at most one every few seconds: suits cron mail and CI logs."""

    def __init__(self, every: float = 5.0, site: str = "") -> None:
        self.every = every
        self.site = site
        self._last = 0.0
        self._stage = ""
        self._start = time.monotonic()
        self._stage_start = self._start

    def _prefix(self) -> str:
        """When and which site: a cron mail or CI log that holds several scans can be read line by line."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{stamp} {self.site} " if self.site else f"{stamp} "

    def update(self, counters: Counters) -> None:
        """A line every ``every`` seconds, and at once when a new stage starts (its pace counts from there)."""
        now = time.monotonic()
        if counters.stage != self._stage:
            self._stage, self._stage_start, self._last = counters.stage, now, 0.0
        if now - self._last >= self.every:
            self._last = now
            click.echo(f"{self._prefix()}{describe(counters, now - self._stage_start)}", err=True)

    def log(self, message: str) -> None:
        click.echo(self._prefix() + message, err=True)


class RichProgress:
    """A single live status line on a terminal."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self._status = self.console.status("starting…")
        self._status.start()
        self._start = time.monotonic()
        self._stage, self._stage_start = "crawl", self._start

    def update(self, counters: Counters) -> None:
        if counters.stage != self._stage:
            self._stage, self._stage_start = counters.stage, time.monotonic()
        self._status.update(describe(counters, time.monotonic() - self._stage_start))

    def log(self, message: str) -> None:
        self.console.log(message)

    def stop(self) -> None:
        self._status.stop()
