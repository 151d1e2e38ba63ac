"""Where the packaged templates and demo site are: inside the wheel (``auditor/_templates``, ``auditor/_demo_site``)
or, in a source checkout / editable install, at the repository's top level (``templates/``, ``fixtures/demo-site``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"none of {', '.join(map(str, candidates))} exists; the installation is incomplete")


def templates_dir() -> Path:
    return _first(_PACKAGE / "_templates", _PACKAGE.parent / "templates")


def demo_site_dir() -> Path:
    return _first(_PACKAGE / "_demo_site", _PACKAGE.parent / "fixtures" / "demo-site")
