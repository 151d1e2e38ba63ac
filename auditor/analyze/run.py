"""The analysis stage: every fetched (or local) document and image in the store → findings and asset facts.

Documents go first: the images inside them become assets of their own (``<document>#page=N&image=K``), found
``via: document`` on the document, so every image check covers them. Results are keyed by content hash, so the
same picture published under five URLs is read once. The stage is idempotent: it replaces its own findings,
facts, derived assets and errors each time it runs, so a resumed scan ends the same. A file that cannot be read
becomes an ``errors`` entry (stage ``analyze``) and never counts as clean.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from auditor.analyze import provenance, xmp
from auditor.analyze.documents import MAX_EMBEDDED_IMAGES, DocumentContent, UnreadableDocument, read_document
from auditor.analyze.face_models import FaceModelUnavailable, resolve
from auditor.analyze.face_pool import VIDEO_MAX_SIDE, FaceCache, FacePool, PictureFaces, VideoFaces, VideoJob
from auditor.analyze.faces import (
    PUPIL_WORDS,
    SCHOOL_WORDS,
    STAFF_WORDS,
    Face,
    Thresholds,
    reclassify,
    rescaled,
    triage,
)
from auditor.analyze.image_facts import info, thumbnail_difference
from auditor.analyze.metadata import ImageMetadata, UnreadableImage, read
from auditor.analyze.names import NamesUnavailable, names_in
from auditor.analyze.persons import person_age
from auditor.analyze.scenes import Shot, scenes
from auditor.analyze.svg import SNIFF_BYTES, SvgContent, UnreadableSvg, is_svg, read_svg
from auditor.analyze.video import UnreadableVideo, VideoMetadata, as_image_metadata, timecode
from auditor.analyze.video import read_metadata as read_video_metadata
from auditor.checks import REGISTRY, ids
from auditor.checks._check import FaceContext, ImageContext, Refinement
from auditor.config import ScanConfig
from auditor.errors import CheckUnavailable
from auditor.models import MINOR_CLASSES, Finding, Person, PersonPhoto, Subject, TriageClass, Unread
from auditor.progress import Counters, NullProgress, Progress
from auditor.store import AnalysisResults, Store

VIDEO_BUDGET_S = 300.0  # seconds of work one video may take on a worker; sampling stops there and says so
CHECKS = ids("analysis")  # the findings this stage replaces each time it runs


class _Results:
    """What one run of the stage produces; written to the store in one transaction at the end."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.facts: list[tuple[str, str]] = []
        self.video_s = 0.0  # seconds spent decoding and reading faces in video frames
        # content hash -> what the file says of its origin and of its use for AI training
        self.provenance: dict[str, provenance.Provenance] = {}
        self.errors: list[tuple[str, str]] = []
        self.taken: dict[str, tuple[str | None, str | None]] = {}  # content hash -> (when taken, camera)
        self.metadata: dict[str, ImageMetadata] = {}  # content hash -> its metadata, for the face checks
        self.vectors: set[str] = set()  # content hashes of SVG drawings (their embedded photos are images)
        self.sizes: dict[str, tuple[int, int]] = {}
        self.skipped: dict[str, str] = {}
        self.faces: list[tuple[str, str]] = []
        self.thumbnails: dict[str, bytes] = {}  # EXIF thumbnails that differ from their image, by URL
        self.redacted: dict[str, bytes] = {}  # the report's face-redacted thumbnails, by content hash
        self.with_faces: dict[str, list[Face]] = {}  # the faces in each image, by URL
        self.persons_s = 0.0  # of the face stage: grouping (and describing faces from the cache again)
        self.describe_cpu_s = 0.0  # the recogniser on this scan's new pictures, summed over the workers


def face_pool_for(config: ScanConfig, face_cache: FaceCache | None) -> FacePool:
    """The scan's face pool; raises :class:`FaceModelUnavailable` when the chosen models cannot run."""
    choice = resolve(config.face_model, config.models_dir)
    return FacePool(config.max_pixels, Thresholds(minor=config.minor_below), choice, face_cache)


