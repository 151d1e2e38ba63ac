"""``auditor.toml`` (or ``[tool.auditor]`` in ``pyproject.toml``): a school's settings, kept beside its scripts.

Why click's ``default_map``: a value in the file becomes the option's default, so a flag on the command line always
wins, and ``--help`` shows the file's values as the defaults. Keys are the long option names (``max-pages`` or
``max_pages``); ``seeds`` lists the sites ``auditor scan`` audits when no URL is given. A ``[checks.ID]`` table sets
one check's ``severity`` (the finding stays, at that severity, with its original one recorded) or ``gate = false``
(its findings never fail ``--fail-on``/``--fail-on-new``). An unknown key, check or value is an error naming the
file: a misspelt limit silently ignored would scan with the wrong one.

    seeds = ["https://www.school.example/"]
    out = "audit"
    state = "auditor-state"
    fail-on-new = "high"
    exclude = ["*/wp-admin/*", "*/calendar/*"]

    [checks.ai_training_not_reserved]
    gate = false
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from auditor.errors import ConfigError
from auditor.models import SEVERITIES

FILE_NAME = "auditor.toml"
# Option names whose Python parameter is named differently.
ALIASES = {"state": "state_dir", "context": "face_context", "allow_host": "allow_hosts", "format": "output_format"}


@dataclass(frozen=True, slots=True)
class ChecksPolicy:
    """Per-check settings from the file: severities to use instead, and checks whose findings never fail a gate."""

    severity: dict[str, str] = field(default_factory=dict)
    ungated: frozenset[str] = frozenset()


def find(start: Path) -> Path | None:
    """``auditor.toml`` in ``start``, else a ``pyproject.toml`` there with a ``[tool.auditor]`` table."""
    own = start / FILE_NAME
    if own.is_file():
        return own
    project = start / "pyproject.toml"
    if project.is_file():
        try:
            if "auditor" in tomllib.loads(project.read_text("utf-8")).get("tool", {}):
                return project
        except (OSError, tomllib.TOMLDecodeError):
            return None
    return None


def read(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable settings file ({exc})") from exc
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("auditor", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the settings must be a table")
    return data


def checks_policy(path: Path, data: dict[str, Any]) -> ChecksPolicy:
    from auditor.checks import REGISTRY

    tables = data.get("checks", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: [checks] must be tables named after check ids")
    severity: dict[str, str] = {}
    ungated: set[str] = set()
    for check, table in tables.items():
        if check not in REGISTRY:
            raise ConfigError(
                f"{path}: [checks.{_with_near_miss(check, set(REGISTRY))}]: no such check (the ids are in the "
                "README's table)"
            )
        if not isinstance(table, dict) or set(table) - {"severity", "gate"}:
            raise ConfigError(f"{path}: [checks.{check}] takes severity and gate only")
        if "severity" in table:
            if table["severity"] not in SEVERITIES:
                raise ConfigError(f"{path}: [checks.{check}] severity must be one of {', '.join(SEVERITIES)}")
            severity[check] = table["severity"]
        if table.get("gate") is False:
            ungated.add(check)
    return ChecksPolicy(severity, frozenset(ungated))


def default_map(path: Path, data: dict[str, Any], group: click.Group) -> dict[str, dict[str, Any]]:
    """The file's values as each subcommand's defaults (only the options that subcommand has)."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "checks":
            continue
        name = key.replace("-", "_")
        values[ALIASES.get(name, name)] = value
    known: set[str] = set()
    out: dict[str, dict[str, Any]] = {}
    for name, command in group.commands.items():
        params = {p.name for p in command.params if p.name}
        known |= params
        chosen = {k: v for k, v in values.items() if k in params}
        if name == "scan" and "seeds" in values:
            chosen["urls"] = tuple(values["seeds"])
        out[name] = chosen
    unknown = sorted(set(values) - known - {"seeds"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting{'s' if len(unknown) > 1 else ''} "
            + "; ".join(_with_near_miss(name, known | {"seeds"}) for name in unknown)
        )
    return out


def _with_near_miss(name: str, known: set[str]) -> str:
    """``fail_on_neww: did you mean fail_on_new?`` when a known name is close enough, else the name alone."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return f"{name}: did you mean {close[0]}?" if close else name
