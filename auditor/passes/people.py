"""Faces and people: faces in every readable picture (once per content hash, at its largest size), triaged in
their context; the people they belong to across photos and video frames; then the face findings per photo and
the person findings."""

from __future__ import annotations

import json
import time
from dataclasses import replace

from auditor.analyze.face_jobs import PictureFaces
from auditor.analyze.face_models import FaceModelUnavailable
from auditor.analyze.face_pool import FacePool
from auditor.analyze.faces import Face, rescaled
from auditor.analyze.persons import person_reading
from auditor.analyze.scenes import Shot, scenes
from auditor.analyze.triage import Thresholds, group_context, reclassify, triage
from auditor.analyze.video import timecode
from auditor.checks import REGISTRY
from auditor.checks._check import FaceContext
from auditor.config import ScanConfig
from auditor.models import Person, PersonPhoto, Subject, TriageClass
from auditor.passes.results import Results, triage_context
from auditor.passes.videos import Watched, asset_of, frame_key, video_findings
from auditor.progress import Counters, Progress
from auditor.store import Store


def run(
    store: Store, config: ScanConfig, results: Results, pool: FacePool, watched: Watched, progress: Progress
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
    contexts = {url: triage_context(store, config, url) for url, _ in rows}
    photos = {sha: p for sha, p in read.items() if source[sha] == sha}  # each photo once, at its largest size
    context_of = {sha: group_context([contexts[u] for u, _ in groups[sha]]) for sha in photos}
    first_url = {sha: min(u for u, _ in groups[sha]) for sha in photos}
    photo_named = {sha: any(u in named for u, _ in groups[sha]) for sha in photos}
    triaged = {sha: reclassify(p.faces, thresholds.for_context(context_of[sha])) for sha, p in photos.items()}
    frames: dict[str, PictureFaces] = {}  # every sampled video frame with faces, as a picture of its own
    for sha, result in watched.found.items():
        if isinstance(result, str) or result.error is not None:
            continue
        for frame in result.frames:
            key = frame_key(sha, frame.at)
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
            thresholds=thresholds.for_context(context_of[sha256]),
            training=reservation.training if reservation else None,
            training_sources=reservation.training_sources if reservation else {},
            metadata=results.metadata.get(sha256),
        )
        for finding in (f for c in REGISTRY.values() if c.faces is not None for f in c.faces(subject, faces, seen)):
            results.findings.append(
                replace(finding, evidence={**finding.evidence, "smaller_copies": smaller}) if smaller else finding
            )
    video_findings(results, store, watched, triaged, named)
    results.findings.extend(f for c in REGISTRY.values() if c.people is not None for f in c.people(people))
    results.with_faces = with_faces


def _people(
    grouping: dict[tuple[str, int], int], triaged: dict[str, list[Face]], thresholds: dict[str, Thresholds]
) -> list[tuple[int, list[tuple[str, int]], float | None]]:
    """The grouping as people: (number, faces as (content hash, index), person age), numbered from the most
    exposed (most photos, then the largest face). Every face of a person in ``triaged`` gets the person's number
    and is triaged with the person's reading (the median of their clearest views: :func:`person_reading`)."""
    members: dict[int, list[tuple[str, int]]] = {}
    for key, group in grouping.items():
        if key[0] in triaged and key[1] < len(triaged[key[0]]):
            members.setdefault(group, []).append(key)
    ranked = sorted(
        members.values(),
        key=lambda keys: (
            -len({asset_of(sha) for sha, _ in keys}),
            -max(triaged[sha][i].iod for sha, i in keys),
            min(keys),
        ),
    )
    out = []
    for number, keys in enumerate(ranked, start=1):
        reading = person_reading([triaged[sha][i] for sha, i in keys])
        age = reading[0] if reading is not None else None
        for sha, i in keys:
            face = replace(triaged[sha][i], person=number)
            if reading is not None:  # the person's clearest views decide, also for this photo's profile or mask
                face = replace(face, triage=triage(reading[0], face.iod, thresholds[sha], p_under_18=reading[1]))
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
        by_asset.setdefault(asset_of(key), []).append((key, face))
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
    return Person(number, tuple(photos), age, worst, group_context([context_of[sha] for sha, _ in faces]))


def _scenes(
    results: Results,
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
