"""What one run of the analysis collects, pass by pass, for the store to write in one transaction."""

from __future__ import annotations

from auditor.analyze import provenance
from auditor.analyze.metadata import ImageMetadata
from auditor.analyze.triage import context_of
from auditor.config import ScanConfig
from auditor.models import Face, Finding
from auditor.store import Store


class Results:
    """What one run of the stage produces, filled pass by pass; written to the store in one transaction at the
    end (``replace_analysis``), so a resumed scan ends the same."""

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


def triage_context(store: Store, config: ScanConfig, url: str) -> str:
    """The triage context of one picture (:func:`auditor.analyze.triage.context_of`), from its texts in the store."""
    return context_of(config.face_context, url, store.image_texts(url), store.context_texts(url))
