"""Printing for the commands: one clear sentence for a user error, and text made printable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from auditor.errors import printable

F = TypeVar("F", bound=Callable[..., Any])


class UserError(click.ClickException):
    """One clear sentence, exit status 2 (the same as a usage error)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))  # it may quote a file, a page or a header


def _echo(message: str = "", err: bool = False) -> None:
    """``click.echo`` for text that may carry what a file, a page or a header said: made printable, so an escape
    sequence in a decision's reason or a page title cannot drive the terminal."""
    click.echo(printable(message), err=err)
