"""``minor_face``: Faces that look like possible minors: what the product exists for.

Wording is triage, never a verdict: a face "looks like a possible minor". Severity combines how young the faces
look, how identifiable they are (:func:`auditor.checks._faces.iod_band`), whether they are frontal, whether the
photo is a close-up of one person rather than a crowd, and whether the page names someone beside it.
"""

from __future__ import annotations

from auditor.analyze.triage import Thresholds, mostly_adults
from auditor.checks._check import FACE, Cause, Check, FaceContext, array, boolean, integer, string
from auditor.checks._faces import face_evidence
from auditor.models import MINOR_CLASSES, Face, Finding, Severity, Subject


def find(subject: Subject, faces: list[Face], context: FaceContext) -> list[Finding]:
    """Faces that look like possible minors. In a school context, faces the age network cannot judge (too small,
    or turned and reading old) are possible pupils too: not recognisable, so low, but never "nobody here"."""
    minors = [f for f in faces if f.triage in MINOR_CLASSES]
    unjudged = [f for f in faces if f.triage == "uncertain"] if context.context == "school" else []
    if not minors and not unjudged:
        return []
    children = sum(f.triage == "likely_child" for f in minors)
    close_up = False
    severity: Severity = "low"
    crowd = bool(minors) and mostly_adults(faces)
    if minors:
        best = max(minors, key=lambda f: f.iod)
        close_up = len(faces) <= 2 and best.iod >= 60
        severity = "high"
        if crowd:
            severity = "low"
        elif best.iod >= 60 and best.pose == "frontal" and (context.named or close_up):
            severity = "critical"
        elif best.iod < 30:
            severity = "medium"
        title = (
            (
                f"{len(minors)} faces that look like possible minors"
                if len(minors) > 1
                else "A face that looks like a possible minor"
            )
            + (" (a close-up)" if close_up else "")
            + (", in a group that mostly reads as adults" if crowd else "")
        )
    else:
        count = len(unjudged)
        title = (
            f"{count} faces too small or turned to judge an age, on a school page"
            if count > 1
            else "A face too small or turned to judge an age, on a school page"
        )
    evidence = {
        "faces_in_image": len(faces),
        "possible_minors": len(minors),
        "likely_children": children,
        "unjudged_faces": len(unjudged),
        "named_on_page": context.named,
        "context": context.context,
        "decided_by": _rules(minors, unjudged, crowd, context.thresholds),
        "faces": [face_evidence(f) for f in minors or unjudged],
    }
    advice = (
        "Check consent for every child shown. Prefer photos where children are not identifiable (backs, "
        "distance, groups), publish them small, and never beside their names. `auditor fix --blur minors` "
        "can blur the faces in a copy."
    )
    return [subject.finding("minor_face", severity, title, evidence, advice)]


def _rules(minors: list[Face], unjudged: list[Face], crowd: bool, thresholds: Thresholds) -> list[str]:
    """Which triage rules made the call, in words: a finding that says "possible minor" beside a reading of 29
    must say why, with the lines the faces were triaged by (a changed ``--minor-below`` moves them)."""
    own = [f for f in minors if f.age is not None]
    rules = []
    if any(f.triage == "likely_child" for f in minors):
        rules.append(f"a face reads under {thresholds.child:.0f}")
    if any(thresholds.child <= f.age < thresholds.young for f in own if f.age is not None):
        rules.append(f"a face reads under {thresholds.young:.0f}: a possible minor whatever else the network says")
    if any(thresholds.young <= f.age < thresholds.minor for f in own if f.age is not None):
        rules.append(
            f"a borderline reading ({thresholds.young:.0f}-{thresholds.minor:.0f}, the age network reads many "
            "15-17-year-olds as in their twenties) that the network is not confident is an adult"
        )
    if any(f.person is not None and (f.age is None or f.age >= thresholds.minor) for f in minors):
        rules.append("the same person's clearest views in other photos read as a possible minor")
    if unjudged and not minors:
        rules.append("faces too small or turned to judge an age, on a school page")
    if crowd:
        rules.append("lowered to low: most faces in this group read as adults, and each possible minor is borderline")
    return rules


CHECK = Check(
    id="minor_face",
    order=10,
    name="Faces that look like possible minors",
    stage="analysis",
    severities=("critical", "high", "medium", "low"),
    severity_rule=(
        "critical close-up or named frontal face, high, medium when every such face is small; low: on a school "
        "page, faces too small or turned to judge an age (possible pupils, not recognisable), or a group that "
        "mostly reads as adults whose possible minors are all borderline readings"
    ),
    means=(
        "A face in the photo looks like it may belong to someone under 18 (an automatic age estimate), or, on a "
        "school page, a face is too small or turned for any age estimate and may be a pupil."
    ),
    why=(
        "Public photos of children are scraped to make AI-generated abuse imagery (IWF and police reports); "
        "UK ICO guidance asks schools to minimise identifiable images of pupils and to hold consent."
    ),
    reliability=(
        "Triage, not a verdict: tuned to catch about 97-99 % of under-18s, it also flags many young adults "
        "(and about 1 in 10 older adults). A person should review each one."
    ),
    fix="Check consent; prefer photos where children are not identifiable; publish small copies; never beside names.",
    evidence={
        "faces_in_image": integer(),
        "possible_minors": integer(),
        "likely_children": integer(),
        "unjudged_faces": integer(
            description="faces too small or turned to judge an age, counted on school pages only (possible pupils)"
        ),
        "named_on_page": boolean("a name_near_photo finding exists for this picture"),
        "context": string(description="school, staff or general: how generous the triage was"),
        "decided_by": array(string(), "which triage rules made the call, in words"),
        "faces": array(FACE),
        "smaller_copies": array(string(), "smaller sizes of the same photo published on the site"),
    },
    faces=find,
    about_faces=True,
    causes=(
        Cause(
            "page",
            "{place} shows possible minors' faces in {photos}",
            "Check consent for each child shown; publish the others small (faces under 30 px between the eyes) "
            "or choose photos where faces are not the subject.",
            "auditor fix --from-scan {out} --out safe-copies/ --max-face-iod 30 --blur minors",
            with_faces=True,
        ),
    ),
)
