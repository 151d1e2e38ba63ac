"""Processes this tool starts end with the process that started them: a scan killed with ``kill -9`` leaves no face
worker running, and a killed fleet leaves no site scan holding its store, so the same command resumes at once
instead of finding its folder busy or its memory taken."""

from __future__ import annotations

import sys


def die_with_parent() -> None:
    """In a child process started by a thread that waits for it (``subprocess.run``): ask the kernel to kill it
    when that thread's process dies (``PR_SET_PDEATHSIG``; the kernel ties it to the creating *thread*, so it is
    only for children whose creating thread outlives them). A no-op off Linux."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def exit_with_parent(interval: float = 0.5) -> None:
    """In a long-lived worker (a process pool's): end it when the process that started it is gone. A watchdog
    thread compares the parent's pid with the one at start: pool workers are started by whichever thread first
    submits, so the kernel's per-thread death signal would end them when that thread ends, with the pool in use."""
    import os
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
