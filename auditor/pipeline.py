"""One scan end to end: open (or resume) the store, crawl, run the checks, write findings.json and report.html.

The CLI calls :func:`run_scan`; tests call it too, with a loopback server and sometimes a share-link transport.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import mimetypes
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from auditor.analyze.face_models import FaceModelUnavailable
from auditor.analyze.face_models import resolve as resolve_face_models
from auditor.analyze.faces import canary
from auditor.config import ScanConfig
from auditor.crawl.crawler import Crawler
from auditor.crawl.fetch import Fetcher
from auditor.crawl.netguard import NetGuard
from auditor.crawl.render import Renderer, find_browser
from auditor.crawl.scope import Scope
from auditor.decisions import load as load_decisions
from auditor.errors import BrowserUnavailable, ConfigError, StoreError, plain
from auditor.history import History, scan_key
from auditor.local_files import LocalFile, Skipped, collect
from auditor.passes import FaceFeeder, analyze, face_pool_for
from auditor.passes.site import run_site_checks
from auditor.progress import NullProgress, Progress
from auditor.report.outputs import ReportOptions, write_all
from auditor.report.words import plural
from auditor.store import Store
from auditor.store.base import is_disk_full


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    document: dict[str, Any]
    findings_path: Path
    report_path: Path
    resumed: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _open(config: ScanConfig, store: Store, fresh: bool, progress: Progress) -> bool:
    """Start a new scan in the store or pick up an interrupted one; returns True when resuming."""
    previous = store.get_meta("seeds")
    if previous is not None and not fresh and not store.get_meta("complete"):
        if previous != list(config.seeds):
            raise StoreError(
                f"{config.out}: holds an unfinished scan of {', '.join(previous)}; "
                "use another --out, or --fresh to discard it"
            )
        progress.log(f"resuming the unfinished scan in {config.out}")
        return True
    if previous is not None:
        store.reset()
    store.set_meta("seeds", list(config.seeds))
    store.set_meta("config", config.public_dict())
    store.set_meta("started_at", _now())
    store.set_meta("complete", False)
    return False


def make_renderer(config: ScanConfig) -> Renderer | None:
    """Decide before the scan starts whether pages can be rendered (``--render always`` fails early)."""
    if config.render == "never":
        return None
    executable = find_browser(config.browser)
    if config.browser and executable is None:
        raise ConfigError(f"--browser {config.browser}: not a browser (no executable file at that path)")
    return Renderer(
        Scope(config.seeds, config.allow_hosts, config.include, config.exclude),
        executable,
        config.render_timeout,
        config.user_agent,
    )


async def _crawl(
    config: ScanConfig,
    store: Store,
    progress: Progress,
    share_transport: httpx.AsyncBaseTransport | None,
    fetch_transport: httpx.AsyncBaseTransport | None,
    guard: NetGuard | None,
) -> float:
    """The crawl; returns the seconds spent rendering pages (summed over pages rendered at once)."""
    renderer = make_renderer(config)
    try:
        guard = guard or NetGuard(allow_private=config.allow_private)
        await guard.allow_seeds(config.seeds, config.allow_hosts)
        if renderer is not None:
            renderer.guard = guard  # the browser connects to the addresses this guard checked
        if renderer is not None and config.render == "always":
            try:
                await renderer.start()
            except BrowserUnavailable as exc:
                raise ConfigError(f"--render always: {exc}") from exc
        async with Fetcher(config, store.tmp, transport=fetch_transport, guard=guard) as fetcher:
            crawler = Crawler(config, store, fetcher, renderer, progress, share_transport)
            if renderer is not None:
                renderer.scope = crawler.scope  # hosts adopted during the crawl are loaded by the browser too
                if not config.ignore_robots:  # the browser's requests obey robots.txt as the crawler's do
                    renderer.allows = crawler.hosts.known_allows
            await crawler.run()
            return crawler.render_seconds
    finally:
        if renderer is not None:
            await renderer.close()


def collect_files(paths: list[Path]) -> tuple[list[LocalFile], list[Skipped]]:
    """The files ``auditor check`` reads under ``paths``, by content (:mod:`auditor.local_files`), and the ones it
    skips, with why."""
    try:
        return collect(paths)
    except FileNotFoundError as exc:
        raise ConfigError(f"{exc.args[0]}: no such file or folder") from exc


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_models(config: ScanConfig) -> float:
    """Before anything is crawled: the chosen models exist, and they find and read a known face (the canary).
    Models that load but see nothing would make every photo look like it shows nobody. Returns the seconds it
    took (a fixed cost of every run, reported in ``scan.timings.models_check_s``)."""
    started = time.monotonic()
    try:
        canary(resolve_face_models(config.face_model, config.models_dir))
    except FaceModelUnavailable as exc:
        raise ConfigError(str(exc)) from exc
    except Exception as exc:  # any failure here means no photo could be judged: exit 2, one line
        raise ConfigError(
            f"the face models could not start ({type(exc).__name__}: {plain(str(exc))}); reinstall: "
            "pip install --force-reinstall exposure-auditor"
        ) from exc
    return round(time.monotonic() - started, 2)


def run_check(paths: list[Path], config: ScanConfig, progress: Progress | None = None) -> ScanOutcome:
    """``auditor check``: the same analysis and outputs for local files, before anything is published."""
    progress = progress or NullProgress()
    progress.log("checking that the face models work (the start-up check, a few seconds)")
    models_s = check_models(config)
    files, skipped = collect_files(paths)
    store = Store(config.out, fresh=True)  # a check always starts over
    try:
        with _disk_errors(config.out):
            return _check(store, files, skipped, paths, config, progress, models_s)
    finally:
        store.close()


def _check(
    store: Store,
    files: list[LocalFile],
    skipped: list[Skipped],
    paths: list[Path],
    config: ScanConfig,
    progress: Progress,
    models_s: float,
) -> ScanOutcome:
    store.reset()
    store.set_meta("seeds", [p.resolve().as_uri() for p in paths])
    store.set_meta("config", config.public_dict())
    store.set_meta("started_at", _now())
    store.set_meta("files_skipped", [{"url": s.path.as_uri(), "reason": s.why} for s in skipped])
    with store.transaction():
        for file in files:
            path, kind = file.path, file.kind
            limit = config.max_video_bytes if kind == "video" else config.max_bytes
            why = file.unreadable
            try:
                too_large = why is not None or path.stat().st_size > limit
                sha, size = _sha256(path) if not too_large else ("", 0)
            except OSError as exc:  # reported as not_checked by the analysis stage
                too_large, why = True, f"cannot read {path}: {exc.strerror}"
            else:
                option = "--max-video-bytes" if kind == "video" else "--max-bytes"
                why = why or f"{path}: larger than {option} {limit:,}; it was not read"
            if too_large:
                store.add_unreadable_file(path.as_uri(), kind)
                store.add_error(path.as_uri(), "read", why)
                continue
            store.add_local_file(path.as_uri(), kind, size, sha, mimetypes.guess_type(path.name)[0])
    progress.log(f"checking {plural(len(files), 'file')}")
    if skipped:
        names = ", ".join(s.path.name for s in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        progress.log(
            f"not checked: {plural(len(skipped), 'file')} that {'is' if len(skipped) == 1 else 'are'} not a picture, "
            f"document or video by content ({names}; each with why in findings.json scan.files_skipped)"
        )
    started = time.monotonic()
    with _history(config, store.get_meta("seeds") or []) as history:
        parts = analyze(store, config, history, progress=progress)
        timings = {"models_check_s": models_s, "analysis_s": round(time.monotonic() - started, 2), **parts}
        store.set_meta("timings", timings)
        return _finish(store, config, False, history)


_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


@contextmanager
def _disk_errors(out: Path) -> Iterator[None]:
    """A full disk (or a file-size limit) mid-scan becomes one clear error; SQLite's transactions keep the store
    consistent, so the same command resumes once there is room."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _FULL:
            raise StoreError(
                f"{out}: the disk is full ({exc.strerror}); free some space and run the same command to resume"
            ) from exc
        raise
    except sqlite3.OperationalError as exc:
        if is_disk_full(exc):
            raise StoreError(
                f"{out}: the disk is full ({exc}); free some space and run the same command to resume"
            ) from exc
        raise


