"""The face pool, and the feeder that hands it pictures while the crawl is still running."""

from __future__ import annotations

import threading

from auditor.analyze.face_models import resolve
from auditor.analyze.face_pool import FaceCache, FacePool
from auditor.analyze.triage import Thresholds
from auditor.config import ScanConfig
from auditor.store import Store


def face_pool_for(config: ScanConfig, face_cache: FaceCache | None) -> FacePool:
    """The scan's face pool; raises :class:`FaceModelUnavailable` when the chosen models cannot run."""
    choice = resolve(config.face_model, config.models_dir)
    return FacePool(config.max_pixels, Thresholds.below(config.minor_below), choice, face_cache)


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
