"""``person_exposure``: one person recognisable in several public photos: what a face generator is trained on.

An image generator is fine-tuned on 5-20 photos of one child's face (police and IWF reports), so the risk unit is
the child, not the file: one pupil recognisable in 14 gallery photos is far more exposed than 14 strangers in one
crowd shot. A finding per person seen in two *distinct* photos or more (one photo is ``identifiable_face``'s
business): burst shots and near-copies of one moment count once (:mod:`auditor.analyze.scenes`), and people who
are recognisable in exactly the same photos are one finding (one card, one action: replacing those photos fixes
them all), numbered by its first person and listing the others in ``people``.
"""

from __future__ import annotations

from auditor.checks._check import Check, array, boolean, integer, number, string
from auditor.models import Finding, Person, Severity

MINOR_CLASSES = ("likely_child", "possible_minor")
LEVELS: tuple[Severity, ...] = ("low", "medium", "high", "critical")
MIN_PHOTOS = 2


def severity(person: Person) -> Severity:
    """From the number of photos (2-4 medium, 5-9 high: enough to fine-tune a generator, 10 or more critical),
    one level up for a possible minor or a name beside any of the photos (at most one level for both), one level
    down for a person whose reliable views all read as an adult. A video counts as its views of the person, up to
    five (:attr:`PersonPhoto.exposures`)."""
    count = exposures(person)
    level = 3 if count >= 10 else 2 if count >= 5 else 1
    if person.triage in MINOR_CLASSES or person.named:
        level += 1
    elif person.triage == "adult":
        level -= 1
    return LEVELS[max(0, min(level, 3))]


def exposures(person: Person) -> int:
    """Distinct photos (a burst of one moment counts once), and video views (up to five a video), in which the
    person is recognisable."""
    return sum(max(p.exposures for p in shots) for shots in person.scenes.values())


def class_reason(person: Person) -> str:
    """Why the person has their class, in words: a card that says "possible minor" beside an age reading of 29
    must say which rule made the call."""
    if person.triage == "uncertain":
        return "no face of this person was large and frontal enough for a reliable age reading"
    if person.age is None:
        return "one of this person's faces was read as young; none was clear enough for a reliable age reading"
    if person.triage in MINOR_CLASSES and person.age >= 18:
        return (
            f"the reading of this person's clearest views, {person.age:.0f}, is under the possible-minor line for "
            f"this {person.context} context: the age network reads many 15-17-year-olds as in their twenties, so "
            "readings up to about 30 that it is not confident are an adult's are treated as possible minors"
        )
    return f"the reading of this person's clearest views across the photos is {person.age:.0f}"


def _where(person: Person) -> str:
    videos = sum(bool(p.time_codes) for p in person.photos)
    photos = len(person.photos) - videos
    parts = [f"{photos} public photo{'' if photos == 1 else 's'}"] if photos else []
    if videos:
        views = sum(p.views for p in person.photos if p.time_codes)
        parts.append(f"{videos} video{'' if videos == 1 else 's'} ({views} sampled view{'' if views == 1 else 's'})")
    return " and ".join(parts)


def _who(person: Person) -> str:
    minor = person.triage in MINOR_CLASSES
    return "a possible minor" if minor else "an adult" if person.triage == "adult" else "a person"


def _title(group: list[Person]) -> str:
    person = group[0]
    if len(group) == 1:
        return f"Person {person.number}, {_who(person)}, is recognisable in {_where(person)}"
    minors = sum(p.triage in MINOR_CLASSES for p in group)
    who = (
        f"{len(group)} people ({minors} possible minor{'' if minors == 1 else 's'})"
        if minors
        else f"{len(group)} people"
    )
    return f"{who} are each recognisable in the same {_where(person)}"