@contextmanager
def _history(config: ScanConfig, seeds: list[str]) -> Iterator[History | None]:
    """The scan history (and face cache) under ``--state``, or ``None`` when no state is kept; ``seeds``: the
    run's starting URLs (a check's: its files' URIs), whose site the pictures it caches belong to."""
    history = History(config.state_dir, scan_key(seeds)) if config.state_dir else None
    try:
        yield history
    finally:
        if history:
            history.close()


def _finish(store: Store, config: ScanConfig, resumed: bool, history: History | None) -> ScanOutcome:
    """Compare with the previous scan of the same seeds, write every output, then mark the scan complete.

    Resumable like the rest: killed while writing, the same command finishes again with the same comparison
    (kept in the store the first time), and a scan is recorded in the history only after it is marked complete,
    so a kill can leave the history one scan short (the next scan reports more as new) but never compare a scan
    with itself (which would report nothing as new)."""
    store.set_meta("finished_at", _now())
    store.remove_unused_blobs()
    decided = tuple(load_decisions(config.decisions_file))
    options = ReportOptions(
        redact=config.redact,
        show_names=config.show_names,
        decisions=decided,
        severity=tuple(sorted(config.check_severity.items())),
    )
    key = scan_key(store.get_meta("seeds") or [])
    if store.get_meta("finishing"):
        previous = store.get_meta("history_previous")
    else:
        previous = history.previous(key) if history else None
        store.set_meta("history_previous", previous)  # so `auditor report` re-renders the same statuses
        store.set_meta("finishing", True)
    document, report = write_all(store, config.out, options, previous)
    store.set_meta("complete", True)
    if history and document["scan"]["complete"]:  # an incomplete scan is no baseline for the next one
        history.record(key, document)
    return ScanOutcome(document, config.out / "findings.json", report, resumed)