class FaceFeeder:
    """Hands the pictures fetched so far to the face pool every ``interval`` seconds while the crawl runs, so the
    cores read faces while the network is the bottleneck. A background thread with its own read-only connection
    to the store; ``stop`` waits for the batch in hand."""

    def __init__(self, store: Store, pool: FacePool, interval: float = 1.0) -> None:
        self.store, self.pool, self.interval = store, pool, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="face-feeder", daemon=True)
        self.error: BaseException | None = None

    def __enter__(self) -> FaceFeeder:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self._stop.set()
        if exc_type is None:  # on an interruption the pool is shut down at once; the thread dies with it
            self._thread.join()

    def _run(self) -> None:
        try:
            db = self.store.reader()
            try:
                while not self._stop.wait(self.interval):
                    rows = self.store.fetched("image", reader=db, originals_only=True, finished_only=True)
                    self.pool.feed(list({sha: self.store.asset_path(url, sha) for url, sha in rows}.items()))
            finally:
                db.close()
        except Exception as exc:  # only an optimisation: the stage reads whatever is missing
            self.error = exc


def analyze(
    store: Store,
    config: ScanConfig,
    face_cache: FaceCache | None = None,
    face_pool: FacePool | None = None,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Run every document and image check over the store (``face_cache``: faces from earlier scans;
    ``face_pool``: one already fed during the crawl). Returns the seconds each part took, for ``scan.timings``."""
    results = _Results()
    clock = _Clock()
    store.replace_document_images()
    _documents(store, results)
    _vector_images(store, results)
    clock.lap("documents_s")
    _images(store, config, results, progress or NullProgress())
    clock.lap("metadata_s")
    for check in REGISTRY.values():  # checks over every file at once (sizes of one photo, text beside photos)
        if check.store is not None:
            try:
                results.findings.extend(check.store(store, results.sizes))
            except CheckUnavailable as exc:
                results.skipped[check.id] = str(exc)
    clock.lap("names_s")
    videos = _video_metadata(store, config, results)
    clock.lap("video_metadata_s")
    try:
        with contextlib.nullcontext(face_pool) if face_pool else face_pool_for(config, face_cache) as pool:
            started = time.monotonic()
            watched = _watch(store, config, pool, videos)
            results.video_s = time.monotonic() - started
            _faces(store, config, results, pool, watched, progress or NullProgress())
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


def _documents(store: Store, results: _Results) -> None:
    for url, sha256 in store.fetched("document"):
        path = store.asset_path(url, sha256)
        try:
            data = path.read_bytes()
            content = read_document(data, path.name)
        except OSError as exc:
            results.errors.append((url, f"cannot read {path}: {exc.strerror}"))
            continue
        except UnreadableDocument as exc:
            results.errors.append((url, f"not a readable document ({exc}); it was not checked"))
            continue
        subject = Subject(url, store.first_page(url), sha256)
        results.findings.extend(
            f for c in REGISTRY.values() if c.document is not None for f in c.document(subject, content)
        )
        results.facts.append((url, json.dumps(_document_facts(data, path.suffix, content))))
        with store.transaction():
            for label, data in content.images:
                store.add_document_image(f"{url}#{label}", url, len(data), store.write_blob(data))


def _vector_images(store: Store, results: _Results) -> None:
    """SVG files among the images (by content, whatever their name): a drawing shows nobody, so it is no picture
    to read; the photos it embeds are taken out and analysed like a document's (``<svg url>#image=K``), at each
    address that serves it. Each SVG is read once per content hash."""
    read: dict[str, SvgContent] = {}
    for url, sha256 in store.fetched("image", originals_only=True):
        path = store.asset_path(url, sha256)
        if sha256 not in read:
            try:
                with path.open("rb") as fh:
                    if not is_svg(fh.read(SNIFF_BYTES)):
                        continue
                read[sha256] = read_svg(path.read_bytes())
            except OSError as exc:
                results.errors.append((url, f"cannot read {path}: {exc.strerror}"))
                continue
            except UnreadableSvg as exc:
                results.errors.append((url, f"not a readable SVG drawing ({exc}); it was not checked"))
                continue
            results.vectors.add(sha256)
        content = read[sha256]
        if missed := content.skipped_images + content.undecodable:  # said, never passed over as clean
            results.errors.append(
                (
                    url,
                    f"{missed} of the pictures embedded in this SVG could not be read (damaged or past "
                    f"{MAX_EMBEDDED_IMAGES}); they were not checked",
                )
            )
        facts = {"format": "SVG", "embedded_images": len(content.images), "linked_images": content.linked[:20]}
        results.facts.append((url, json.dumps(facts)))
        with store.transaction():
            for label, data in content.images:
                store.add_document_image(f"{url}#{label}", url, len(data), store.write_blob(data))


def _video_metadata(store: Store, config: ScanConfig, results: _Results) -> list[tuple[str, str, VideoMetadata]]:
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
class _Watched:
    """The videos of the scan after their frames were sampled: the URLs of each (by content hash), its metadata,
    its triage context, and what the frames showed (or why nobody looked)."""

    urls: dict[str, list[str]]
    meta: dict[str, VideoMetadata]
    context: dict[str, str]
    found: dict[str, VideoFaces | str]
    jobs: dict[str, VideoJob]


def _watch(store: Store, config: ScanConfig, pool: FacePool, videos: list[tuple[str, str, VideoMetadata]]) -> _Watched:
    """Sample every readable video's frames on the face pool's workers, once per content hash."""
    urls: dict[str, list[str]] = {}
    meta: dict[str, VideoMetadata] = {}
    for url, sha256, read_meta in videos:
        urls.setdefault(sha256, []).append(url)
        meta[sha256] = read_meta
    context = {sha: _group_context([_context(store, config, u) for u in group]) for sha, group in urls.items()}
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
    return _Watched(urls, meta, context, pool.videos(list(jobs.values())), jobs)


def _span(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _frame_key(sha256: str, at: float) -> str:
    """A sampled frame's key among the pictures grouped into people: the video's content hash and the time."""
    return f"{sha256}@{at:.2f}"


def _asset_of(key: str) -> str:
    """The content hash of the photo or video a picture key belongs to."""
    return key.split("@", 1)[0]


def _video_findings(
    results: _Results, store: Store, watched: _Watched, triaged: dict[str, list[Face]], named: set[str | None]
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
        frames = [(f.at, triaged.get(_frame_key(sha256, f.at), f.faces)) for f in result.frames]
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
                metadata=as_image_metadata(watched.meta[sha256]),
            )
            for check in REGISTRY.values():
                for finding in check.faces(subject, faces, seen) if check.faces is not None else []:
                    results.findings.append(replace(finding, evidence={**finding.evidence, **extra}))


def _document_facts(data: bytes, suffix: str, content: DocumentContent) -> dict[str, Any]:
    """A document's facts: its kind, and its provenance (a C2PA manifest, a DataMining reservation) if any."""
    mime = "application/pdf" if content.kind == "pdf" else suffix.lstrip(".").lower() or None
    found = provenance.read(data, xmp.parse(data), mime)
    return {"format": content.kind.upper(), "provenance": found.as_dict() if found is not None else None}


def _caption_names(metas: list[ImageMetadata], skipped: dict[str, str]) -> dict[str, list[str]]:
    """Full names (two words or more) the model itself labels as people in the images' captions and keywords,
    read in one batch: metadata text is often a title or a keyword list, where the caption rules misfire."""
    texts = [t for meta in metas for values in meta.captions.values() for t in values]
    if not texts:
        return {}
    try:
        found = names_in(texts, model_only=frozenset(texts))
    except NamesUnavailable as exc:
        skipped["person_name_metadata (captions)"] = str(exc)
        return {}
    return {text: [n for n in names if len(n.split()) >= 2] for text, names in found.items()}


def _context(store: Store, config: ScanConfig, url: str) -> str:
    """The triage context of one image. ``--context school|general`` decides for every image; ``auto`` reads the
    image's URL, its alt text and captions, and its pages' URLs and titles:

    - ``staff`` when any of them names staff (a staff or team page, a leader's profile) and nothing about the
      image itself (its URL, alt text, caption) names pupils: a staff page lowers the prior, so the triage has
      no school margin and faces too small to judge are not reported;
    - ``school`` when any of them speaks of pupils, classes, year groups, galleries, trips or a youth group: the
      triage is more generous and faces too small to judge are reported as possible pupils;
    - ``general`` otherwise, except for a local file (``auditor check``): there is no page to read, and the photos
      a school or youth group checks before publishing are its own, so ``school`` unless its path names staff
      (``--context general`` turns that off)."""
    if config.face_context != "auto":
        return config.face_context
    own = [url, *store.image_texts(url)]
    texts = [url, *store.context_texts(url)]
    if any(STAFF_WORDS.search(t) for t in texts) and not any(PUPIL_WORDS.search(t) for t in own):
        return "staff"
    if url.startswith("file:") or any(SCHOOL_WORDS.search(t) for t in texts):
        return "school"
    return "general"


def _group_context(contexts: list[str]) -> str:
    """The context of a photo published under several URLs: the most generous one."""
    return next((c for c in ("school", "general", "staff") if c in contexts), "general")


def _faces(
    store: Store, config: ScanConfig, results: _Results, pool: FacePool, watched: _Watched, progress: Progress
) -> None:
    """Faces in every readable image (once per content hash), the people they belong to (across photos and the
    sampled frames of videos), then the face findings (per photo and per video) and the person findings."""
    named = {f.asset for f in results.findings if REGISTRY[f.check].names_photo}
    thresholds = pool.thresholds
    rows = [(url, sha) for url, sha in store.fetched("image") if url in results.sizes]  # unreadable: already errors
    jobs = list({sha: store.asset_path(url, sha) for url, sha in rows}.items())
    counters = Counters(stage="faces", total=len(jobs))

    def tick(done: int, total: int) -> None:
        counters.done, counters.total = done, total
        progress.update(counters)

    tick(0, len(jobs))  # said at once: the face workers take seconds to start, and a silent wait reads as a hang
    found = pool.faces_for(jobs, tick)
    failure = next((v for v in [*found.values(), *watched.found.values()] if isinstance(v, str)), None)
    if failure is not None:
        results.skipped.update({c.id: failure for c in REGISTRY.values() if c.faces or c.people})
        return
    read: dict[str, PictureFaces] = {}
    for url, sha256 in rows:
        picture = found[sha256]
        assert not isinstance(picture, str)
        if picture.error is not None:  # reported not_checked: its faces are unknown, so no thumbnail either
            results.errors.append((url, picture.error))
        else:
            read[sha256] = picture
    # A smaller copy whose larger size could not be read this time (its faces came from the cache) stands alone.
    source = {sha: origin if origin in read else sha for sha, origin in _sources(rows, found).items()}
    groups: dict[str, list[tuple[str, str]]] = {}
    for url, sha256 in rows:
        groups.setdefault(source[sha256], []).append((url, sha256))
    contexts = {url: _context(store, config, url) for url, _ in rows}
    photos = {sha: p for sha, p in read.items() if source[sha] == sha}  # each photo once, at its largest size
    context_of = {sha: _group_context([contexts[u] for u, _ in groups[sha]]) for sha in photos}
    first_url = {sha: min(u for u, _ in groups[sha]) for sha in photos}
    photo_named = {sha: any(u in named for u, _ in groups[sha]) for sha in photos}
    triaged = {sha: reclassify(p.faces, thresholds.for_context(context_of[sha])) for sha, p in photos.items()}
    frames: dict[str, PictureFaces] = {}  # every sampled video frame with faces, as a picture of its own
    for sha, result in watched.found.items():
        if isinstance(result, str) or result.error is not None:
            continue
        for frame in result.frames:
            key = _frame_key(sha, frame.at)
            frames[key] = PictureFaces(frame.faces, prints=frame.prints)
            triaged[key] = list(frame.faces)
            context_of[key] = watched.context[sha]
            first_url[key] = min(watched.urls[sha])
            photo_named[key] = any(u in named for u in watched.urls[sha])
    grouping_started = time.monotonic()
    try:
        grouping, missing = pool.persons({**photos, **frames})
    except FaceModelUnavailable as exc:
        grouping, missing = {}, []
        results.skipped.update({c.id: str(exc) for c in REGISTRY.values() if c.people is not None})
    if missing:  # its faces are in no person: a person seen there would be counted in fewer photos than they are
        results.skipped.update(
            {
                c.id: f"{len(missing)} picture{'' if len(missing) == 1 else 's'} with recognisable faces could not "
                f"be read again to match them to people (first: {first_url[missing[0]]}); people may be "
                "recognisable in more photos than reported"
                for c in REGISTRY.values()
                if c.people is not None
            }
        )
    grouped = _people(grouping, triaged, {sha: thresholds.for_context(c) for sha, c in context_of.items()})
    scene_of = _scenes(results, photos, triaged, first_url, grouped)
    people = [_described(p, triaged, context_of, first_url, photo_named, store, scene_of) for p in grouped]
    results.persons_s = time.monotonic() - grouping_started
    results.describe_cpu_s = sum(p.describe_s for p in photos.values())
    with_faces: dict[str, list[Face]] = {}
    for url, sha256 in rows:
        if sha256 not in read:
            continue
        picture = read[sha256]
        origin = source[sha256]
        if picture.thumbnail is not None:
            results.redacted[sha256] = picture.thumbnail
        faces = (
            triaged[sha256]
            if sha256 in triaged
            else _as_copy(picture.faces, triaged[origin], thresholds.for_context(context_of[origin]))
        )
        results.faces.append((url, json.dumps([f.as_dict() for f in faces])))
        with_faces[url] = faces
        if origin != sha256:
            continue  # a smaller size of a photo published here larger: its faces are kept (the report blurs
            # them), the photo's findings are reported once, on the largest size, listing this one
        group = groups[sha256]
        smaller = sorted(u for u, s in group if s != sha256)
        subject = Subject(url, store.first_page(url), sha256)
        reservation = results.provenance.get(sha256)
        seen = FaceContext(
            named=photo_named[sha256],
            context=context_of[sha256],
            training=reservation.training if reservation else None,
            training_sources=reservation.training_sources if reservation else {},
            metadata=results.metadata.get(sha256),
        )
        for finding in (f for c in REGISTRY.values() if c.faces is not None for f in c.faces(subject, faces, seen)):
            results.findings.append(
                replace(finding, evidence={**finding.evidence, "smaller_copies": smaller}) if smaller else finding
            )
    _video_findings(results, store, watched, triaged, named)
    results.findings.extend(f for c in REGISTRY.values() if c.people is not None for f in c.people(people))
    results.with_faces = with_faces


def _people(
    grouping: dict[tuple[str, int], int], triaged: dict[str, list[Face]], thresholds: dict[str, Thresholds]
) -> list[tuple[int, list[tuple[str, int]], float | None]]:
    """The grouping as people: (number, faces as (content hash, index), person age), numbered from the most
    exposed (most photos, then the largest face). Every face of a person in ``triaged`` gets the person's number
    and is triaged with the person's age (the youngest reliable reading of any of their faces)."""
    members: dict[int, list[tuple[str, int]]] = {}
    for key, group in grouping.items():
        if key[0] in triaged and key[1] < len(triaged[key[0]]):
            members.setdefault(group, []).append(key)
    ranked = sorted(
        members.values(),
        key=lambda keys: (
            -len({_asset_of(sha) for sha, _ in keys}),
            -max(triaged[sha][i].iod for sha, i in keys),
            min(keys),
        ),
    )
    out = []
    for number, keys in enumerate(ranked, start=1):
        age = person_age([triaged[sha][i] for sha, i in keys])
        for sha, i in keys:
            face = replace(triaged[sha][i], person=number)
            if age is not None:  # the person's reliable views decide, also for this photo's profile or mask
                face = replace(face, triage=triage(age, face.iod, thresholds[sha]))
            triaged[sha][i] = face
        out.append((number, sorted(keys), age))
    return out


def _described(
    person: tuple[int, list[tuple[str, int]], float | None],
    triaged: dict[str, list[Face]],
    context_of: dict[str, str],
    first_url: dict[str, str],
    photo_named: dict[str, bool],
    store: Store,
    scene_of: dict[str, str],
) -> Person:
    number, keys, age = person
    faces = sorted(((sha, triaged[sha][i]) for sha, i in keys), key=lambda sf: (-sf[1].iod, sf[0]))
    classes = {f.triage for _, f in faces}
    order: tuple[TriageClass, ...] = ("likely_child", "possible_minor", "uncertain")
    worst: TriageClass = next((c for c in order if c in classes), "adult")
    # One entry per photo or video: a video's frames (largest face first) become one entry with its views.
    by_asset: dict[str, list[tuple[str, Face]]] = {}
    for key, face in faces:
        by_asset.setdefault(_asset_of(key), []).append((key, face))
    photos = []
    for asset, seen in by_asset.items():
        key, face = seen[0]
        url = first_url[key]
        times = sorted(float(k.split("@", 1)[1]) for k, _ in seen if "@" in k)
        photos.append(
            PersonPhoto(
                url,
                store.first_page(url),
                asset,
                face.iod,
                face.age,
                face.pose,
                photo_named[key],
                views=len(seen),
                time_codes=tuple(timecode(t) for t in times),
                scene=scene_of.get(asset, asset),
            )
        )
    return Person(number, tuple(photos), age, worst, _group_context([context_of[sha] for sha, _ in faces]))


def _scenes(
    results: _Results,
    photos: dict[str, PictureFaces],
    triaged: dict[str, list[Face]],
    first_url: dict[str, str],
    grouped: list[tuple[int, list[tuple[str, int]], float | None]],
) -> dict[str, str]:
    """Each photo's scene (content hash -> the scene's first photo): burst shots of one moment are one."""
    shots = {
        sha: Shot(
            *results.taken.get(sha, (None, None)),
            results.sizes.get(first_url[sha]),
            tuple(f.box for f in triaged.get(sha, [])),
            tuple(f.person for f in triaged.get(sha, [])),
        )
        for sha in photos
    }
    return scenes(shots, ({sha for sha, _ in keys} for _, keys, _ in grouped))


def _as_copy(faces: list[Face], original: list[Face], thresholds: Thresholds) -> list[Face]:
    """A smaller copy's faces: the original's (with their people and triage), scaled to the copy's size."""
    if not faces or not original:
        return faces
    return rescaled(original, faces[0].iod / original[0].iod, thresholds, keep_triage=True)


def _sources(rows: list[tuple[str, str]], found: dict[str, PictureFaces | str]) -> dict[str, str]:
    """Content hash → the content hash of the largest size of the same photo on this site (itself when it is the
    largest). A copy whose larger size is no longer published stands on its own."""
    present = {sha for _, sha in rows}
    out = {}
    for sha in present:
        picture = found[sha]
        copy_of = None if isinstance(picture, str) else picture.copy_of
        out[sha] = copy_of if copy_of in present and copy_of is not None else sha
    return out


def _images(store: Store, config: ScanConfig, results: _Results, progress: Progress) -> None:
    """Metadata of every image, read once per content hash. Only the parsed metadata is kept between the two
    passes (captions are read in one batch), never the files' bytes: memory stays flat with the site's size."""
    rows = store.fetched("image")
    cache: dict[str, ImageMetadata | str] = {}
    differing: dict[str, tuple[dict[str, Any], bytes]] = {}  # content hash -> how its thumbnail differs, thumbnail
    readable: list[tuple[str, str, ImageMetadata]] = []
    counters = Counters(stage="metadata", total=len(rows))
    for done, (url, sha256) in enumerate(rows):
        counters.done = done
        progress.update(counters)  # a line every few seconds: a large folder's metadata takes minutes
        if sha256 in results.vectors:  # a drawing: its embedded photos are rows of their own
            continue
        if sha256 not in cache:
            path = store.asset_path(url, sha256)
            try:
                data = path.read_bytes()
            except OSError as exc:
                results.errors.append((url, f"cannot read {path}: {exc.strerror}"))
                continue
            try:
                parsed = read(data)
            except UnreadableImage as exc:
                cache[sha256] = f"not a readable image ({exc}); it was not checked"
            else:
                if parsed.thumbnail:
                    # Compared now, while the bytes are in hand: neither the file nor 10,000 thumbnails are needed
                    # in the second pass. Empty, not None: the file still has one (``has_thumbnail``).
                    difference = thumbnail_difference(data, parsed.thumbnail, config.max_pixels)
                    if difference is not None:
                        differing[sha256] = (difference, parsed.thumbnail)
                    parsed = replace(parsed, thumbnail=b"")
                cache[sha256] = parsed
        meta = cache[sha256]
        if isinstance(meta, str):
            results.errors.append((url, meta))
            continue
        readable.append((url, sha256, meta))
    in_captions = _caption_names([m for _, _, m in readable], results.skipped)
    for url, sha256, meta in readable:
        names = {
            field: list(dict.fromkeys(n for t in texts for n in in_captions.get(t, [])))
            for field, texts in meta.captions.items()
        }
        subject = Subject(url, store.first_page(url), sha256)
        difference, thumbnail = differing.get(sha256, (None, b""))
        context = ImageContext(config.site_location, names, difference)
        results.findings.extend(
            f for c in REGISTRY.values() if c.image is not None for f in c.image(subject, meta, context)
        )
        if difference is not None:
            results.thumbnails[url] = thumbnail
        results.facts.append((url, json.dumps(info(meta))))
        results.taken[sha256] = (meta.date_taken, meta.camera)
        results.metadata[sha256] = meta
        if meta.provenance is not None:
            results.provenance[sha256] = meta.provenance
        if meta.width and meta.height:
            results.sizes[url] = (meta.width, meta.height)
