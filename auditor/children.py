"""Processes this tool starts die with the process that started them (Linux): a scan killed with ``kill -9`` leaves
no face worker running, and a killed fleet leaves no site scan holding its store, so the same command resumes at
once instead of finding its folder busy or its memory taken."""

from __future__ import annotations

import sys


def die_with_parent() -> None:
    """In a child process: ask the kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``). A no-op off
    Linux, where the parent's own shutdown is what ends its children."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