def rerender(out: Path, options: ReportOptions) -> ScanOutcome:
    """``auditor report``: rebuild findings.json, the CSVs and report.html from a finished store, no network."""
    if not (out / Store.DB_NAME).exists():
        raise ConfigError(f"{out}: no scan store here (run auditor scan or check with --out {out} first)")
    store = Store(out)
    try:
        if not store.get_meta("complete"):
            raise ConfigError(f"{out}: the scan there is unfinished; run the same scan command to resume it")
        settings = store.get_meta("config") or {}
        recorded = settings.get("decisions_file")
        if not options.decisions and recorded:  # the decisions the scan used, as they stand now
            options = replace(options, decisions=tuple(load_decisions(Path(recorded))))
        if not options.severity and settings.get("check_severity"):  # the severities the scan was run with
            options = replace(options, severity=tuple(sorted(settings["check_severity"].items())))
        document, report = write_all(store, out, options, store.get_meta("history_previous"))
        return ScanOutcome(document, out / "findings.json", report, False)
    finally:
        store.close()


def run_scan(
    config: ScanConfig,
    progress: Progress | None = None,
    *,
    fresh: bool = False,
    share_transport: httpx.AsyncBaseTransport | None = None,
    fetch_transport: httpx.AsyncBaseTransport | None = None,
    guard: NetGuard | None = None,
) -> ScanOutcome:
    """Crawl (or resume), check, and write the outputs into ``config.out``."""
    progress = progress or NullProgress()
    progress.log("checking that the face models work (the start-up check, a few seconds)")
    models_s = check_models(config)
    store = Store(config.out, fresh=fresh)
    try:
        with _disk_errors(config.out):
            return _scan(config, store, progress, fresh, share_transport, fetch_transport, guard, models_s)
    finally:
        store.close()


def _scan(
    config: ScanConfig,
    store: Store,
    progress: Progress,
    fresh: bool,
    share_transport: httpx.AsyncBaseTransport | None,
    fetch_transport: httpx.AsyncBaseTransport | None,
    guard: NetGuard | None,
    models_s: float = 0.0,
) -> ScanOutcome:
    resumed = _open(config, store, fresh, progress)
    started = time.monotonic()
    # check_models has already turned unavailable face models into a ConfigError, so the pool can be made.
    with _history(config, list(config.seeds)) as history, face_pool_for(config, history) as pool:
        # Faces are read while the crawl fetches (a second thread feeds the worker pool), not after it.
        with FaceFeeder(store, pool) as feeder:
            render_s = asyncio.run(_crawl(config, store, progress, share_transport, fetch_transport, guard))
        crawled = time.monotonic()
        if feeder.error is not None:
            progress.log(f"warning: faces could not be read during the crawl ({feeder.error}); reading them now")
        if pool.fed:
            progress.log(f"{pool.fed} pictures went to the face workers during the crawl")
        known = {kind: len(store.fetched(kind)) for kind in ("image", "document", "video")}
        progress.log(
            f"analysing {plural(known['image'], 'image')}, {plural(known['document'], 'document')} and "
            f"{plural(known['video'], 'video')}"
        )
        parts = analyze(store, config, history, pool, progress)
        run_site_checks(store)
        store.set_meta(
            "timings",
            {
                "models_check_s": models_s,
                "crawl_s": round(crawled - started, 2),
                "render_s": round(render_s, 2),
                "analysis_s": round(time.monotonic() - crawled, 2),
                **parts,
            },
        )
        return _finish(store, config, resumed, history)
