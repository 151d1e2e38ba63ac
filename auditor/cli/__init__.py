"""The ``auditor`` command: one module per command group, the gate (exit statuses) apart.

Each command builds one :class:`~auditor.config.ScanConfig` from its options and hands it to the pipeline. Errors
the user can fix end with one line on stderr and exit status 2; artifacts go to files, diagnostics to stderr. On a
terminal a live progress line shows pages, assets, errors and request rate; otherwise plain log lines.
"""

from __future__ import annotations

from auditor.cli import decide, fix, fleet, history, report, scan, watch
from auditor.cli.app import main
from auditor.cli.gate import EXIT_MEANINGS

for command in (
    scan.scan,
    scan.check,
    scan.pre_commit,
    watch.watch,
    scan.demo,
    report.report,
    fix.fix,
    report.policy,
    decide.accept,
    decide.list_decisions,
    fleet.fleet,
    history.forget,
    history.diff,
):
    main.add_command(command)

__all__ = ["EXIT_MEANINGS", "main"]
