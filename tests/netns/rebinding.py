"""Run inside ``unshare -rnm`` (a network namespace with only loopback, and a mount namespace of its own): a DNS
server whose answer moves (rebinding), web servers on public-looking addresses, and the real CLI scanning them.

Set-up, all private to the namespace: loopback up with 93.184.216.34 (the school), 93.184.216.35 (a photo host)
and 10.0.0.1 (an office router holding a secret) on it; ``/etc/resolv.conf`` bind-mounted to name 127.0.0.1,
where a DNS server answers ``photos.test`` first with 93.184.216.35 and from then on with 10.0.0.1, at TTL 0.
The school's page shows ``http://photos.test/p.jpg``. Prints one JSON line: which server got which requests, and
the scan's exit status and errors. Usage: ``python rebinding.py OUT [SCAN OPTIONS...]``.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SCHOOL, PHOTOS, ROUTER = "93.184.216.34", "93.184.216.35", "10.0.0.1"
hits: dict[str, list[str]] = {SCHOOL: [], PHOTOS: [], ROUTER: []}
queries: list[str] = []


def _setup() -> None:
    for command in (
        ["ip", "link", "set", "lo", "up"],
        *(["ip", "addr", "add", f"{a}/32", "dev", "lo"] for a in (SCHOOL, PHOTOS, ROUTER)),
    ):
        subprocess.run(command, check=True)
    resolv = Path(tempfile.mkdtemp()) / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")
    subprocess.run(["mount", "--bind", str(resolv), "/etc/resolv.conf"], check=True)


def _dns() -> None:
    """A UDP DNS server: ``photos.test`` A is the photo host once, then the router; everything else NXDOMAIN."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))
    while True:
        data, peer = sock.recvfrom(512)
        ident, _flags, _qd = struct.unpack(">HHH", data[:6])
        end = 12
        labels = []
        while data[end]:
            labels.append(data[end + 1 : end + 1 + data[end]].decode())
            end += 1 + data[end]
        qtype = struct.unpack(">H", data[end + 1 : end + 3])[0]
        question = data[12 : end + 5]
        name = ".".join(labels).lower()
        answers = b""
        rcode = 0 if name == "photos.test" else 3
        if name == "photos.test" and qtype == 1:
            queries.append(name)
            address = PHOTOS if len(queries) == 1 else ROUTER
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 0, 4) + socket.inet_aton(address)
        header = struct.pack(">HHHHHH", ident, 0x8180 | rcode, 1, 1 if answers else 0, 0, 0)
        sock.sendto(header + question + answers, peer)


def _serve(address: str, body: bytes, content_type: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[address].append(f"{self.headers.get('Host')} {self.path}")
            payload = body if self.path in ("/", "/p.jpg") else b""
            self.send_response(200 if payload else 404)
            self.send_header("Content-Type", content_type if payload else "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((address, 80), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main() -> None:
    out, options = sys.argv[1], sys.argv[2:]
    _setup()
    threading.Thread(target=_dns, daemon=True).start()
    from io import BytesIO

    from PIL import Image

    photo = BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(photo, "JPEG")
    page = b"<html><title>School</title><body><img src='http://photos.test/p.jpg'></body></html>"
    _serve(SCHOOL, page, "text/html")
    _serve(PHOTOS, photo.getvalue(), "image/jpeg")
    _serve(ROUTER, b"the router's secret", "image/jpeg")
    scan = subprocess.run(
        [
            *(sys.executable, "-m", "auditor", "scan", f"http://{SCHOOL}/", "--out", out, "--no-state"),
            *("--no-link-check", "--allow-host", "photos.test", *options),
        ],
        capture_output=True,
        text=True,
    )
    document = json.loads((Path(out) / "findings.json").read_text()) if (Path(out) / "findings.json").exists() else {}
    print(
        json.dumps(
            {
                "exit": scan.returncode,
                "stderr": scan.stderr[-2000:],
                "hits": hits,
                "dns_queries": len(queries),
                "errors": document.get("errors", []),
                "fetched": sorted(a["url"] for a in document.get("assets", []) if a.get("fetched")),
            }
        )
    )


if __name__ == "__main__":
    main()