def find(people: list[Person]) -> list[Finding]:
    """One finding per set of moments (distinct photos) shared by people recognisable in two or more of them."""
    groups: dict[frozenset[str], list[Person]] = {}
    for person in people:
        if exposures(person) >= MIN_PHOTOS:
            groups.setdefault(frozenset(person.scenes), []).append(person)
    out = []
    for group in groups.values():
        person = min(group, key=lambda p: (-LEVELS.index(severity(p)), p.number))  # the card's face
        best = person.photos[0]
        minor = any(p.triage in MINOR_CLASSES for p in group)
        named = any(p.named for p in group)
        pages = sorted({p.page for p in person.photos if p.page})
        out.append(
            Finding(
                Finding.make_id("person_exposure", best.sha256, str(round(best.iod))),
                "person_exposure",
                max((severity(p) for p in group), key=LEVELS.index),
                _title(group),
                best.url,
                best.page,
                {
                    **({"people": sorted(p.number for p in group)} if len(group) > 1 else {}),
                    "distinct_photos": len(person.scenes),
                    "class_reason": class_reason(person),
                    "person": person.number,
                    "photos": len(person.photos),
                    "exposures": exposures(person),
                    "class": person.triage,
                    "age_estimate": None if person.age is None else round(person.age, 1),
                    "largest_iod_px": round(person.largest_iod, 1),
                    "named_on_page": person.named,
                    "context": person.context,
                    "pages": pages,
                    "pictures": [
                        {
                            "url": p.url,
                            "page": p.page,
                            "iod_px": round(p.iod, 1),
                            "age_estimate": None if p.age is None else round(p.age, 1),
                            "pose": p.pose,
                            **({"views": p.views, "time_codes": list(p.time_codes)} if p.time_codes else {}),
                        }
                        for p in person.photos
                    ],
                },
                (
                    f"Take down or replace most of these {len(person.photos)} photos: keep at most one or two where "
                    f"{'these people are' if len(group) > 1 else 'this person is'} recognisable, publish the others "
                    "small (auditor fix --max-face-iod 30) or choose shots where faces are not the subject"
                    + (f"; check consent for {'these children' if len(group) > 1 else 'this child'}" if minor else "")
                    + ("; never beside their name" if named else "")
                    + "."
                ),
            )
        )
    return out


CHECK = Check(
    id="person_exposure",
    order=15,
    name="People recognisable in many photos",
    stage="analysis",
    severities=LEVELS,
    severity_rule=(
        "2-4 photos medium, 5-9 high, 10 or more critical (a video counts as its views of the person, up to 5); "
        "one level up for a possible minor or a name beside a photo, one level down for an adult"
    ),
    means=(
        "The same face (matched automatically, within this scan only) is recognisable (eyes 30 px or more apart) "
        "in several public photos of the site."
    ),
    why=(
        "Image generators are fine-tuned on 5-20 photos of one person's face to make new images of them, "
        "including abuse imagery of children (IWF and police reports); several photos of one pupil are what "
        "such tools need."
    ),
    reliability=(
        "Strict matching: different young children are rarely merged into one person (about 1 in 30 faces on "
        "the development chips), but the same child may be split into two people in very different photos, so "
        "counts are a floor. No face data is kept after the scan."
    ),
    fix="Keep at most one or two recognisable photos of any pupil; publish the rest small or replace them.",
    evidence={
        "person": integer(description="the person's number in this scan (1 = the most exposed)"),
        "people": array(
            integer(), "every person recognisable in exactly these photos (one finding for them all), when several"
        ),
        "distinct_photos": integer(description="the photos counted once per moment (a burst of one scene is one)"),
        "class_reason": string(description="which rule gave the person their class, in words"),
        "photos": integer(description="public photos (and videos) in which this person is recognisable"),
        "exposures": integer(
            description="photos, plus each video's views of the person up to 5: what the severity counts"
        ),
        "class": string(description="the most child-like triage of any of the person's faces"),
        "age_estimate": number(
            nullable=True,
            description="the person's age reading: the median of their clearest views (the youngest reading before "
            "schema 1.6)",
        ),
        "largest_iod_px": number(),
        "named_on_page": boolean("a name_near_photo finding exists for one of the photos"),
        "context": string(),
        "pages": array(string(), "the pages showing the photos"),
        "pictures": array(
            {
                "type": "object",
                "properties": {
                    "url": string(),
                    "page": string(nullable=True),
                    "iod_px": number(),
                    "age_estimate": number(nullable=True),
                    "pose": string(),
                    "views": integer(description="a video: sampled frames showing the person"),
                    "time_codes": array(string(), "a video: when (m:ss) the person is seen"),
                },
            },
            "each photo, largest face first",
        ),
    },
    people=find,
    section="people",
)
