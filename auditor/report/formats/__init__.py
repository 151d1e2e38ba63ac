"""``--format``: the scan's findings on standard output, for the CI systems and dashboards that read them.

Formats are a registry, like Scrapy's feed exporters: each module of this package declares ``FORMAT`` (a
:class:`Format`: its name, one line of help, and a function from the ``findings.json`` document to text). The CLI's
``--format`` choices and help come from :data:`REGISTRY`, so adding a format is adding one module (and its test).
The files on disk (findings.json, the report) are unchanged by any of them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Format:
    """One output format: its ``--format`` name, what it is for (the CLI's help), and its renderer."""

    name: str
    help: str
    render: Callable[[dict[str, Any]], str]


def _discover() -> dict[str, Format]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if isinstance(getattr(module, "FORMAT", None), Format):
            found.append(module.FORMAT)
    return {f.name: f for f in sorted(found, key=lambda f: f.name)}


REGISTRY: dict[str, Format] = _discover()


def names() -> list[str]:
    """The ``--format`` choices."""
    return list(REGISTRY)


def described() -> str:
    """The ``--format`` help: each format and what reads it."""
    return "; ".join(f"{f.name}: {f.help}" for f in REGISTRY.values())


def render(document: dict[str, Any], name: str) -> str:
    """``document`` (findings.json's) in the format called ``name``."""
    if name not in REGISTRY:
        raise ValueError(f"unknown format {name}")
    return REGISTRY[name].render(document)
