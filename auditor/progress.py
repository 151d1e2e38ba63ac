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
        self._start = time.monotonic()

    def _prefix(self) -> str:
        """When and which site: a cron mail or CI log that holds several scans can be read line by line."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{stamp} {self.site} " if self.site else f"{stamp} "

    def update(self, counters: Counters) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            rate = counters.requests / max(now - self._start, 1e-6)
            click.echo(
                f"{self._prefix()}pages {counters.pages}  assets {counters.assets}  errors {counters.errors}  "
                f"{rate:.1f} req/s",
                err=True,
            )

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

    def update(self, counters: Counters) -> None:
        rate = counters.requests / max(time.monotonic() - self._start, 1e-6)
        self._status.update(
            f"pages {counters.pages} · assets {counters.assets} · errors {counters.errors} · {rate:.1f} req/s"
        )

    def log(self, message: str) -> None:
        self.console.log(message)

    def stop(self) -> None:
        self._status.stop()
