"""``oversized_image``: a picture is reachable at a far higher resolution than the page shows it.

A scraper takes the largest copy it can reach: the file itself when the page only scales it down, the biggest
``srcset`` candidate, the full-size link around a thumbnail, or the original a CMS leaves next to its resized
copies (found by the crawler's guesses). All sizes of one picture form a group; each group is judged once, on its
largest member.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from auditor.checks._check import Cause, Check, Refinement, array, integer, number, string
from auditor.models import Finding, Subject
from auditor.store import Store

SCRAPER_GRADE_LONG_SIDE = 1200  # below this, a copy is not much use for making new images of a face
RETINA_ALLOWANCE = 3.0  # a copy up to 3x the displayed width is normal (2x screens); beyond it is oversized
UNDISPLAYED_LONG_SIDE = 2000  # with no displayed size known, a copy this large is an original, not a web size


@dataclass(frozen=True, slots=True)
class Member:
    url: str
    width: int
    height: int
    bytes: int | None
    sha256: str
    display: tuple[int, int] | None
    how: str

    @property
    def pixels(self) -> int:
        return self.width * self.height


def _groups(store: Store, urls: Iterable[str]) -> list[list[str]]:
    """Union of the crawler's variant groups, plus every other image on its own, in a stable order."""
    parent: dict[str, str] = {u: u for u in urls}

    def find(u: str) -> str:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for key, url in store.variant_links():
        if key in parent and url in parent:
            a, b = find(key), find(url)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for url in sorted(parent):
        groups.setdefault(find(url), []).append(url)
    return list(groups.values())


def _display(store: Store, url: str) -> tuple[int, int] | None:
    sizes: list[tuple[int, int]] = []
    for rw, rh, dw, dh in store.display_sizes(url):  # what the browser drew, else what the markup declared
        if rw and rh:
            sizes.append((rw, rh))
        elif dw and dh:
            sizes.append((dw, dh))
    return max(sizes, key=lambda s: s[0] * s[1]) if sizes else None


def find(store: Store, natural: dict[str, tuple[int, int]]) -> list[Finding]:
    """``natural`` maps image URL → its pixel size, as read by the metadata stage."""
    info = {url: (size, sha) for url, size, sha in store.image_bytes()}
    how = store.guessed_variants()
    findings = []
    for group in _groups(store, [u for u in natural if u in info]):
        members = [
            Member(u, *natural[u], info[u][0], info[u][1], _display(store, u), how.get(u, "markup")) for u in group
        ]
        largest = max(members, key=lambda m: (m.pixels, m.url))
        if max(largest.width, largest.height) < SCRAPER_GRADE_LONG_SIDE:
            continue
        shown = sorted((m for m in members if m.display), key=lambda m: (m.pixels, m.url))
        served = shown[0] if shown else None
        if served is not None and served.display is not None:
            factor = largest.width / max(served.display[0], 1)
            if factor < RETINA_ALLOWANCE:
                continue
        elif max(largest.width, largest.height) < UNDISPLAYED_LONG_SIDE:
            continue
        else:
            factor = None
        megapixels = round(largest.pixels / 1e6, 1)
        pages = [store.first_page(m.url) for m in members]
        page = min((p for p in pages if p), default=None)
        findings.append(
            Finding(
                Subject(largest.url, page, largest.sha256).finding_id("oversized_image"),
                "oversized_image",
                "high" if megapixels >= 8 else "medium",
                f"Reachable at {largest.width}×{largest.height} ({megapixels} MP)"
                + (f", {factor:.0f}× the size shown" if factor else ""),
                largest.url,
                page,
                {
                    "served_url": served.url if served else None,
                    "served_size": [served.width, served.height] if served else None,
                    "display_size": list(served.display) if served and served.display else None,
                    "largest_url": largest.url,
                    "largest_size": [largest.width, largest.height],
                    "megapixels": megapixels,
                    "bytes": largest.bytes,
                    "reached_via": "guessed original"
                    if largest.how == "guessed"
                    else "the site's media list (API)"
                    if largest.how == "api"
                    else (
                        "the file itself" if served is None or largest.url == served.url else "srcset or full-size link"
                    ),
                    "variants": len(members),
                },
                "Publish web-sized copies only (for example 1200 px on the long side) and delete the full-size "
                "originals from the server, including the originals a CMS keeps next to its resized copies.",
            )
        )
    return findings


def refine(finding: Finding, seen: Refinement) -> Finding:
    """Once faces are read: an oversized photo that shows a recognisable face is raised to high."""
    if finding.severity == "medium" and any(f.iod >= 30 for f in seen.faces):
        return replace(finding, severity="high", evidence={**finding.evidence, "faces": len(seen.faces)})
    return finding


CHECK = Check(
    id="oversized_image",
    order=90,
    name="Photos available far larger than shown",
    stage="analysis",
    severities=("high", "medium"),
    severity_rule="high ≥ 8 MP or showing a recognisable face, else medium",
    means="A much larger copy of a picture can be downloaded than the page shows.",
    why="Scrapers take the largest copy; full-size originals make the best material for fakes.",
    reliability="Sizes are measured; only common CMS patterns are tried for hidden originals.",
    fix="Publish web-sized copies (about 1,200 px) and delete originals from the server.",
    evidence={
        "served_url": string(nullable=True, description="null when no page shows a copy of it"),
        "served_size": array(integer(), nullable=True),
        "display_size": array(integer(), "null when no page says how large it is shown", nullable=True),
        "largest_url": string(),
        "largest_size": array(integer()),
        "megapixels": number(),
        "bytes": integer(nullable=True),
        "reached_via": string(),
        "variants": integer(),
        "faces": integer(description="faces in it, when they raised the severity"),
    },
    store=find,
    refine=refine,
    about_faces=True,
    causes=(
        Cause(
            "folder",
            "{place} serves {photos} at full size (originals, or far larger than shown)",
            "Resize the {photos} in {place} to 1,200 px and replace them; configure the site or upload tool to "
            "publish only web sizes.",
            "auditor fix --from-scan {out} --out safe-copies/ --max-side 1200",
        ),
        Cause(
            "site",
            "{n} photos are published far larger than they are shown",
            "Publish web sizes only (1,200 px is plenty) and replace the large copies.",
            "auditor fix --from-scan {out} --out safe-copies/ --max-side 1200",
        ),
    ),
    larger_copy="largest_url",
)
