"""Pages whose JavaScript never stops, or allocates without end, cannot hang or swamp a scan: each is that page's
render error, the static reading of the page still counts, the next page is rendered by a fresh browser, and
WebSockets are not there for a page to open. Real Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.pipeline import run_scan
from tests.conftest import png_bytes
from tests.server import Route, Site

LOOP = "<img src='/static.png'><script>while (true) {}</script>"  # never loads
AFTER = "<img src='/after.png'><script>addEventListener('load', () => setTimeout(() => { while (true) {} }))</script>"
HOG = "<img src='/hog.png'><script>const a = []; while (true) { a.push(new Array(1e6).fill(1)); }</script>"
SOCKET = """<img src='/sock.png'><script>
const img = document.createElement('img');
const closed = typeof WebSocket === 'undefined' && typeof RTCPeerConnection === 'undefined';
img.src = closed ? '/no-sockets.png' : '/sockets.png';
document.body.append(img);
</script>"""


@pytest.mark.browser
def test_runaway_scripts_are_that_pages_error_and_the_scan_goes_on(make_config: Any, browser: str) -> None:
    pages = {"/loop.html": LOOP, "/after.html": AFTER, "/hog.html": HOG, "/sock.html": SOCKET}
    home = "".join(f"<a href='{p}'>{p}</a>" for p in pages) + "<img src='/home.png'>"
    routes = {"/": Route(home), "/robots.txt": Route("", status=404)}
    routes.update({p: Route(html) for p, html in pages.items()})
    routes.update(
        {f"/{n}.png": Route(png_bytes(), content_type="image/png") for n in ("static", "after", "hog", "sock", "home")}
    )
    site = Site(routes)
    with site.serve() as base:
        config = make_config(base + "/", render="always", browser=browser, render_timeout=3.0, concurrency=1)
        document = run_scan(config).document
    errors = {e["url"].removeprefix(base): e["message"] for e in document["errors"] if e["stage"] == "render"}
    # Playwright's own timeout (the page never loaded), said without naming Playwright's call
    assert "Timeout" in errors["/loop.html"] and not errors["/loop.html"].startswith("Page.")
    assert "did not finish rendering" in errors["/after.html"]  # the scan's deadline: Playwright waits forever
    assert "/hog.html" in errors
    assert {a["url"].removeprefix(base) for a in document["assets"]} == {
        "/static.png",
        "/after.png",
        "/hog.png",
        "/sock.png",
        "/home.png",
        "/no-sockets.png",
        "/sockets.png",
    }
    assert "/sock.html" not in errors
    via = {a["url"].removeprefix(base): a["found_via"] for a in document["assets"]}
    assert "rendered" in via["/no-sockets.png"] and "rendered" not in via["/sockets.png"]  # both are in the script


@pytest.mark.browser
def test_the_browser_obeys_robots_txt_too(make_config: Any, browser: str) -> None:
    page = """<p>hi</p><script>
fetch('/private/data.json');
const img = document.createElement('img'); img.src = '/private/p' + 'hoto.png'; document.body.append(img);
</script><img src='/ok.png'>"""
    routes = {
        "/": Route(page),
        "/robots.txt": Route("User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
        "/ok.png": Route(png_bytes(), content_type="image/png"),
        "/private/data.json": Route("{}", content_type="application/json"),
        "/private/photo.png": Route(png_bytes(), content_type="image/png"),
    }
    site = Site(routes)
    with site.serve() as base:
        document = run_scan(make_config(base + "/", render="always", browser=browser)).document
    assert site.hits["/ok.png"] >= 1 and document["pages"][0]["rendered"]
    assert not any(path.startswith("/private/") for path in site.hits)


@pytest.mark.browser
def test_the_browser_looks_up_no_other_name_and_leaves_loopback_for_nothing(
    make_config: Any, browser: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chromium's own services (updates, accounts) contacted their vendor during a scan. Its network log, written
    by Chromium itself, must show no DNS query and no connection other than to the site."""
    import ipaddress
    import json

    from auditor.crawl import render

    log = tmp_path / "netlog.json"
    monkeypatch.setattr(render, "LAUNCH_ARGS", [*render.LAUNCH_ARGS, f"--log-net-log={log}"])
    site = Site({"/": Route("<p>hi</p><img src='/a.png'>"), "/a.png": Route(png_bytes(), content_type="image/png")})
    with site.serve() as base:
        run_scan(make_config(base + "/", render="always", browser=browser, out=tmp_path / "o"))
    events = json.loads(log.read_text())
    names = {v: k for k, v in events["constants"]["logEventTypes"].items()}
    dns = [e for e in events["events"] if names.get(e["type"], "").startswith("DNS_TRANSACTION")]
    remotes = [
        e["params"]["remote_address"]
        for e in events["events"]
        if names.get(e["type"]) == "TCP_CONNECT" and "remote_address" in e.get("params", {})
    ]
    assert dns == [] and remotes
    assert all(ipaddress.ip_address(r.rsplit(":", 1)[0].strip("[]")).is_loopback for r in remotes), remotes
