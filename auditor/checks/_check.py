"""What a check declares about itself: the one place a newcomer edits to add or change a check's contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from auditor.analyze.triage import Thresholds
from auditor.models import Finding, Severity, Unread

if TYPE_CHECKING:
    from auditor.analyze.documents import DocumentContent
    from auditor.analyze.metadata import ImageMetadata
    from auditor.models import Face, Person, Subject
    from auditor.store import Store

Stage = Literal["analysis", "crawl"]


def string(nullable: bool = False, description: str = "") -> dict[str, Any]:
    return _typed("string", nullable, description)


def integer(nullable: bool = False, description: str = "") -> dict[str, Any]:
    return _typed("integer", nullable, description)


def number(nullable: bool = False, description: str = "") -> dict[str, Any]:
    return _typed("number", nullable, description)


def boolean(description: str = "") -> dict[str, Any]:
    return _typed("boolean", False, description)


def array(items: dict[str, Any] | None = None, description: str = "", nullable: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ["array", "null"] if nullable else "array", "items": items or {}}
    return {**out, "description": description} if description else out


def obj(values: dict[str, Any] | None = None, description: str = "") -> dict[str, Any]:
    """An object whose keys are free (field names) and whose values are all ``values``."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": values or {}}
    return {**out, "description": description} if description else out


def _typed(kind: str, nullable: bool, description: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": [kind, "null"] if nullable else kind}
    return {**out, "description": description} if description else out


# One face in a face finding's evidence (boxes, sizes and the age estimate; never a crop or an embedding).
FACE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "class": string(description="likely_child, possible_minor, adult or uncertain (too small to judge)"),
        "age_estimate": number(nullable=True),
        "p_under_18": number(nullable=True),
        "iod_px": number(description="distance between the eyes, in pixels"),
        "identifiability": string(description="low, medium, high or very_high, from the eye distance"),
        "pose": string(),
        "box": array(integer(), "x, y, width, height in the upright picture"),
        "detector_score": number(),
        "person": integer(
            nullable=True, description="the person this face belongs to in this scan (see person_exposure), or null"
        ),
    },
}

# Evidence fields the analysis stage may add to any finding about an image it groups (see auditor/passes/).
COMMON_EVIDENCE: dict[str, dict[str, Any]] = {
    "also_at": array(string(), "other URLs serving the same file (the finding is reported once, on the first)"),
    # A face finding about a video: the frame whose faces are reported, and every sampled frame showing a face.
    "frame_time": string(nullable=True, description="video: the time code (m:ss) of the frame the faces are from"),
    "time_codes": array(string(), "video: the time codes of every sampled frame with a face"),
    "frames_sampled": integer(description="video: frames looked at (every 2 s, or wider so 120 cover the video)"),
    "sample_interval_s": number(description="video: seconds between sampled frames"),
    "frames_with_faces": integer(description="video: sampled frames showing at least one face"),
    "sampled_seconds": number(description="video: how many seconds of the video the samples cover"),
}


@dataclass(frozen=True, slots=True)
class ImageContext:
    """What the analysis stage knows about one picture besides its metadata, for the ``image`` hooks."""

    site_location: tuple[float, float] | None = None
    caption_names: dict[str, list[str]] = field(default_factory=dict)  # caption field -> names the finder read
    thumbnail_difference: dict[str, Any] | None = None  # how its EXIF thumbnail differs from it, if it does


@dataclass(frozen=True, slots=True)
class FaceContext:
    """What the ``faces`` hooks know besides the faces: a name is beside the photo; the triage context used, and
    the thresholds the faces were triaged with in it (``--minor-below`` and the context's margin)."""

    named: bool = False
    context: str = "general"
    thresholds: Thresholds = field(default_factory=Thresholds)
    training: str | None = None  # the photo's own AI-training reservation (strictest value), if it has one
    training_sources: dict[str, str] = field(default_factory=dict)  # where it was read -> its value
    metadata: ImageMetadata | None = None  # the picture's own metadata (a video's container), when it was read


