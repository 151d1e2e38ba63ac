"""The small typed values that stages hand to each other. Nothing else crosses a stage boundary.

The crawl stage turns pages into :class:`Extraction` (each :class:`Discovery` is a URL seen on a page, and how)
and stores them; checks turn stored data into :class:`Finding`, which the report and ``findings.json`` serialize
(see ``auditor/schema/findings.schema.json``). :class:`Face` is what the face models found in a picture (no crop,
no embedding).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

UrlKind = Literal["page", "image", "document", "video", "resource", "other"]
# How an asset or link was found. ``listing`` = an open directory index; ``rendered`` = the browser's DOM or
# network log; ``sitemap`` includes image sitemaps; ``document`` = embedded in a PDF or Office file;
# ``guessed`` = a full-size original derived from a thumbnail's URL (WordPress, Drupal, Squarespace, Wix).
Via = Literal["html", "js", "css", "sitemap", "rendered", "json", "listing", "document", "guessed", "share_link", "api"]
Severity = Literal["critical", "high", "medium", "low", "info"]
ShareAccess = Literal["public", "login_required", "gone", "unknown", "unchecked"]

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")


@dataclass(frozen=True, slots=True)
class Discovery:
    """A URL found while extracting a page, a script, a stylesheet, a JSON file or a sitemap."""

    url: str
    kind: UrlKind
    via: Via
    rendered_width: int | None = None
    rendered_height: int | None = None
    # A bare relative path in a script ("static/media/a.jpg") may be meant against the page or the site root;
    # both are tried, and a speculative URL that fails is dropped rather than reported.
    speculative: bool = False
    # The page a visitor opens to see it, when that is not the page being extracted: the photos of a route's own
    # script chunk (``/_app/immutable/pages/gallery.svelte-….js``) are shown on that route (``/gallery``).
    page: str | None = None


@dataclass(frozen=True, slots=True)
class PageSignals:
    """AI-training reservation signals seen on one page (meta tags and headers)."""

    noai: bool = False
    noimageai: bool = False
    tdm_reservation: bool = False


@dataclass(slots=True)
class Extraction:
    """What one page (with its scripts, stylesheets and JSON) yielded."""

    discoveries: list[Discovery] = field(default_factory=list)
    share_links: list[str] = field(default_factory=list)
    signals: PageSignals = PageSignals()
    # URLs that are sizes of one picture (an <img>'s src, srcset, lazy-load attributes, <picture> sources and the
    # full-size link around it), and the display size the page's markup declares for an image.
    variant_groups: list[list[str]] = field(default_factory=list)
    declared_sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Text beside an image, as (image url, where, text): alt, title, figcaption, link_text, nearby.
    image_context: list[tuple[str, str, str]] = field(default_factory=list)
    title: str | None = None
    is_directory_listing: bool = False
    looks_script_built: bool = False


@dataclass(frozen=True, slots=True)
class PageRecord:
    """A page the crawl fetched, as ``findings.json`` lists it."""

    url: str
    final_url: str
    status: int | None
    rendered: bool
    depth: int
    title: str | None
    directory_listing: bool


@dataclass(frozen=True, slots=True)
class FetchedAsset:
    """The answer to one asset request, as the store keeps it (the body itself is a blob named by ``sha256``)."""

    status: int
    final_url: str | None
    content_type: str
    bytes: int | None
    sha256: str | None
    noai: bool
    last_modified: str | None
    etag: str | None


@dataclass(frozen=True, slots=True)
class PreviousCopy:
    """What the previous scan into the same ``--out`` fetched at a URL, kept so a re-scan can ask "changed?"."""

    url: str
    final_url: str | None
    content_type: str | None
    bytes: int | None
    sha256: str
    noai: bool
    last_modified: str | None
    etag: str | None


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to fix. ``id`` is stable across scans for the same check, asset and location."""

    id: str
    check: str
    severity: Severity
    title: str
    asset: str | None
    page: str | None
    evidence: dict[str, Any]
    advice: str

    @staticmethod
    def make_id(check: str, *parts: str | None) -> str:
        """A stable id: the check plus whatever identifies the exposure (content hash, URL, host)."""
        text = "\x1f".join([check, *(p or "" for p in parts)])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


TriageClass = Literal["likely_child", "possible_minor", "adult", "uncertain"]
# The classes a finding calls "possible minors" (``uncertain``, too small to judge, is counted apart).
MINOR_CLASSES: tuple[TriageClass, ...] = ("likely_child", "possible_minor")


