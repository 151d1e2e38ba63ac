"""How stages report progress without knowing about terminals: a small protocol the CLI implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
