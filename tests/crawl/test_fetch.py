"""The fetcher against real loopback servers: retries, Retry-After, size caps, redirects, slow servers."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.config import ScanConfig
from auditor.crawl.fetch import Fetcher, Response, retry_after_seconds
from auditor.errors import FetchError, FetchTimeout, RedirectError, TooLargeError
from tests.server import Route, Site
from tests.sites import SECTIONS, assert_one_rate, one_host_two_sections


def fetch(config: ScanConfig, url: str, **kwargs: object) -> Response:
    async def run() -> Response:
        async with Fetcher(config, config.out) as fetcher:
            limit = kwargs.pop("max_bytes", 10_000_000)
            return await fetcher.get(url, max_bytes=limit, **kwargs)  # type: ignore[arg-type]

    config.out.mkdir(parents=True, exist_ok=True)
    return asyncio.run(run())


def test_flapping_5xx_and_429_are_retried(make_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site = Site(
        {
            "/flap": Route(dynamic=lambda n: Route("ok") if n >= 3 else Route("busy", status=503)),
            "/limited": Route(
                dynamic=lambda n: Route("ok") if n >= 2 else Route("", status=429, headers={"Retry-After": "1"})
            ),
        }
    )
    with site.serve() as base:
        config = make_config(base)
        assert fetch(config, base + "/flap").status == 200
        assert fetch(config, base + "/limited").status == 200
    assert site.hits["/flap"] == 3 and site.hits["/limited"] == 2


def test_retry_after_longer_than_allowed_is_an_error(make_config) -> None:  # type: ignore[no-untyped-def]
    site = Site({"/wait": Route("", status=503, headers={"Retry-After": "3600"})})
    with site.serve() as base, pytest.raises(FetchError, match="wait 3600s"):
        fetch(make_config(base), base + "/wait")


def test_retry_after_formats() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_seconds("soon") is None


def test_size_cap(make_config) -> None:  # type: ignore[no-untyped-def]
    site = Site({"/big": Route(b"x" * 50_000, content_type="image/jpeg")})
    with site.serve() as base, pytest.raises(TooLargeError, match="/big"):
        fetch(make_config(base), base + "/big", max_bytes=10_000)


def test_redirect_loop_and_scope(make_config) -> None:  # type: ignore[no-untyped-def]
    site = Site(
        {
            "/a": Route("", status=302, headers={"Location": "/b"}),
            "/b": Route("", status=302, headers={"Location": "/a"}),
            "/out": Route("", status=301, headers={"Location": "http://elsewhere.invalid/x"}),
            "/hop": Route("", status=301, headers={"Location": "/final"}),
            "/final": Route("done"),
        }
    )
    with site.serve() as base:
        config = make_config(base)
        with pytest.raises(RedirectError, match="loop"):
            fetch(config, base + "/a")
        with pytest.raises(RedirectError, match="out of scope"):
            fetch(config, base + "/out", allow_redirect=lambda u: u.startswith(base))
        response = fetch(config, base + "/hop")
        assert response.status == 200 and response.final_url == base + "/final"
        assert response.redirects == [base + "/final"]


def test_slow_server_times_out(make_config) -> None:  # type: ignore[no-untyped-def]
    site = Site({"/slow": Route("late", delay=3)})
    with site.serve() as base, pytest.raises(FetchTimeout, match="/slow"):
        fetch(make_config(base, timeout=1.0, retries=0), base + "/slow")


def test_unreachable_host_is_a_fetch_error(make_config) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FetchError, match=r"127\.0\.0\.1:9"):
        fetch(make_config("http://127.0.0.1:9/", retries=0), "http://127.0.0.1:9/")


def test_scans_side_by_side_share_one_hosts_rate_through_a_folder(tmp_path: Path) -> None:
    """Two ``auditor scan`` processes on one host with one ``--shared-rate-dir``: ``--rate 4`` holds for the host
    across both, not for each alone."""
    host = one_host_two_sections()
    with host.serve() as base:
        options = ["--no-state", "--render", "never", "--rate", "4", "--no-link-check", "--max-depth", "0", "-q"]
        options += ["--shared-rate-dir", str(tmp_path / "rates")]
        scans = [
            subprocess.Popen(
                [sys.executable, "-m", "auditor", "scan", f"{base}/{part}/", "--out", str(tmp_path / part), *options],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for part in SECTIONS
        ]
        codes = [scan.wait(timeout=300) for scan in scans]
    assert all(code in (0, 1) for code in codes), codes
    assert_one_rate(host, 4)


def test_a_fleet_rate_keeper_that_cannot_answer_leaves_the_scans_own_rate(  # type: ignore[no-untyped-def]
    make_config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The fleet's relay gone (its socket missing): a warning, and the request still goes out at the scan's own
    rate, never unthrottled and never a failed fetch."""
    site = Site({"/a": Route("ok"), "/b": Route("ok")})
    with site.serve() as base:
        config = make_config(base, rate=4.0, shared_rate_socket=tmp_path / "gone.sock")
        with caplog.at_level(logging.WARNING):

            async def run() -> list[int]:
                async with Fetcher(config, config.out) as fetcher:
                    return [(await fetcher.get(base + path, max_bytes=1000)).status for path in ("/a", "/b")]

            config.out.mkdir(parents=True, exist_ok=True)
            assert asyncio.run(run()) == [200, 200]
    assert "this scan keeps its own --rate" in caplog.text
    assert site.started[1] - site.started[0] >= 0.2  # 4 a second: a quarter second apart
