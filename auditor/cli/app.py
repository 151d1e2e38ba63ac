"""The ``auditor`` group: global options (``--config``, ``--no-config``) and the one-line answer to a missing
dependency."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from auditor import __version__
from auditor.cli.output import UserError
from auditor.errors import ConfigError


class AuditorGroup(click.Group):
    """The command group; a package the installation lacks ends any command with one line and exit status 2 (a
    problem the user can fix), never a traceback with exit 1, which scheduled runs read as "a finding"."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ImportError as exc:
            missing = exc.name or str(exc)
            raise UserError(
                f"this installation lacks the package {missing!r} ({exc}); reinstall: pip install --force-reinstall "
                "exposure-auditor"
            ) from exc


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="exposure-auditor")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Settings file [default: ./auditor.toml, or [tool.auditor] in ./pyproject.toml]; flags override it.",
)
@click.option(
    "--no-config",
    is_flag=True,
    help="Read no settings file, not even ./auditor.toml (auditor fleet runs each site's scan so: a site's "
    "settings come from the sites file alone).",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, no_config: bool) -> None:
    """Exposure Auditor: which of our public photos could be harvested, and what do we fix first?

    Runs on your own machine against your own organization's sites. Nothing from a scan leaves the machine.
    """
    from auditor import config_file

    if watched := os.environ.get("AUDITOR_EXIT_WITH_PARENT"):  # started by auditor fleet: end with its Ray task
        from auditor.children import exit_with_parent

        exit_with_parent(int(watched) if watched.isdigit() and int(watched) > 1 else None)
    path = config_path or (None if no_config else config_file.find(Path.cwd()))
    ctx.obj = {"checks": config_file.ChecksPolicy(), "settings": None}
    if path is None:
        return
    try:
        data = config_file.read(path)
        ctx.default_map = config_file.default_map(path, data, main)
        ctx.obj = {"checks": config_file.checks_policy(path, data), "settings": path}
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