@dataclass(frozen=True, slots=True)
class Refinement:
    """What a ``refine`` hook knows once every check has run and faces are read: the faces in the finding's
    picture, and (for a picture whose embedded thumbnail differs) a reader of the faces in that thumbnail."""

    faces: list[Face]
    thumbnail_faces: Callable[[], list[Face]] | None = None


# How a check's findings are grouped into one action in the report's "Fix first" (see auditor/report/views.py):
# ``folder`` and ``page``: the findings in one folder or on one page; ``site``: all that are left, one setting
# or habit fixes them; ``each``: one action per finding.
GroupBy = Literal["folder", "page", "site", "each"]


@dataclass(frozen=True, slots=True)
class Cause:
    """One root cause a check's findings share, in the report's words. ``cause`` and ``action`` may name
    ``{n}`` (the findings), ``{photos}`` ("3 photos"), ``{place}`` (the folder or page) and ``{asset}``;
    ``command`` may name ``{out}`` (the scan folder). An empty ``action`` uses the finding's own advice."""

    by: GroupBy
    cause: str
    action: str = ""
    command: str = ""
    with_faces: bool = False  # fixing these photos also clears the other face findings on them
    key: str = ""  # ``each``: the start of each action's key in findings.json's ``fix_first`` (the check id)


@dataclass(frozen=True, slots=True)
class Check:
    """A check's id (in ``findings.json``), its name and the report's four explanations, the severities it can
    give, the stage that runs it, its evidence fields (JSON Schema fragments, written into the schema), and which
    of them hold people's names (masked in the report even where the text-wide masking would miss them)."""

    id: str
    order: int  # where its section comes in the report (the product's reason to exist first)
    name: str
    stage: Stage
    severities: tuple[Severity, ...]
    severity_rule: str  # for the README's table
    means: str
    why: str
    reliability: str
    fix: str
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    name_fields: tuple[str, ...] = ()
    # How the check finds its exposures: exactly one of the stages' hooks, called for every registered check that
    # has it (auditor/passes/). A new check is its module; nothing else is wired.
    image: Callable[[Subject, ImageMetadata, ImageContext], list[Finding]] | None = None  # each picture's metadata
    document: Callable[[Subject, DocumentContent], list[Finding]] | None = None  # each document
    faces: Callable[[Subject, list[Face], FaceContext], list[Finding]] | None = None  # each picture's faces
    store: Callable[[Store, dict[str, tuple[int, int]]], list[Finding]] | None = None  # all files (and sizes)
    unread: Callable[[list[Unread]], list[Finding]] | None = None  # files nobody could read
    site: Callable[[Store], list[Finding]] | None = None  # crawl level, over the whole store
    people: Callable[[list[Person]], list[Finding]] | None = None  # the people recognised across the photos
    # After every check has run and faces are read: the one place one check's result may change its own finding.
    refine: Callable[[Finding, Refinement], Finding] | None = None
    # ``fix``: whether a safe copy's metadata would still give this finding (``given``: the values the school
    # chose to write into the copy, such as its rights holder, which are no leak).
    verify: Callable[[ImageMetadata, frozenset[str]], bool] | None = None
    # The report's "Fix first": what a camera writes when this check's findings are grouped by camera ("where
    # it was"); whether fixing a photo's faces (publishing it small, or not at all) clears this check's finding
    # on it; whether a finding of this check means the photo is named on its page; how its findings group.
    device_words: str | None = None
    about_faces: bool = False
    names_photo: bool = False
    causes: tuple[Cause, ...] = ()
    # The report's places besides the check's own section: a section of its own kind ("people", "share_links",
    # "ai_signals"), the DPIA summary's row it counts ("gps", "names", "share_links"), and the evidence field that
    # names a larger copy of the file (shown on the file's card).
    section: str | None = None
    dpia: str | None = None
    larger_copy: str | None = None

    @property
    def hooks(self) -> list[str]:
        """The hooks this check fills (a test requires exactly one)."""
        hooks = ("image", "document", "faces", "store", "unread", "site", "people")
        return [h for h in hooks if getattr(self, h) is not None]

    def evidence_schema(self) -> dict[str, Any]:
        """The JSON Schema of this check's ``evidence`` object (every field optional: older scans lack some)."""
        return {"type": "object", "properties": {**self.evidence, **COMMON_EVIDENCE}}
