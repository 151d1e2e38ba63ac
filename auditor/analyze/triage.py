"""The triage: when a face is called a possible minor, and the contexts that move the line.

One place for the minor rules (:class:`Thresholds`, :func:`triage`), the vocabulary that puts a photo in a school
or staff context, and the context rules themselves (:func:`context_of`). The age network's reading comes from
:mod:`auditor.analyze.faces`; what a finding says about it is the checks' (``auditor/checks/minor_face.py``).
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, replace

from auditor.models import MINOR_CLASSES, Face, TriageClass

__all__ = [
    "MINOR_CLASSES",
    "PUPIL_WORDS",
    "SCHOOL_WORDS",
    "STAFF_WORDS",
    "Thresholds",
    "context_of",
    "group_context",
    "mostly_adults",
    "reclassify",
    "triage",
]

# Words on a page, in a caption or in a file's path that put a photo in a school context (``--context auto``):
# pupils, year groups, classes, and the galleries, trips and teams where a school or youth group shows them.
SCHOOL_WORDS = re.compile(
    r"\b(pupils?|students?|school|year\s?\d+|class(es)?\s?\d*|reception|nursery|playground|"
    r"sports day|assembly|children|kids|galler(y|ies)|trips?|camps?|scouts?|cubs|beavers|brownies|guides|"
    r"youth)\b",
    re.IGNORECASE,
)
# Words that say a photo shows the staff (``--context auto``): a staff page lowers the prior. Only when nothing
# about the photo itself names pupils (PUPIL_WORDS); "school" alone is in every school's domain name.
STAFF_WORDS = re.compile(
    r"\b(staff|teachers?|teaching team|governors?|trustees?|leadership|head\s?teacher|principal|"
    r"our team|meet the team|leaders?|profiles?)\b|/team/",
    re.IGNORECASE,
)
PUPIL_WORDS = re.compile(
    r"\b(pupils?|students?|year\s?\d+|class\s?\d+|reception|nursery|children|kids|young leaders?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Age-estimate thresholds for the triage. Calibrated in ``benchmarks/faces.py`` on the development split
    (age chips and real photos) so that about 98 % of under-18s are flagged.

    A reading under ``young`` is a possible minor whatever else the network says. A reading from ``young`` up
    to ``minor`` (``minor`` + 2 in a school context) is borderline: the age network reads 13-17-year-olds about
    4 years too old, so such a face is a possible minor unless the network itself is confident it is an adult
    (``p_under_18`` below ``confident_adult``). The school margin widens the borderline band only; it never turns
    a confident adult reading into a possible minor (on the development chips the margin alone flagged 20 % of
    adults aged 26 and over, against 8 % with this rule, for 98 % of under-18s either way)."""

    child: float = 14.0
    minor: float = 29.0
    young: float = 27.0
    confident_adult: float = 0.01  # P(under 18) below this: the network is sure it sees an adult
    min_iod_for_age: float = 12.0  # below this the age network sees a few pixels: "uncertain"

    @classmethod
    def below(cls, minor_below: float) -> Thresholds:
        """The thresholds for ``--minor-below AGE``: the default (29) keeps the borderline band; any other age is
        the user's own line, and every reading under it is a possible minor, whatever the network's confidence."""
        default = cls()
        return default if minor_below == default.minor else cls(minor=minor_below, young=minor_below)

    def for_context(self, context: str) -> Thresholds:
        """``school`` (pupils' galleries, class pages) adds a safety margin; ``staff`` and ``general`` do not."""
        return replace(self, child=self.child + 1, minor=self.minor + 2) if context == "school" else self


def triage(
    age: float | None, iod: float, thresholds: Thresholds, pose: str = "frontal", p_under_18: float | None = None
) -> TriageClass:
    """How old a face looks, as a class. A profile is never called an adult on its own reading: the age network
    reads turned faces poorly, so a profile that looks old is ``uncertain`` (the person's other photos or the
    page decide), while one that looks young is still a possible minor. A borderline reading (see
    :class:`Thresholds`) with ``p_under_18`` under ``confident_adult`` is an adult; without a probability (a
    cache from before it was kept) the reading alone decides."""
    if age is None or math.isnan(age) or iod < thresholds.min_iod_for_age:
        return "uncertain"
    if age < thresholds.child:
        return "likely_child"
    if age < min(thresholds.young, thresholds.minor):
        return "possible_minor"
    if age < thresholds.minor and not (p_under_18 is not None and p_under_18 < thresholds.confident_adult):
        return "possible_minor"
    return "uncertain" if pose == "profile" else "adult"


# A photo as a whole is evidence: in a group whose faces mostly read as adults, one or two borderline readings
# are what a crowd of adults produces by chance (every face is another draw), not a child among them.
CROWD_MIN_FACES = 3  # judged faces (an age was read)
CROWD_ADULT_MEDIAN = 26.0  # the group's median reading at or over this: most of the faces read as adults
CROWD_BORDERLINE = (22.0, 0.2)  # a possible minor in such a group reading at least this old, P(under 18) below


def mostly_adults(faces: list[Face]) -> bool:
    """True when ``faces`` is a group whose readings are mostly adult and whose possible minors are all borderline
    readings (none a likely child, none read under 22 or with P(under 18) of 0.2 or more): the ``minor_face``
    finding stays (a person should look) but at low severity, out of Fix first. Measured on the development
    photos (``benchmarks/faces.py``): it lowers 12 of the 84 adults-only photos, and 3 of the 72 showing a minor
    with a face of 30 px or more."""
    readings = [f.age for f in faces if f.age is not None]
    if len(readings) < CROWD_MIN_FACES or statistics.median(readings) < CROWD_ADULT_MEDIAN:
        return False
    least_age, most_p = CROWD_BORDERLINE
    return all(
        f.triage == "possible_minor" and f.age is not None and f.age >= least_age and (f.p_under_18 or 0.0) < most_p
        for f in faces
        if f.triage in MINOR_CLASSES
    )


def reclassify(faces: list[Face], thresholds: Thresholds) -> list[Face]:
    """The same faces under other thresholds (the school context), without running any model again."""
    return [replace(f, triage=triage(f.age, f.iod, thresholds, f.pose, f.p_under_18)) for f in faces]


def context_of(setting: str, url: str, own: list[str], around: list[str]) -> str:
    """The triage context of one image. ``--context school|general`` (``setting``) decides for every image;
    ``auto`` reads the image's URL, its own texts (``own``: alt text, captions) and the texts around it
    (``around``: its pages' URLs and titles):

    - ``staff`` when any of them names staff (a staff or team page, a leader's profile) and nothing about the
      image itself (its URL, alt text, caption) names pupils: a staff page lowers the prior, so the triage has
      no school margin and faces too small to judge are not reported;
    - ``school`` when any of them speaks of pupils, classes, year groups, galleries, trips or a youth group: the
      triage is more generous and faces too small to judge are reported as possible pupils;
    - ``general`` otherwise, except for a local file (``auditor check``): there is no page to read, and the photos
      a school or youth group checks before publishing are its own, so ``school`` unless its path names staff
      (``--context general`` turns that off)."""
    if setting != "auto":
        return setting
    own = [url, *own]
    texts = [url, *around]
    if any(STAFF_WORDS.search(t) for t in texts) and not any(PUPIL_WORDS.search(t) for t in own):
        return "staff"
    if url.startswith("file:") or any(SCHOOL_WORDS.search(t) for t in texts):
        return "school"
    return "general"


def group_context(contexts: list[str]) -> str:
    """The context of a photo published under several URLs: the most generous one."""
    return next((c for c in ("school", "general", "staff") if c in contexts), "general")