@dataclass(frozen=True, slots=True)
class Subject:
    """What a check is looking at: the asset URL (or file URI), where it was found, and its content hash."""

    url: str
    page: str | None
    sha256: str

    @property
    def location(self) -> str:
        """Where the exposure is, for a stable finding id that survives renaming the file: the site (scheme and
        host) of the page it was found on, or ``local`` for ``auditor check``."""
        where = self.page or self.url
        if where.startswith("file:"):
            return "local"
        scheme, _, rest = where.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"

    def finding_id(self, check: str) -> str:
        """Check + content hash + location: the same photo re-uploaded under another name keeps its id."""
        return Finding.make_id(check, self.sha256, self.location)

    def finding(self, check: str, severity: Severity, title: str, evidence: dict[str, Any], advice: str) -> Finding:
        """A finding about this subject, with its stable id."""
        return Finding(self.finding_id(check), check, severity, title, self.url, self.page, evidence, advice)


@dataclass(frozen=True, slots=True)
class Unread:
    """A file the audit could not read: where it is, why, and (when its bytes were stored) their content hash and
    size, so that one file at several addresses is one finding and a file too small to hold a photo is told apart."""

    url: str
    why: str
    page: str | None = None
    sha256: str | None = None
    size: int | None = None
    head: bytes = b""  # its first bytes, when stored: what kind of file it is, whatever its name says


@dataclass(frozen=True, slots=True)
class Face:
    """One face, in the coordinates of the (orientation-corrected) image."""

    box: tuple[int, int, int, int]  # x, y, width, height
    score: float
    landmarks: tuple[tuple[float, float], ...]  # right eye, left eye, nose, right mouth, left mouth (image view)
    iod: float  # inter-ocular distance in pixels
    pose: Literal["frontal", "three_quarter", "profile"]
    age: float | None
    p_under_18: float | None
    p_under_13: float | None
    triage: TriageClass
    # The person this face belongs to among the recognisable faces of this scan (1 = the most exposed), or None
    # (too small to recognise, or not grouped). Valid within one scan only; never cached.
    person: int | None = None

    def to_cache(self) -> dict[str, Any]:
        """Full precision, for the re-scan cache (``as_dict`` rounds for display). Without the person: the
        grouping belongs to one scan's set of pictures."""
        data = asdict(self)
        del data["person"]
        return data

    @staticmethod
    def from_cache(data: dict[str, Any]) -> Face:
        return Face(
            box=tuple(data["box"]),
            score=data["score"],
            landmarks=tuple(tuple(p) for p in data["landmarks"]),
            iod=data["iod"],
            pose=data["pose"],
            age=data["age"],
            p_under_18=data["p_under_18"],
            p_under_13=data["p_under_13"],
            triage=data["triage"],
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["box"] = list(self.box)
        data["landmarks"] = [[round(x, 1), round(y, 1)] for x, y in self.landmarks]
        data["iod"] = round(self.iod, 1)
        data["score"] = round(self.score, 3)
        for key in ("age", "p_under_18", "p_under_13"):
            if data[key] is not None:
                data[key] = round(data[key], 3 if key.startswith("p_") else 1)
        return data


VIDEO_VIEWS_CAP = 5


@dataclass(frozen=True, slots=True)
class PersonPhoto:
    """One public photo in which a person's face is recognisable (the largest copy of it on the site)."""

    url: str
    page: str | None
    sha256: str
    iod: float
    age: float | None  # this photo's own reading
    pose: str
    named: bool  # a name_near_photo finding exists for this photo
    views: int = 1  # a video: how many of its sampled frames show the person
    time_codes: tuple[str, ...] = ()  # a video: when (m:ss) the person is seen in it
    scene: str = ""  # photos of one moment (a burst) share it: see auditor/analyze/scenes.py; "" = its own

    @property
    def exposures(self) -> int:
        """What this picture gives a face generator, in photos: a photo is one; a video's distinct views of the
        face count as photos, up to :data:`VIDEO_VIEWS_CAP` (dozens of frames of one scene are not dozens of
        photos, but a few seconds of footage is several)."""
        return min(self.views, VIDEO_VIEWS_CAP)


@dataclass(frozen=True, slots=True)
class Person:
    """The same face recognised in one or more photos of one scan (see auditor/analyze/persons.py). ``number`` is
    1 for the most exposed person and is valid within this scan only. ``age``: the median reading of the clearest
    views across the photos (:func:`auditor.analyze.persons.person_reading`); ``triage``: the most child-like
    class any of the person's faces was given."""

    number: int
    photos: tuple[PersonPhoto, ...]  # largest face first
    age: float | None
    triage: TriageClass
    context: str  # school, staff or general: the most generous context of any of the photos

    @property
    def largest_iod(self) -> float:
        return max(p.iod for p in self.photos)

    @property
    def named(self) -> bool:
        return any(p.named for p in self.photos)

    @property
    def scenes(self) -> dict[str, list[PersonPhoto]]:
        """The person's photos by moment: burst shots and near-copies of one scene are one exposure."""
        out: dict[str, list[PersonPhoto]] = {}
        for photo in self.photos:
            out.setdefault(photo.scene or photo.sha256, []).append(photo)
        return out
