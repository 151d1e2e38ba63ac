"""Processes this tool starts end with the process that started them: a scan killed with ``kill -9`` leaves no face
worker running, and a killed fleet leaves no site scan holding its store, so the same command resumes at once
instead of finding its folder busy or its memory taken."""

from __future__ import annotations


def exit_with_parent(parent: int | None = None, interval: float = 0.5) -> None:
    """In a child process (a face worker, a fleet's site scan): end it when the process that started it is gone.
    A watchdog thread compares the parent's pid with ``parent``, the pid the parent passed in (its own): a child
    still starting up when its parent was killed would otherwise read its new parent (pid 1) as the one to watch,
    and wait forever. The kernel's death signal would not do: it follows the *thread* that started the child, and
    pool workers are started by whichever thread first submits, so they would end with that thread, the pool
    still in use."""
    import os
    import threading
    import time

    parent = parent or os.getppid()
    if os.getppid() != parent:
        os._exit(1)  # the parent died before this child got here

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
