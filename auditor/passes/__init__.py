"""The analysis stage: every fetched (or local) document and image in the store → findings and asset facts.

A short driver over one pass per input kind (:mod:`~auditor.passes.documents`, :mod:`~auditor.passes.images`,
:mod:`~auditor.passes.videos`, :mod:`~auditor.passes.people`), each running every registered check that has its
hook (``auditor/checks/``). Documents go first: the images inside them become assets of their own, so every image
check covers them. Results are keyed by content hash, so the same picture published under five URLs is read once.
The stage is idempotent: it replaces its own findings, facts, derived assets and errors each time it runs, so a
resumed scan ends the same. A file that cannot be read becomes an ``errors`` entry (stage ``analyze``) and never
counts as clean. Crawl-level checks run from :mod:`~auditor.passes.site`.

Packages import downwards only: ``models`` ← ``analyze`` (reading files, faces, the triage) ← ``checks`` (the
rules) ← ``passes`` (running them over the store) ← ``pipeline``."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import replace

from auditor.analyze.face_models import FaceModelUnavailable
from auditor.analyze.face_pool import FaceCache, FacePool
from auditor.checks import REGISTRY, ids
from auditor.checks._check import Refinement
from auditor.config import ScanConfig
from auditor.errors import CheckUnavailable
from auditor.models import Face, Finding, Unread
from auditor.passes import documents, images, people, videos
from auditor.passes.feeder import FaceFeeder, face_pool_for
from auditor.passes.results import Results
from auditor.progress import NullProgress, Progress
from auditor.store import AnalysisResults, Store

__all__ = ["CHECKS", "FaceFeeder", "analyze", "combine", "face_pool_for", "merge_duplicates"]

CHECKS = ids("analysis")  # the findings this stage replaces each time it runs


def analyze(
    store: Store,
    config: ScanConfig,
    face_cache: FaceCache | None = None,
    face_pool: FacePool | None = None,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Run every document and image check over the store (``face_cache``: faces from earlier scans;
    ``face_pool``: one already fed during the crawl). Returns the seconds each part took, for ``scan.timings``."""
    results = Results()
    clock = _Clock()
    store.replace_document_images()
    documents.run(store, results)
    documents.vector_images(store, results)
    clock.lap("documents_s")
    images.run(store, config, results, progress or NullProgress())
    clock.lap("metadata_s")
    for check in REGISTRY.values():  # checks over every file at once (sizes of one photo, text beside photos)
        if check.store is not None:
            try:
                results.findings.extend(check.store(store, results.sizes))
            except CheckUnavailable as exc:
                results.skipped[check.id] = str(exc)
    clock.lap("names_s")
    found_videos = videos.video_metadata(store, config, results)
    clock.lap("video_metadata_s")
    try:
        with contextlib.nullcontext(face_pool) if face_pool else face_pool_for(config, face_cache) as pool:
            started = time.monotonic()
            watched = videos.watch(store, config, pool, found_videos)
            results.video_s = time.monotonic() - started
            people.run(store, config, results, pool, watched, progress or NullProgress())
            results.findings = combine(results.findings, results.with_faces, results.thumbnails, pool.faces_in)
    except FaceModelUnavailable as exc:
        results.skipped.update({c.id: str(exc) for c in REGISTRY.values() if c.faces is not None})
    clock.lap("faces_s")
    clock.laps["faces_s"] = round(clock.laps["faces_s"] - results.video_s, 2)
    clock.laps["video_frames_s"] = round(results.video_s, 2)
    clock.laps["faces_s"] = round(clock.laps["faces_s"] - results.persons_s, 2)
    clock.laps["persons_s"] = round(results.persons_s, 2)
    clock.laps["persons_describe_cpu_s"] = round(results.describe_cpu_s, 2)
    located = _unread(store, [*results.errors, *((url, message) for url, _, message in store.errors("read"))])
    results.findings.extend(f for c in REGISTRY.values() if c.unread is not None for f in c.unread(located))
    results.findings = merge_duplicates(results.findings)
    store.set_meta("checks_skipped", results.skipped)
    store.replace_analysis(
        AnalysisResults(CHECKS, results.findings, results.facts, results.faces, results.redacted, results.errors)
    )
    return clock.laps


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = round(now - self._last, 2)
        self._last = now


def combine(
    findings: list[Finding],
    faces_by_url: dict[str, list[Face]],
    thumbnails: dict[str, bytes],
    faces_in: Callable[[bytes], list[Face]],
) -> list[Finding]:
    """Each finding through its check's ``refine`` hook, once every check has run and faces are read: with the
    faces in its picture and, where its embedded thumbnail differs, a reader of the faces in that thumbnail
    (``faces_in`` reads a picture held in memory)."""
    out = []
    for finding in findings:
        check = REGISTRY.get(finding.check)
        if check is not None and check.refine is not None:
            thumbnail = thumbnails.get(finding.asset or "")
            seen = Refinement(
                faces_by_url.get(finding.asset or "", []),
                None if thumbnail is None else functools.partial(faces_in, thumbnail),
            )
            finding = check.refine(finding, seen)
        out.append(finding)
    return out


def _unread(store: Store, errors: list[tuple[str, str]]) -> list[Unread]:
    """The files nobody could read, with the page each is on and, where its bytes were stored, its content hash,
    size and first bytes (one file at several addresses is one finding; a file too small for a photo is told
    apart)."""
    contents = store.contents()
    out = []
    for url, why in errors:
        sha256, size = contents.get(url, (None, None))
        head = b""
        if sha256 is not None:
            with contextlib.suppress(OSError), store.asset_path(url, sha256).open("rb") as fh:
                head = fh.read(16)
        out.append(Unread(url, why, store.first_page(url), sha256, size, head))
    return out


def merge_duplicates(findings: list[Finding]) -> list[Finding]:
    """One finding per id: the same photo published under several URLs is reported once, on its first URL,
    with the others listed in ``evidence.also_at``."""
    by_id: dict[str, list[Finding]] = {}
    for finding in findings:
        by_id.setdefault(finding.id, []).append(finding)
    merged = []
    for group in by_id.values():
        group.sort(key=lambda f: f.asset or "")
        first = group[0]
        others = sorted({f.asset for f in group[1:] if f.asset and f.asset != first.asset})
        merged.append(replace(first, evidence={**first.evidence, "also_at": others}) if others else first)
    return merged
