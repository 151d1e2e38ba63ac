"""``report.html``: one self-contained file (inline CSS and JS, images as ``data:`` URIs, a CSP that forbids any
other request) rendered with Jinja2 from ``templates/``.

Logic lives in :mod:`auditor.report.views`; the template only loops and prints. Autoescaping is on and undefined
names are errors, so crawled text can never inject markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from auditor.files import write_atomic
from auditor.report import views
from auditor.report.words import plural
from auditor.resources import templates_dir


def render(
    document: dict[str, Any],
    thumbnails: dict[str, str] | None = None,
    *,
    show_names: bool = False,
    redacted: bool = True,
) -> str:
    env = Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["plural"] = plural
    model = views.build(document, thumbnails or {}, show_names=show_names, redacted=redacted)
    return env.get_template("report.html.j2").render(**model)


def write(
    document: dict[str, Any],
    out: Path,
    thumbnails: dict[str, str] | None = None,
    *,
    show_names: bool = False,
    redacted: bool = True,
) -> Path:
    path = out / "report.html"
    write_atomic(path, render(document, thumbnails, show_names=show_names, redacted=redacted))
    return path
