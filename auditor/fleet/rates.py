"""One host's request rate held across every site of a fleet, on one machine or across a cluster.

Why a keeper and a relay: two sites of a trust are often served by one CDN host, and their scans run side by side
on different cores or machines; each keeping its own ``--rate`` would send the host twice the rate. The driver
keeps one :class:`HostRates` per run (a Ray actor on a cluster, a plain object behind a lock on one machine): it
hands out each host's request starts, ``interval`` apart, as *delays* (its own monotonic clock; no shared file
system, no clocks to keep in step). A site's scan is a plain ``auditor scan`` subprocess that knows nothing of
either, so whatever runs it serves a :class:`RateRelay`: a Unix socket, private to that one scan, that passes each
"may I start a request to HOST?" to the keeper (``--shared-rate-socket``).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socketserver
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any


class HostRates:
    """The fleet's one keeper of per-host request starts (a Ray actor with no CPU of its own on a cluster; called
    from the relays' threads on one machine, hence the lock)."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, host: str, interval: float) -> float:
        """Reserve the next start to ``host``: the seconds the caller waits before it starts its request."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, 0.0))
            self._next[host] = start + interval
            return start - now


class _Handler(socketserver.StreamRequestHandler):
    """One scan's request per connection: a JSON line ``{"host": ..., "interval": ...}``, answered with the delay."""

    server: _Server

    def handle(self) -> None:
        try:
            asked = json.loads(self.rfile.readline(4096))
            delay = self.server.reserve(str(asked["host"]), float(asked["interval"]))
        except Exception as exc:  # any failure is the scan's to see, as an error line, not a hang
            self.wfile.write(json.dumps({"error": str(exc)[:200]}).encode() + b"\n")
            return
        self.wfile.write(json.dumps({"wait": delay}).encode() + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, reserve: Any) -> None:
        self.reserve = reserve
        super().__init__(path, _Handler)


class RateRelay:
    """The Unix socket one site's scan asks for its request starts (``--shared-rate-socket``), relayed to the
    fleet's keeper through ``reserve`` (:meth:`HostRates.reserve`, or a call to its Ray actor). A context manager:
    the socket and its private folder go when it ends."""

    def __init__(self, reserve: Callable[[str, float], float]) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="auditor-rate-"))  # owner-only; short enough for a socket path
        self.path = self._folder / "rate.sock"
        self._server = _Server(str(self.path), reserve)
        self._thread = threading.Thread(target=self._server.serve_forever, name="auditor-rate-relay", daemon=True)

    def __enter__(self) -> RateRelay:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        with contextlib.suppress(OSError):
            shutil.rmtree(self._folder)
