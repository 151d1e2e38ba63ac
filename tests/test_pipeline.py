"""A whole scan: findings.json validates against its schema, the crawl-level checks fire, share links are
classified with one request each, and a scan killed with SIGKILL resumes to the same result."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import skimage.data

from auditor.crawl.robots import ai_crawler_tokens
from auditor.pipeline import run_scan
from auditor.report.findings_json import schema
from tests.conftest import png_bytes
from tests.crawl.test_sharelinks import RouteTo
from tests.server import Route, Site


def test_findings_json_is_valid_and_carries_the_crawl_checks(demo_url: str, make_config) -> None:  # type: ignore[no-untyped-def]
    outcome = run_scan(make_config(demo_url))
    document = json.loads(outcome.findings_path.read_text())
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert document == outcome.document
    assert document["scan"]["complete"] is True
    assert document["scan"]["pages"] == len(document["pages"])
    checks = {(f["check"], (f["asset"] or f["page"]).removeprefix(demo_url)) for f in document["findings"]}
    assert ("ai_training_not_reserved", "") in checks
    assert {("directory_listing", p) for p in ("uploads/2024/05/", "uploads/2019/", "uploads/2023/")} <= checks
    shares = {f["asset"]: f for f in document["findings"] if f["check"] == "public_share_link"}
    assert set(shares) == {
        "https://drive.google.com/drive/folders/1DemoFolderId0123456789",
        "https://www.dropbox.com/sh/demo0123abcd/AAB_demo?dl=0",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://1drv.ms/f/s!AdemoOneDriveShare01",
    }
    assert all(f["evidence"]["access"] == "unchecked" for f in shares.values())
    ai = next(f for f in document["findings"] if f["check"] == "ai_training_not_reserved")
    assert ai["evidence"]["ai_crawlers_blocked"] == ["CCBot", "GPTBot"]
    listing = next(f for f in document["findings"] if f["page"] == demo_url + "uploads/2024/05/")
    assert listing["severity"] == "high" and listing["evidence"]["listed_assets"] == 4
    assert len({f["id"] for f in document["findings"]}) == len(document["findings"])
    # The two demo photos with real EXIF: GPS (critical), the camera's serial and the photographer's name.
    for photo in ("uploads/2024/05/sports-day-1.jpg", "uploads/2024/05/sports-day-3.jpg"):
        for check in ("gps_location", "device_serial", "person_name_metadata"):
            assert (check, photo) in checks, (check, photo)
    gps = next(f for f in document["findings"] if f["check"] == "gps_location" and f["asset"].endswith(".jpg"))
    assert gps["severity"] == "critical" and gps["evidence"]["field"] == "EXIF:GPS"
    filmed = next(f for f in document["findings"] if f["check"] == "gps_location" and f["asset"].endswith(".mp4"))
    assert filmed["evidence"]["field"] == "QuickTime:location"  # the sports-day video's place, as a phone writes it
    hero = next(a for a in document["assets"] if a["url"].endswith("hero-1600.jpg"))
    assert hero["metadata"]["width"] == 1600 and hero["metadata"]["format"] == "JPEG"
    assert (outcome.report_path.stat().st_mode & 0o777) == 0o600
    html = outcome.report_path.read_text()
    assert "Content-Security-Policy" in html and "Open directory listing" in html


def test_a_fully_reserved_site_has_no_ai_finding(make_config) -> None:  # type: ignore[no-untyped-def]
    robots = "".join(f"User-agent: {token}\nDisallow: /\n\n" for token in ai_crawler_tokens())
    site = Site(
        {
            "/robots.txt": Route(robots, content_type="text/plain"),
            "/.well-known/tdmrep.json": Route(
                '[{"location": "/", "tdm-reservation": 1}]', content_type="application/json"
            ),
            "/": Route('<meta name="robots" content="noai, noimageai"><p>hello</p>'),
        }
    )
    with site.serve() as base:
        document = run_scan(make_config(base + "/")).document
    assert [f for f in document["findings"] if f["check"] == "ai_training_not_reserved"] == []


class _ProviderHosts(httpx.AsyncBaseTransport):
    """The school on its loopback server as itself; the video providers' image hosts routed to the provider's
    loopback server (the real hosts cannot be reached from a test)."""

    def __init__(self, provider: str) -> None:
        self.provider, self.inner = httpx.URL(provider), httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        logical = request.url
        if request.url.host in ("i.ytimg.com", "i.vimeocdn.com"):
            request.url = request.url.copy_with(scheme="http", host=self.provider.host, port=self.provider.port)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            request.url = logical


@pytest.mark.parametrize("link_check", [True, False])
def test_public_youtube_and_vimeo_videos_get_their_poster_read(make_config, link_check: bool) -> None:  # type: ignore[no-untyped-def]
    """An embedded YouTube player and a Vimeo link: each is classified with one request, and a public one's poster
    frame (the page's og:image, or YouTube's public thumbnail) is fetched once and read like any photo of the page.
    With --no-link-check, nothing is requested from the providers at all."""
    from PIL import Image

    from auditor.crawl.netguard import NetGuard
    from tests.analyze import images

    face = images.save(Image.fromarray(skimage.data.astronaut()), "JPEG", quality=90)
    provider = Site(
        {
            "/embed/abcdefghijk": Route("<html>player</html>"),
            "/123456": Route(
                '<html><meta property="og:image" content="https://i.vimeocdn.com/video/999-d_640"></html>'
            ),
            "/vi/abcdefghijk/hqdefault.jpg": Route(face, content_type="image/jpeg"),
            "/video/999-d_640": Route(images.jpeg(), content_type="image/jpeg"),
        }
    )
    page = (
        "<iframe src='https://www.youtube.com/embed/abcdefghijk'></iframe><a href='https://vimeo.com/123456'>film</a>"
    )
    school = Site({"/": Route(page), "/robots.txt": Route("", status=404)})

    async def resolve(host: str) -> list[str]:
        public = {"i.ytimg.com": "142.250.1.1", "www.youtube.com": "142.250.1.2", "vimeo.com": "151.101.1.2"}
        return [public.get(host, "151.101.1.1" if "vimeo" in host else host)]

    with provider.serve() as provider_base, school.serve() as base:
        document = run_scan(
            make_config(base + "/", link_check=link_check, probe_directories=False),
            share_transport=RouteTo(provider_base),
            fetch_transport=_ProviderHosts(provider_base),
            guard=NetGuard(resolve),
        ).document
    posters = {a["url"]: a for a in document["assets"] if "share_link" in a["found_via"]}
    if not link_check:
        assert posters == {} and sum(provider.hits.values()) == 0
        return
    assert set(posters) == {
        "https://i.ytimg.com/vi/abcdefghijk/hqdefault.jpg",
        "https://i.vimeocdn.com/video/999-d_640",
    }
    assert all(a["found_on"] == [base + "/"] and a["fetched"] for a in posters.values())
    assert dict(provider.hits) == {path: 1 for path in provider.routes}  # one request each, never a stream
    faces = [f for f in document["findings"] if f["check"] == "identifiable_face"]
    assert [f["asset"] for f in faces] == ["https://i.ytimg.com/vi/abcdefghijk/hqdefault.jpg"]


def test_share_links_are_classified_once_each_without_cookies(make_config) -> None:  # type: ignore[no-untyped-def]
    provider = Site(
        {
            "/drive/folders/open": Route("<html>photos</html>"),
            # Checked first (URL order), and it sets a cookie: the next request must not send it back.
            "/drive/folders/closed": Route(
                "",
                status=302,
                headers={"Location": "https://accounts.google.com/ServiceLogin", "Set-Cookie": "NID=tracking; Path=/"},
            ),
        }
    )
    page = (
        "<a href='https://drive.google.com/drive/folders/open'>a</a>"
        "<a href='https://drive.google.com/drive/folders/closed'>b</a><a href='/two'>2</a>"
    )
    school = Site({"/": Route(page), "/two": Route(page)})
    with provider.serve() as provider_base, school.serve() as base:
        document = run_scan(make_config(base + "/", link_check=True), share_transport=RouteTo(provider_base)).document
    access = {
        f["asset"].rsplit("/", 1)[1]: (f["evidence"]["access"], f["severity"])
        for f in document["findings"]
        if f["check"] == "public_share_link"
    }
    assert access == {"open": ("public", "high"), "closed": ("login_required", "low")}
    assert dict(provider.hits) == {"/drive/folders/open": 1, "/drive/folders/closed": 1}
    assert [path for path, headers in provider.request_headers] == ["/drive/folders/closed", "/drive/folders/open"]
    assert all("Cookie" not in headers for _, headers in provider.request_headers)
    open_link = next(f for f in document["findings"] if f["asset"].endswith("/open"))
    assert open_link["evidence"]["found_on"] == [base + "/", base + "/two"]


def _slow_site(pages: int) -> Site:
    routes = {}
    for i in range(pages):
        links = "".join(f"<a href='/p{j}'>p{j}</a>" for j in (2 * i + 1, 2 * i + 2) if j < pages)
        routes[f"/p{i}" if i else "/"] = Route(f"<title>p{i}</title>{links}<img src='/img/{i}.png'>", delay=0.05)
        routes[f"/img/{i}.png"] = Route(png_bytes(8 + i, 8), content_type="image/png", delay=0.05)
    return Site(routes)


def _comparable(path: Path) -> dict[str, Any]:
    document = json.loads((path / "findings.json").read_text())
    return {k: document[k] for k in ("pages", "assets", "findings", "errors")} | {
        "counts": {k: document["scan"][k] for k in ("pages", "assets", "errors", "complete")}
    }


def test_sigkill_then_same_command_resumes_to_the_same_result(tmp_path: Path) -> None:
    site = _slow_site(40)
    with site.serve() as base:
        command = _scan(base + "/", "--render", "never", "--rate", "20", "--concurrency", "2")
        subprocess.run([*command, "--out", str(tmp_path / "whole")], check=True, capture_output=True, timeout=120)
        interrupted = tmp_path / "interrupted"
        done_pages = "SELECT COUNT(*) FROM pages WHERE state = 'done'"
        _run_and_kill(command, interrupted, lambda out: _query(out, done_pages) >= 10)
        assert 10 <= _query(interrupted, done_pages) < 40, "the kill must land in the middle of the crawl"
        before = dict(site.hits)
        result = subprocess.run([*command, "--out", str(interrupted)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "resuming" in result.stderr
    assert _comparable(interrupted) == _comparable(tmp_path / "whole")
    # Pages finished before the kill were not fetched again.
    refetched = [p for p in ("/", "/p1", "/p2") if site.hits[p] > before.get(p, 0)]
    assert refetched == []


def _scan(url: str, *options: str) -> list[str]:
    """The ``auditor scan`` command line of these tests, without ``--out`` (added per run)."""
    return [sys.executable, "-m", "auditor", "scan", url, "--no-link-check", "--no-state", *options]


def _run_and_kill(command: list[str], out: Path, ready: Any) -> None:
    """Start ``command``, SIGKILL it as soon as ``ready(out)`` is true, and check it really was cut short."""
    process = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if ready(out):
                break
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert not (out / "findings.json").exists(), "the kill must land before the scan finished"


def _query(out: Path, sql: str) -> int:
    db = out / "scan.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_sigkill_during_analysis_then_resume(demo_url: str, tmp_path: Path) -> None:
    command = _scan(demo_url, "--render", "never", "--rate", "200")
    subprocess.run([*command, "--out", str(tmp_path / "whole")], check=True, capture_output=True, timeout=300)
    # Analysis has begun once the crawl marked every asset fetched and the analysis wrote its first derived asset.
    _run_and_kill(
        command,
        tmp_path / "cut",
        lambda out: _query(out, "SELECT COUNT(*) FROM assets WHERE derived_from IS NOT NULL") > 0,
    )
    result = subprocess.run([*command, "--out", str(tmp_path / "cut")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "resuming" in result.stderr, result.stderr
    assert _comparable(tmp_path / "cut") == _comparable(tmp_path / "whole")


@pytest.mark.browser
def test_sigkill_during_rendering_then_resume(browser: str, tmp_path: Path) -> None:
    shells = {
        f"/app{i}": Route(
            f'<div id="app"></div><script>var a=document.getElementById("app");'
            f'a.innerHTML="<a href=/app{i + 1}>next</a><img src=/img/{i}.png>";</script>',
            delay=0.2,
        )
        for i in range(8)
    }
    shells.update({f"/img/{i}.png": Route(png_bytes(10 + i, 10), content_type="image/png") for i in range(9)})
    site = Site({"/": Route('<a href="/app0">gallery</a>'), **shells})
    with site.serve() as base:
        command = _scan(base + "/", "--render", "auto", "--browser", browser, "--rate", "50", "--concurrency", "1")
        subprocess.run([*command, "--out", str(tmp_path / "whole")], check=True, capture_output=True, timeout=300)
        _run_and_kill(
            command, tmp_path / "cut", lambda out: _query(out, "SELECT COUNT(*) FROM pages WHERE rendered = 1") >= 2
        )
        result = subprocess.run([*command, "--out", str(tmp_path / "cut")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert _comparable(tmp_path / "cut") == _comparable(tmp_path / "whole")
    assert sum(p["rendered"] for p in json.loads((tmp_path / "cut" / "findings.json").read_text())["pages"]) == 8


def test_a_full_disk_is_a_clear_error_and_the_scan_resumes(demo_url: str, tmp_path: Path) -> None:
    """A file-size limit stands in for a full disk (the same EFBIG/ENOSPC path): exit status 2, one clear line,
    a store the same command then resumes to the uninterrupted result."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    command = _scan(demo_url, "--render", "never", "--rate", "200")
    subprocess.run([*command, "--out", str(tmp_path / "whole")], check=True, capture_output=True, timeout=300)
    full = subprocess.run(
        [*command, "--out", str(tmp_path / "full")], capture_output=True, text=True, timeout=300, preexec_fn=limit
    )
    assert full.returncode == 2, full.stderr
    assert "disk is full" in full.stderr and "Traceback" not in full.stderr
    again = subprocess.run([*command, "--out", str(tmp_path / "full")], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert _comparable(tmp_path / "full") == _comparable(tmp_path / "whole")


def _cms_site(photos: int) -> Site:
    """A gallery of CMS thumbnails (``photo-N-300x200.jpg``) whose full-size originals exist and answer slowly, so
    a kill can land while the guessed originals are being probed."""
    from tests.analyze import images

    routes: dict[str, Route] = {}
    links = "".join(f"<img src='/uploads/photo-{i}-300x200.jpg'>" for i in range(photos))
    routes["/"] = Route(f"<title>Gallery</title>{links}")
    for i in range(photos):
        small = images.save(images.scene(300, 200, seed=i), "JPEG")
        large = images.save(images.scene(1200, 800, seed=i), "JPEG")
        routes[f"/uploads/photo-{i}-300x200.jpg"] = Route(small, content_type="image/jpeg")
        routes[f"/uploads/photo-{i}.jpg"] = Route(large, content_type="image/jpeg", delay=0.15)
    return Site(routes)


def test_sigkill_while_originals_are_guessed_then_resume_to_the_same_result(tmp_path: Path) -> None:
    site = _cms_site(24)
    with site.serve() as base:
        command = _scan(base + "/", "--render", "never", "--rate", "50", "--concurrency", "2")
        subprocess.run([*command, "--out", str(tmp_path / "whole")], check=True, capture_output=True, timeout=180)
        interrupted = tmp_path / "interrupted"
        _run_and_kill(
            command, interrupted, lambda out: _query(out, "SELECT COUNT(*) FROM guesses WHERE state = 'done'") >= 8
        )
        pending = _query(interrupted, "SELECT COUNT(*) FROM guesses WHERE state = 'pending'")
        assert pending > 0, "the kill must land while originals are being guessed"
        result = subprocess.run([*command, "--out", str(interrupted)], capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
    whole, resumed = _comparable(tmp_path / "whole"), _comparable(interrupted)
    assert resumed == whole
    guessed = [
        a for a in json.loads((interrupted / "findings.json").read_text())["assets"] if "guessed" in a["found_via"]
    ]
    assert len(guessed) == 24 and all(a["found_on"] == [base + "/"] for a in guessed)


def _pool_script(tmp_path: Path, functions: str, main: str) -> tuple[subprocess.Popen[str], list[int]]:
    """Start a process that makes a scan's face pool (two workers) and runs ``main`` with it as ``executor``;
    returns the process and the worker pids ``main`` printed on its first line."""
    script = tmp_path / "pool.py"
    script.write_text(
        "import os, signal, time\n"
        "from auditor.analyze.face_pool import POOL_MIN_IMAGES, FacePool\n"
        "from auditor.analyze.faces import DEFAULT_MODELS, Thresholds\n" + functions + "if __name__ == '__main__':\n"
        "    pool = FacePool(10**8, Thresholds(), DEFAULT_MODELS)\n"
        "    executor = pool._pool(POOL_MIN_IMAGES)\n" + main
    )
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env={**os.environ, "AUDITOR_WORKERS": "2"}
    )
    assert process.stdout is not None
    return process, [int(p) for p in process.stdout.readline().split()]


def test_face_workers_die_with_a_killed_scan(tmp_path: Path) -> None:
    """kill -9 of a scan leaves no face worker behind (they stayed, idle, holding the models' memory, until the
    machine was restarted): each worker ends itself when its parent is gone."""
    process, pids = _pool_script(
        tmp_path,
        "def pid(_: int) -> int:\n    time.sleep(0.2)\n    return os.getpid()\n",
        "    print(' '.join(str(p) for p in sorted(set(executor.map(pid, range(8))))), flush=True)\n"
        "    time.sleep(60)\n",
    )
    assert pids and all(Path(f"/proc/{p}").exists() for p in pids)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.stdout is not None
    process.stdout.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.1)
    assert not [p for p in pids if Path(f"/proc/{p}").exists()], pids


def test_face_workers_still_starting_end_when_their_scan_was_killed(tmp_path: Path) -> None:
    """A scan killed while its face workers are still starting: each worker learns its parent's pid from the
    parent, not from getppid() once it runs (by then pid 1, so it watched init and waited forever, seen 8 minutes
    after a test run)."""
    process, pids = _pool_script(
        tmp_path,
        "",
        "    executor.submit(os.getpid)\n"  # starts the workers; they are still importing when we die
        "    print(' '.join(str(p) for p in executor._processes), flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    process.wait()
    assert process.stdout is not None
    process.stdout.close()
    assert pids and process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 60  # a bound for the workers' start-up (imports), not a speed claim
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    assert not [p for p in pids if _alive(p)], pids


def _alive(pid: int) -> bool:
    """A running process (a zombie waiting to be reaped has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
