"""Face analysis on every core: one worker process per CPU, each loading the models once. Pictures are first
fingerprinted (cheap: a reduced decode) so that the smaller copies of a photo are not analysed again.

Small jobs stay in this process (starting workers costs a few seconds). Workers are spawned, not forked: the
parent may already hold ONNX Runtime and OpenCV thread pools, which do not survive a fork. Each worker runs its
models single-threaded so the workers, not the libraries, use the cores.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from auditor.analyze import face_jobs, face_models, faces, persons, variants
from auditor.analyze.face_jobs import PictureFaces
from auditor.analyze.face_models import FaceModelChoice
from auditor.analyze.faces import (
    Face,
    Thresholds,
    reclassify,
    rescaled,
)
from auditor.analyze.variants import Fingerprint
from auditor.analyze.video_faces import VIDEO_MAX_SIDE, VideoFaces, VideoJob, video_key, video_of

POOL_MIN_IMAGES = 24


def workers() -> int:
    """The cores the face models may use: ``AUDITOR_WORKERS`` when set (a fleet task gets the cores Ray gave it,
    not the machine's), else every core this process may run on."""
    given = os.environ.get("AUDITOR_WORKERS", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class FaceCache(Protocol):
    """Faces already computed for a content hash by the same models (the scan history keeps them), as the plain
    JSON-ready values of :meth:`PictureFaces.to_cache`."""

    def get(self, sha256: str, key: str) -> dict[str, Any] | None: ...

    def put_all(self, key: str, found: dict[str, dict[str, Any]]) -> None: ...

    def get_groups(self, key: str) -> list[tuple[str, int, int]] | None:
        """A person grouping computed earlier for exactly this set of pictures: (content hash, face index, group)."""
        ...

    def put_groups(self, key: str, groups: list[tuple[str, int, int]]) -> None: ...


def cache_key(choice: FaceModelChoice, max_pixels: int) -> str:
    """Everything that changes what the models would find: the models and the detection settings."""
    parts = (
        "faces-4",
        choice.backend,
        choice.pack,
        faces.COARSE_LONG_SIDE,
        faces.DETECT_LONG_SIDE,
        face_models.DETECT_THRESHOLD,
        max_pixels,
        variants.MAX_DIFFERENCE,
    )
    return "|".join(str(p) for p in parts)


def faces_for(
    jobs: list[tuple[str, Path]],
    max_pixels: int,
    thresholds: Thresholds,
    choice: FaceModelChoice,
    cache: FaceCache | None = None,
) -> dict[str, PictureFaces | str]:
    """Faces per content hash (or the reason the models could not run); see :class:`FacePool`."""
    with FacePool(max_pixels, thresholds, choice, cache) as pool:
        return pool.faces_for(jobs)


class FacePool:
    """Face analysis for one scan, on every core for large jobs and in this process for small ones.

    ``feed`` is called about once a second while the crawl is still fetching (from the pipeline's feeder thread):
    it never waits, fingerprints what arrived, and keeps at most ``cores - 1`` pictures at the face models, so
    one core stays with the crawl while the others read faces. ``faces_for`` then finishes the job on every core
    with the complete set of pictures. Either way the result is the same: smaller copies of one photo are
    analysed once, at the largest size (:mod:`auditor.analyze.variants`), decided on the complete set (a copy
    read early because its larger size had not arrived yet is only wasted work). Pictures seen by an earlier scan
    come from the cache and are re-triaged with the current thresholds.
    """

    def __init__(
        self, max_pixels: int, thresholds: Thresholds, choice: FaceModelChoice, cache: FaceCache | None = None
    ) -> None:
        self.max_pixels, self.thresholds, self.choice, self.cache = max_pixels, thresholds, choice, cache
        self.key = cache_key(choice, max_pixels)
        self._executor: ProcessPoolExecutor | None = None
        self._cached: dict[str, PictureFaces] = {}
        self._printing: dict[str, Future[tuple[str, Fingerprint | None]]] = {}
        self._prints: dict[str, Fingerprint | None] = {}
        self._paths: dict[str, Path] = {}
        self._read: dict[str, Future[tuple[str, PictureFaces | str]]] = {}
        self._largest: dict[str, str] = {}
        self._regroup = False
        self._grouped = 0  # pictures fingerprinted when the grouping was last computed
        self._clock = (time.monotonic(), time.process_time())
        self._lock = threading.RLock()  # the feeder thread and the pool's result thread both submit
        self._queue: list[str] = []  # photos waiting for the face models during the crawl, in arrival order
        self._limit = 0  # how many may be at the models at once during the crawl
        self._running = 0
        self.fed = 0
        self._job_paths: dict[str, Path] = {}
        self._video_paths: dict[str, Path] = {}  # content hash -> the stored video, for frames described again

    def __enter__(self) -> FacePool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def feed(self, jobs: list[tuple[str, Path]]) -> None:
        """Start on the pictures fetched so far, without waiting for anything."""
        new = [(sha, path) for sha, path in jobs if sha not in self._paths and self._from_cache(sha) is None]
        executor = self._pool(len(new))
        if executor is None:  # too few pictures yet to be worth the workers
            return
        for sha, path in new:
            self._paths[sha] = path
            self._printing[sha] = executor.submit(face_jobs.fingerprint_of, (sha, str(path), self.max_pixels))
        self.fed += len(new)
        for sha, future in list(self._printing.items()):
            if future.done():
                self._prints[sha] = future.result()[1]
                del self._printing[sha]
                self._regroup = True
        waiting_before = any(sha not in self._read for sha in self._queue)
        if self._regroup and (not waiting_before or len(self._prints) >= 1.25 * self._grouped):
            # Grouping costs more as the site grows: redone when the workers run dry or the pictures grew by a
            # quarter, so over a whole crawl it costs a few times the final grouping.
            self._largest = variants.largest_copies({k: v for k, v in self._prints.items() if v is not None})
            self._regroup, self._grouped = False, len(self._prints)
        with self._lock:
            self._queue = [sha for sha in self._prints if self._largest.get(sha, sha) == sha and sha not in self._read]
            self._limit = self._room()
            self._pump()

    def _pump(self) -> None:
        """Keep ``_limit`` photos at the models: called each tick and whenever one finishes, so a worker never
        waits for the next tick."""
        with self._lock:
            while self._running < self._limit and self._queue:
                sha = self._queue.pop(0)
                if sha in self._read:
                    continue
                self._running += 1
                self._submit(sha, self._paths[sha])
                self._read[sha].add_done_callback(self._finished)

    def _finished(self, _: Future[tuple[str, PictureFaces | str]]) -> None:
        with self._lock:
            self._running -= 1
            self._pump()

    def _room(self) -> int:
        """How many pictures may be at the face models during the crawl: every core while the crawl mostly waits
        on the network, all but one while it is busy itself (this process used over a third of a core since the
        last call), so the crawl is not slowed down by the work meant to overlap it."""
        now = (time.monotonic(), time.process_time())
        wall, cpu = now[0] - self._clock[0], now[1] - self._clock[1]
        self._clock = now
        return workers() if wall > 0 and cpu / wall < 0.33 else max(1, workers() - 1)

    def faces_for(
        self, jobs: list[tuple[str, Path]], on_progress: Callable[[int, int], None] | None = None
    ) -> dict[str, PictureFaces | str]:
        """Faces per content hash (or the reason the models could not run) for every picture of the scan;
        ``on_progress(done, total)`` after each picture (the progress line's "faces: 120 of 800")."""
        with self._lock:
            self._queue, self._limit = [], 0  # the crawl is over: from here on every core, no feeding
        self._job_paths = dict(jobs)
        found: dict[str, PictureFaces | str] = {sha: r for sha, _ in jobs if (r := self._from_cache(sha))}
        todo = [(sha, path) for sha, path in jobs if sha not in found]
        for sha, future in self._printing.items():
            self._prints[sha] = future.result()[1]
        self._printing.clear()
        self._fingerprints([(sha, path) for sha, path in todo if sha not in self._prints])
        prints = {sha: fp for sha, _ in todo if (fp := self._prints.get(sha)) is not None}
        largest = variants.largest_copies(prints)
        paths = dict(todo)
        for source in sorted({largest.get(sha, sha) for sha, _ in todo}):
            if source not in self._read:
                self._submit(source, paths[source])
        computed: dict[str, PictureFaces | str] = {}
        for done, (sha, _) in enumerate(todo, start=1):
            if on_progress is not None:
                on_progress(len(found) + done - 1, len(jobs))
            source = largest.get(sha, sha)
            result = self._read[source].result()[1]
            if isinstance(result, str) or source == sha or result.error is not None:
                computed[sha] = result
            else:  # the same photo, so the same thumbnail
                scaled = rescaled(result.faces, prints[sha].width / prints[source].width, self.thresholds)
                computed[sha] = PictureFaces(scaled, copy_of=source, thumbnail=result.thumbnail)
        if self.cache is not None:
            self.cache.put_all(
                self.key,
                {sha: r.to_cache() for sha, r in computed.items() if not isinstance(r, str) and r.error is None},
            )
        return {**found, **computed}

    def persons(self, found: dict[str, PictureFaces]) -> tuple[dict[persons.FaceKey, int], list[str]]:
        """Which recognisable faces of these pictures (by content hash: the largest copy of each photo) are the
        same person: (content hash, face index) -> group number, and the pictures whose faces could not be
        described (so were not grouped: the caller must say so). The vectors come from this scan's analysis; a
        picture whose faces came from the cache is analysed again for them, unless the grouping of exactly this
        set of pictures is in the cache (an unchanged re-scan: no model runs at all)."""
        pictures = sorted(sha for sha, p in found.items() if any(persons.recognisable(f) for f in p.faces))
        key = persons.partition_key(self.key + "|" + persons.RECOGNIZER_KEY, pictures)
        if self.cache is not None and (known := self.cache.get_groups(key)) is not None:
            return {(sha, index): group for sha, index, group in known}, []
        vectors: dict[persons.FaceKey, np.ndarray] = {}
        again = [sha for sha in pictures if len(found[sha].prints) != len(found[sha].faces)]  # from the cache
        photos_again = [sha for sha in again if "@" not in sha]
        tasks = [
            (sha, str(self._job_paths[sha]), self.max_pixels, found[sha].faces, self.thresholds, self.choice)
            for sha in photos_again
        ]
        pool = self._pool(len(tasks))
        described = dict(
            zip(
                photos_again,
                pool.map(face_jobs.prints_of, tasks) if pool else map(face_jobs.prints_of, tasks),
                strict=True,
            )
        )
        described.update(self._frame_prints([sha for sha in again if "@" in sha], found))
        for sha in pictures:
            prints = described.get(sha, found[sha].prints)
            for index, vector in enumerate(prints):
                if vector is not None and index < len(found[sha].faces):
                    vectors[(sha, index)] = vector
        groups = persons.group(vectors)
        missing = [sha for sha in pictures if len(described.get(sha, found[sha].prints)) != len(found[sha].faces)]
        if self.cache is not None and not missing:  # a picture that could not be described is tried again next time
            self.cache.put_groups(key, sorted((sha, index, group) for (sha, index), group in groups.items()))
        return groups, missing

    def videos(self, jobs: list[VideoJob]) -> dict[str, VideoFaces | str]:
        """Faces in the sampled frames of each video, one video per worker (each is seconds of work, so the pool
        starts for a single one when there are two cores or more). An unchanged video's frames come from the
        cache (their vectors, when the grouping needs them, are read again from those frames only)."""
        found: dict[str, VideoFaces | str] = {}
        todo = []
        for job in jobs:
            self._video_paths[job.sha256] = Path(job.path)
            data = self.cache.get(job.sha256, video_key(self.key, job)) if self.cache is not None else None
            if data is not None and "video" in data:
                found[job.sha256] = VideoFaces.from_cache(data, job.thresholds)
            else:
                todo.append(job)
        pool = self._pool(POOL_MIN_IMAGES) if todo else None
        computed = dict(pool.map(video_of, todo) if pool else map(video_of, todo))
        if self.cache is not None:
            for job in todo:
                result = computed[job.sha256]
                if not isinstance(result, str) and result.error is None and result.stopped is None:
                    self.cache.put_all(video_key(self.key, job), {job.sha256: result.to_cache()})
        return {**found, **computed}

    def _frame_prints(
        self, keys: list[str], found: dict[str, PictureFaces]
    ) -> dict[str, tuple[np.ndarray | None, ...]]:
        """Vectors for video frames whose faces came from the cache: each video decoded again at those times only
        (``video-sha@seconds`` keys), each video opened once; a frame that cannot be read again gets none (its
        faces stay ungrouped, and the caller says so)."""
        from auditor.analyze.video import UnreadableVideo, frames_at

        by_video: dict[str, list[str]] = {}
        for key in keys:
            by_video.setdefault(key.split("@", 1)[0], []).append(key)
        out: dict[str, tuple[np.ndarray | None, ...]] = {key: () for key in keys}
        for sha, video_keys in by_video.items():
            path = self._video_paths.get(sha)
            if path is None:
                continue
            try:
                pixels = frames_at(path, [float(k.split("@", 1)[1]) for k in video_keys], VIDEO_MAX_SIDE)
            except UnreadableVideo:
                continue
            for key in video_keys:
                seen = pixels.get(float(key.split("@", 1)[1]))
                if seen is not None:
                    out[key] = tuple(persons.describe(seen, found[key].faces))
        return out

    def faces_in(self, data: bytes) -> list[Face]:
        """Faces in a picture held in memory (an EXIF thumbnail), on a worker when there are workers, so this
        process does not load a second copy of the models during a large scan."""
        task = (data, self.max_pixels, self.thresholds, self.choice)
        return self._executor.submit(face_jobs.faces_in, task).result() if self._executor else face_jobs.faces_in(task)

    def _from_cache(self, sha: str) -> PictureFaces | None:
        if self.cache is None:
            return None
        if sha not in self._cached:
            data = self.cache.get(sha, self.key)
            if data is None:
                return None
            hit = PictureFaces.from_cache(data)
            self._cached[sha] = replace(hit, faces=reclassify(hit.faces, self.thresholds))
        return self._cached[sha]

    def _pool(self, jobs: int) -> ProcessPoolExecutor | None:
        if self._executor is None and jobs >= POOL_MIN_IMAGES and workers() >= 2:
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                max_workers=workers(),
                mp_context=context,
                initializer=face_jobs.single_threaded,
                initargs=(os.getpid(),),
            )
        return self._executor

    def _fingerprints(self, jobs: list[tuple[str, Path]]) -> None:
        tasks = [(sha, str(path), self.max_pixels) for sha, path in jobs]
        pool = self._pool(len(tasks))
        results = (
            pool.map(face_jobs.fingerprint_of, tasks, chunksize=8) if pool else map(face_jobs.fingerprint_of, tasks)
        )
        self._prints.update(results)

    def _submit(self, sha: str, path: Path) -> None:
        task = (sha, str(path), self.max_pixels, self.thresholds, self.choice)
        future: Future[tuple[str, PictureFaces | str]]
        if self._executor is not None:
            future = self._executor.submit(face_jobs.faces_of, task)
        else:
            future = Future()
            future.set_result(face_jobs.faces_of(task))
        self._read[sha] = future
