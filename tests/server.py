"""A loopback HTTP server for tests whose pages are constants (crawlee-python style).

``Site`` serves a dict of routes ``path -> Route`` and, optionally, a static folder; it counts requests per path
and records request headers so tests can assert politeness (one request per URL, no cookies).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Route:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Called with the request count for this path; returns a Route to use instead (flapping, 429 then 200...).
    dynamic: Callable[[int], Route] | None = None
    # Misbehaviour: "drip" (one byte every `delay` seconds), "stall" (headers, then silence), "reset" (RST).
    mode: str | None = None
    ranges: bool = False  # answer "Range: bytes=0-N" with 206 and the first N+1 bytes


class _Handler(SimpleHTTPRequestHandler):
    site: Site

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        path = self.path
        with self.site.lock:
            self.site.hits[path] += 1
            self.site.started.append(time.monotonic())
            self.site.request_headers.append((path, dict(self.headers)))
            count = self.site.hits[path]
        route = self.site.routes.get(path) or self.site.routes.get(path.split("?")[0])
        if route is not None and route.dynamic is not None:
            route = route.dynamic(count)
        if route is None:
            if self.site.static is not None:
                super().do_HEAD() if head else super().do_GET()
            else:
                self.send_error(404)
            return
        if route.mode == "reset":
            import socket
            import struct

            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if route.delay and route.mode is None:
            time.sleep(route.delay)
        body = route.body.encode() if isinstance(route.body, str) else route.body
        etag, modified = route.headers.get("ETag"), route.headers.get("Last-Modified")
        if route.status == 200 and (
            (etag and self.headers.get("If-None-Match") == etag)
            or (modified and not etag and self.headers.get("If-Modified-Since") == modified)
        ):
            self.send_response(304)  # a validator the client kept from an earlier fetch still matches
            for key, value in route.headers.items():
                self.send_header(key, value)
            self.end_headers()
            return
        status = route.status
        wanted = re.fullmatch(r"bytes=0-(\d+)", self.headers.get("Range", "")) if route.ranges else None
        if status == 200 and wanted is not None:  # a server that honours a range request for the first part
            body, status = body[: int(wanted.group(1)) + 1], 206
        self.send_response(status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in route.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if head:
            return
        if route.mode == "stall":
            self.wfile.flush()
            time.sleep(route.delay)
            return
        if route.mode == "drip":
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(route.delay)
            return
        self.wfile.write(body)


class Site:
    def __init__(self, routes: dict[str, Route] | None = None, static: Path | None = None) -> None:
        self.routes = routes or {}
        self.static = static
        self.hits: Counter[str] = Counter()
        self.started: list[float] = []  # when each request arrived (politeness across processes is measured here)
        self.request_headers: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.base = ""

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve on ``host``; ``port`` 0 picks a free one (a given port: a re-scan that must see the same seeds)."""
        handler = type("Handler", (_Handler,), {"site": self})
        factory = functools.partial(handler, directory=str(self.static or "."))
        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer((host, port), factory)
        server.daemon_threads = True
        self.base = f"http://{host}:{server.server_address[1]}"
        with running(server):
            yield self.base


@contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[None]:
    """``server`` answering on a thread of its own until the block ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
