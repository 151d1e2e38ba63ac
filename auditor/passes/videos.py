"""Videos: container metadata through the same checks as a photo's, frames sampled on the face pool's workers,
and each video's face findings from its most telling frame."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from auditor.analyze.face_pool import FacePool
from auditor.analyze.triage import Thresholds, group_context
from auditor.analyze.video import UnreadableVideo, VideoMetadata, as_image_metadata, timecode
from auditor.analyze.video import read_metadata as read_video_metadata
from auditor.analyze.video_faces import VIDEO_MAX_SIDE, VideoFaces, VideoJob
from auditor.checks import REGISTRY
from auditor.checks._check import FaceContext, ImageContext
from auditor.config import ScanConfig
from auditor.models import MINOR_CLASSES, Face, Subject
from auditor.passes.results import Results, triage_context
from auditor.store import Store

VIDEO_BUDGET_S = 300.0  # seconds of work one video may take on a worker; sampling stops there and says so


def video_metadata(store: Store, config: ScanConfig, results: Results) -> list[tuple[str, str, VideoMetadata]]:
    """Every fetched video's container metadata, through the same metadata checks as a photo's (a place, a serial,
    names): the evidence names the container tag. Returns the readable videos, for the frames."""
    readable = []
    for url, sha256 in store.fetched("video"):
        try:
            meta = read_video_metadata(store.asset_path(url, sha256), config.max_pixels)
        except UnreadableVideo as exc:
            results.errors.append((url, f"{exc}; it was not checked"))
            continue
        as_photo = as_image_metadata(meta)
        subject = Subject(url, store.first_page(url), sha256)
        context = ImageContext(config.site_location)
        results.findings.extend(
            f for c in REGISTRY.values() if c.image is not None for f in c.image(subject, as_photo, context)
        )
        facts = {
            "format": as_photo.format,
            "width": meta.width,
            "height": meta.height,
            "date_taken": meta.created,
            "duration_s": None if meta.duration_s is None else round(meta.duration_s, 1),
            "device": meta.device or None,
            "captions": meta.captions or None,
        }
        results.facts.append((url, json.dumps(facts)))
        readable.append((url, sha256, meta))
    return readable


@dataclass(slots=True)
class Watched:
    """The videos of the scan after their frames were sampled: the URLs of each (by content hash), its metadata,
    its triage context, and what the frames showed (or why nobody looked)."""

    urls: dict[str, list[str]]
    meta: dict[str, VideoMetadata]
    context: dict[str, str]
    found: dict[str, VideoFaces | str]
    jobs: dict[str, VideoJob]
    thresholds: Thresholds  # the scan's, before a context's margin


def watch(store: Store, config: ScanConfig, pool: FacePool, videos: list[tuple[str, str, VideoMetadata]]) -> Watched:
    """Sample every readable video's frames on the face pool's workers, once per content hash."""
    urls: dict[str, list[str]] = {}
    meta: dict[str, VideoMetadata] = {}
    for url, sha256, read_meta in videos:
        urls.setdefault(sha256, []).append(url)
        meta[sha256] = read_meta
    context = {sha: group_context([triage_context(store, config, u) for u in group]) for sha, group in urls.items()}
    jobs = {
        sha: VideoJob(
            sha,
            str(store.asset_path(group[0], sha)),
            config.video_every_s,
            config.video_max_frames,
            config.video_max_seconds,
            VIDEO_MAX_SIDE,
            VIDEO_BUDGET_S,
            pool.thresholds.for_context(context[sha]),
            pool.choice,
            meta[sha].duration_s,
        )
        for sha, group in sorted(urls.items())
    }
    return Watched(urls, meta, context, pool.videos(list(jobs.values())), jobs, pool.thresholds)


def _span(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def frame_key(sha256: str, at: float) -> str:
    """A sampled frame's key among the pictures grouped into people: the video's content hash and the time."""
    return f"{sha256}@{at:.2f}"


def asset_of(key: str) -> str:
    """The content hash of the photo or video a picture key belongs to."""
    return key.split("@", 1)[0]


def video_findings(
    results: Results, store: Store, watched: Watched, triaged: dict[str, list[Face]], named: set[str | None]
) -> None:
    """The face findings of each video, from its most telling frame (possible minors first, then the largest face,
    with the people and ages the grouping gave them); their evidence lists every time code a face was seen at."""
    for sha256, result in watched.found.items():
        if isinstance(result, str):
            continue  # the models could not run: reported with the other face checks
        if result.error is not None:
            results.errors.extend((url, result.error) for url in watched.urls[sha256])
            continue
        if result.stopped is not None:
            results.errors.extend((url, result.stopped) for url in watched.urls[sha256])
        frames = [(f.at, triaged.get(frame_key(sha256, f.at), f.faces)) for f in result.frames]
        best = max(
            frames,
            key=lambda af: (sum(f.triage in MINOR_CLASSES for f in af[1]), max(f.iod for f in af[1])),
            default=None,
        )
        faces = best[1] if best else []
        if result.sheet is not None:
            results.redacted[sha256] = result.sheet
        job = watched.jobs[sha256]
        length = watched.meta[sha256].duration_s or 0.0
        covered = min(length, job.max_seconds)
        if length > job.max_seconds:  # a long film: its samples cover the first part only, and that is said
            results.errors.extend(
                (
                    url,
                    f"only the first {_span(job.max_seconds)} of this {_span(length)} video were sampled; the "
                    "rest was not checked",
                )
                for url in watched.urls[sha256]
            )
        extra = {
            "frame_time": None if best is None else timecode(best[0]),
            "time_codes": [timecode(at) for at, _ in frames],
            "frames_sampled": result.sampled,
            "frames_with_faces": len(frames),
            "sampled_seconds": round(min(covered, frames[-1][0]) if result.stopped and frames else covered, 1),
            "sample_interval_s": round(job.interval, 2),
        }
        for url in watched.urls[sha256]:
            results.faces.append((url, json.dumps([f.as_dict() for f in faces])))
            subject = Subject(url, store.first_page(url), sha256)
            seen = FaceContext(
                named=url in named,
                context=watched.context[sha256],
                thresholds=watched.thresholds.for_context(watched.context[sha256]),
                metadata=as_image_metadata(watched.meta[sha256]),
            )
            for check in REGISTRY.values():
                for finding in check.faces(subject, faces, seen) if check.faces is not None else []:
                    results.findings.append(replace(finding, evidence={**finding.evidence, **extra}))
