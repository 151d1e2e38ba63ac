"""Verdicts a school can trust: a scan that could not look never reads as an audit, first scans say so, an
incomplete scan resolves nothing, and messages carry no Python internals. Real CLI, real loopback servers."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from auditor import __version__
from auditor.cli import main
from auditor.errors import plain
from auditor.report.findings_json import SCHEMA_VERSION, schema
from tests.analyze import images
from tests.server import Route, Site, running


def _scan(*args: str) -> Result:
    return CliRunner().invoke(main, ["scan", *args, "--rate", "200", "--render", "never", "--timeout", "5"])


def _document(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "findings.json").read_text())
    jsonschema.validate(document, schema())
    return document


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed again: nothing listens there


def _assert_incomplete_report(out: Path) -> None:
    html = (out / "report.html").read_text()
    assert 'id="incomplete-banner"' in html and "must not be relied on" in html
    assert 'id="overall-risk"' not in html and 'id="overall-risk-withheld"' in html


def test_nothing_listening_is_an_incomplete_audit_not_a_robots_rule(tmp_path: Path) -> None:
    seed = f"http://127.0.0.1:{_free_port()}/"
    result = _scan(seed, "--out", str(tmp_path / "o"), "--no-state")
    assert result.exit_code == 3, result.output
    assert f"incomplete: {seed}" in result.output and "connection refused" in result.output
    document = _document(tmp_path / "o")
    assert document["scan"]["complete"] is False
    assert [(r["code"], r["url"]) for r in document["scan"]["incomplete_reasons"]] == [("seed_failed", seed)]
    assert document["errors"][0]["message"].startswith("not fetched: the server could not be reached")
    assert "robots.txt disallows" not in json.dumps(document)
    assert document["findings"] == []  # no "AI training not reserved" about a site nobody saw
    assert document["scan"]["pages"] == 0
    _assert_incomplete_report(tmp_path / "o")


@pytest.mark.parametrize("status", [404, 410])
def test_a_seed_answering_an_error_status_is_incomplete(tmp_path: Path, status: int) -> None:
    site = Site({"/": Route("gone", status=status), "/robots.txt": Route("", status=404)})
    with site.serve() as base:
        result = _scan(base + "/", "--out", str(tmp_path / "o"), "--no-state")
    assert result.exit_code == 3, result.output
    reasons = _document(tmp_path / "o")["scan"]["incomplete_reasons"]
    assert reasons[0]["code"] == "seed_failed" and f"HTTP {status}" in reasons[0]["message"]
    assert f"HTTP {status}" in result.output
    _assert_incomplete_report(tmp_path / "o")


def test_a_typo_in_the_host_name_is_a_dns_failure(tmp_path: Path) -> None:
    result = _scan("http://no-such-school.invalid/", "--out", str(tmp_path / "o"), "--no-state")
    assert result.exit_code == 3, result.output
    assert "DNS lookup failed" in result.output
    assert _document(tmp_path / "o")["scan"]["complete"] is False


@contextmanager
def _https_with_an_untrusted_certificate() -> Iterator[str]:
    trustme = pytest.importorskip("trustme")
    certificate = trustme.CA().issue_cert("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with running(server):
        yield f"https://127.0.0.1:{server.server_address[1]}/"


def test_a_tls_error_says_so_in_plain_words(tmp_path: Path) -> None:
    with _https_with_an_untrusted_certificate() as seed:
        result = _scan(seed, "--out", str(tmp_path / "o"), "--no-state")
    assert result.exit_code == 3, result.output
    assert "TLS error: the server's certificate is not valid" in result.output
    text = (tmp_path / "o" / "findings.json").read_text()
    assert "_ssl.c" not in text and "object at 0x" not in text and "SSLCertVerificationError" not in text


def test_a_page_limit_that_cuts_the_crawl_makes_the_audit_incomplete(tmp_path: Path, demo_url: str) -> None:
    result = _scan(demo_url, "--out", str(tmp_path / "o"), "--no-state", "--max-pages", "2")
    assert result.exit_code == 3, result.output
    reasons = _document(tmp_path / "o")["scan"]["incomplete_reasons"]
    assert [r["code"] for r in reasons] == ["max_pages"] and "--max-pages 2" in reasons[0]["message"]
    _assert_incomplete_report(tmp_path / "o")


def test_a_complete_demo_scan_is_complete(tmp_path: Path, demo_url: str) -> None:
    result = _scan(demo_url, "--out", str(tmp_path / "o"), "--no-state")
    assert result.exit_code == 0, result.output
    document = _document(tmp_path / "o")
    assert document["scan"]["complete"] is True and document["scan"]["incomplete_reasons"] == []
    html = (tmp_path / "o" / "report.html").read_text()
    assert 'id="overall-risk"' in html and "incomplete-banner" not in html


def test_a_seed_without_a_scheme_tries_https_then_http_and_says_which(tmp_path: Path) -> None:
    site = Site({"/": Route("<title>Home</title><p>Welcome</p>"), "/robots.txt": Route("", status=404)})
    with site.serve() as base:
        bare = base.removeprefix("http://")
        result = _scan(bare, "--out", str(tmp_path / "o"), "--no-state")
    assert result.exit_code == 0, result.output
    assert "https did not answer" in result.output and f"so {base} is audited" in result.output
    assert _document(tmp_path / "o")["scan"]["seeds"] == [base + "/"]


def _photo_site(with_gps: bool) -> Site:
    photo = images.jpeg(lat=51.5007, lon=-0.1246) if with_gps else images.jpeg()
    return Site(
        {
            "/": Route('<title>News</title><p>Our trip</p><img src="/trip.jpg" alt="trip">'),
            "/robots.txt": Route("", status=404),
            "/trip.jpg": Route(photo, content_type="image/jpeg"),
        }
    )


def test_first_scan_says_first_and_the_next_lists_what_was_fixed(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "o"
    with _photo_site(with_gps=True).serve() as base:
        first = _scan(base + "/", "--out", str(out), "--state", str(state))
        port = base.rsplit(":", 1)[1]
    assert first.exit_code == 0, first.output
    assert "since the last scan" not in first.output and "first scan of these sites" in first.output
    document = _document(out)
    assert document["history"]["first_scan"] is True
    html = (out / "report.html").read_text()
    assert "Since the last scan" not in html and "First audit of these sites" in html
    gps = next(f for f in document["findings"] if f["check"] == "gps_location")

    site = _photo_site(with_gps=False)  # the school stripped the location: the same site, on the same port
    with site.serve(port=int(port)) as base:
        second = _scan(base + "/", "--out", str(out), "--state", str(state))
    assert second.exit_code == 0, second.output
    history = _document(out)["history"]
    assert history["first_scan"] is False and [f["id"] for f in history["resolved_findings"]] == [gps["id"]]
    resolved = (out / "report.html").read_text().split('id="resolved"', 1)[1].split("</details>", 1)[0]
    assert gps["title"] in resolved and "GPS position in the photo" in resolved


def test_an_incomplete_scan_resolves_nothing_and_is_no_baseline(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "o"
    with _photo_site(with_gps=True).serve() as base:
        assert _scan(base + "/", "--out", str(out), "--state", str(state)).exit_code == 0
        port = int(base.rsplit(":", 1)[1])
    down = _scan(f"http://127.0.0.1:{port}/", "--out", str(out), "--state", str(state))  # the server is gone
    assert down.exit_code == 3, down.output
    history = _document(out)["history"]
    assert history["resolved"] == 0 and history["resolved_findings"] == [] and history["not_seen"] >= 1
    assert "not counted as resolved" in down.output
    with _photo_site(with_gps=True).serve(port=port) as base:
        again = _scan(base + "/", "--out", str(out), "--state", str(state))
    assert again.exit_code == 0, again.output
    history = _document(out)["history"]
    assert history["new"] == 0 and history["resolved"] == 0  # compared with the last complete scan


def test_fail_on_is_case_insensitive(tmp_path: Path) -> None:
    photo = tmp_path / "in" / "trip.jpg"
    photo.parent.mkdir()
    photo.write_bytes(images.jpeg(lat=51.5007, lon=-0.1246))
    result = CliRunner().invoke(main, ["check", str(photo.parent), "--out", str(tmp_path / "o"), "--fail-on", "HIGH"])
    assert result.exit_code == 1, result.output


def test_report_with_a_browser_that_is_not_one(tmp_path: Path) -> None:
    photo = tmp_path / "in" / "a.png"
    photo.parent.mkdir()
    photo.write_bytes(images.save(images.scene(), "PNG"))
    assert CliRunner().invoke(main, ["check", str(photo), "--out", str(tmp_path / "o")]).exit_code == 0
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "o"), "--pdf", "--browser", "/nonexistent"])
    assert result.exit_code == 2 and "/nonexistent: not a browser" in result.output


def test_demo_rejects_state_it_cannot_keep(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s")])
    assert result.exit_code == 2 and "the demo keeps no history" in result.output
    assert not (tmp_path / "o").exists()


def test_user_agent_names_the_project_version_and_contact(tmp_path: Path) -> None:
    site = Site({"/": Route("<p>hi</p>"), "/robots.txt": Route("", status=404)})
    with site.serve() as base:
        result = _scan(base + "/", "--out", str(tmp_path / "o"), "--no-state", "--contact", "https://school.example/it")
    assert result.exit_code == 0, result.output
    agents = {headers.get("User-Agent") for _, headers in site.request_headers}
    assert agents == {f"ExposureAuditor/{__version__} (self-audit by the site's owner; +https://school.example/it)"}


def test_messages_carry_no_python_internals() -> None:
    assert plain("cannot identify image file <_io.BytesIO object at 0x7f3a2c1b9e40>") == "cannot identify image file"
    assert plain("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1006)") == (
        "certificate verify failed"
    )


def test_fail_on_new_without_history_treats_every_finding_as_new(tmp_path: Path) -> None:
    photo = tmp_path / "in" / "trip.jpg"
    photo.parent.mkdir()
    photo.write_bytes(images.jpeg(lat=51.5007, lon=-0.1246))
    result = CliRunner().invoke(
        main, ["check", str(photo.parent), "--out", str(tmp_path / "o"), "--no-state", "--fail-on-new", "high"]
    )
    assert result.exit_code == 1, result.output


def test_ctrl_c_mid_scan_is_one_clear_line_and_exit_130(tmp_path: Path, demo_url: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    command = [
        sys.executable,
        "-m",
        "auditor",
        "scan",
        demo_url,
        "--out",
        str(tmp_path / "o"),
        "--no-state",
        "--render",
        "never",
        "--rate",
        "5",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 130, output
    assert "interrupted; run the same command again to resume" in output
    assert "Traceback" not in output and "Future exception" not in output and "never retrieved" not in output


def test_check_output_with_history_matches_the_schema(tmp_path: Path) -> None:
    photo = tmp_path / "in" / "trip.jpg"
    photo.parent.mkdir()
    photo.write_bytes(images.jpeg(lat=51.5007, lon=-0.1246))
    for _ in range(2):
        result = CliRunner().invoke(
            main, ["check", str(photo.parent), "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s")]
        )
        assert result.exit_code == 0, result.output
    document = _document(tmp_path / "o")  # validated against the schema
    assert document["schema_version"] == SCHEMA_VERSION and document["history"]["unchanged"] == 1


def test_a_document_that_breaks_the_contract_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a bug makes such a document, so one is made here by hand."""
    from auditor.report import findings_json

    real = findings_json.build
    made_up: dict[str, Any] = {
        "id": "x",
        "check": "made_up",
        "severity": "high",
        "title": "t",
        "asset": None,
        "page": None,
        "evidence": {},
        "advice": "a",
    }
    monkeypatch.setattr(findings_json, "build", lambda store: {**real(store), "findings": [made_up]})
    photo = tmp_path / "in" / "a.png"
    photo.parent.mkdir()
    photo.write_bytes(images.save(images.scene(), "PNG"))
    result = CliRunner().invoke(main, ["check", str(photo.parent), "--out", str(tmp_path / "o")])
    assert result.exit_code == 4 and "does not match its schema" in result.output
    assert not (tmp_path / "o" / "findings.json").exists() and (tmp_path / "o" / "findings.invalid.json").exists()
    assert (tmp_path / "o" / "report.html").exists()  # the audit is still there to read while the bug is reported


def test_a_kill_while_the_outputs_are_written_resumes_instead_of_starting_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill cannot be aimed at the report's writing from outside, so the writer is interrupted once here."""
    from auditor import pipeline

    real, calls = pipeline.write_all, []  # type: ignore[attr-defined]

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "write_all", interrupted)
    site = _photo_site(with_gps=True)
    with site.serve() as base:
        first = _scan(base + "/", "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s"))
        assert first.exit_code == 130, first.output
        second = _scan(base + "/", "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s"))
    assert second.exit_code == 0, second.output
    assert "resuming" in second.output and site.hits["/"] == 1  # nothing crawled twice
    history = _document(tmp_path / "o")["history"]
    assert history["first_scan"] is True and history["new"] >= 1  # compared with nothing, not with itself


def test_a_check_that_could_not_run_makes_the_audit_incomplete(tmp_path: Path) -> None:
    """A missing language model cannot be uninstalled for one test, so the stage's record of it is written into a
    real finished store, and the real `auditor report` re-renders from it."""
    from auditor.store import Store

    photo = tmp_path / "in" / "a.png"
    photo.parent.mkdir()
    photo.write_bytes(images.save(images.scene(), "PNG"))
    assert CliRunner().invoke(main, ["check", str(photo.parent), "--out", str(tmp_path / "o")]).exit_code == 0
    store = Store(tmp_path / "o")
    store.set_meta("checks_skipped", {"name_near_photo": "no spaCy English pipeline found"})
    store.close()
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    reasons = _document(tmp_path / "o")["scan"]["incomplete_reasons"]
    assert [(r["code"], r["check"]) for r in reasons] == [("check_not_run", "name_near_photo")]
    _assert_incomplete_report(tmp_path / "o")
