"""Which photos are one scene: burst shots and near-copies taken seconds apart count as one exposure of a person.

Three 8 MP assembly photos of one crowd, shot within seconds, once became thirty "recognisable in several photos"
findings, each "take down 2 photos": a face generator learns little more from three near-identical frames than
from one, and a school reading thirty cards stops reading. ``person_exposure`` counts *distinct* photos, so it
needs to know which photos are the same moment. Two photos are one scene when

- both record when they were taken (EXIF ``DateTimeOriginal`` and the like) at most :data:`BURST_SECONDS` apart,
  by the same camera when both name one; or
- without those times, most faces of the photo with fewer faces (at least :data:`MIN_SHARED_FACES`) are the
  same recognised people at nearly the same place and size in the other: the same people, posed the same way, in
  a frame of the same shape. Photos taken at different moments of one event (other poses, other places) stay distinct.

Only pairs of photos that share a recognised person are compared, so the cost follows the people, not the
square of the site's photos. Pure functions over facts already read; no picture is decoded here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

BURST_SECONDS = 10.0
MIN_SHARED_FACES = 2
SHARED_SHARE = 0.7  # of the faces of the photo with fewer faces
PLACE_TOLERANCE = 0.04  # of the frame's width and height
SIZE_TOLERANCE = 1.3  # ratio of the two faces' heights
SHAPE_TOLERANCE = 0.03  # difference of the two frames' aspect ratios

_TIME = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


@dataclass(frozen=True, slots=True)
class Shot:
    """What tells one photo's moment: when and with what it was taken, its frame, and its faces' boxes."""

    taken: str | None
    camera: str | None
    size: tuple[int, int] | None
    boxes: tuple[tuple[int, int, int, int], ...]  # x, y, width, height
    people: tuple[int | None, ...] = ()  # the person each face belongs to, in the order of ``boxes``

    @property
    def when(self) -> datetime | None:
        found = _TIME.search(self.taken or "")
        if found is None:
            return None
        try:
            year, month, day, hour, minute, second = (int(part) for part in found.groups())
            return datetime(year, month, day, hour, minute, second)
        except ValueError:
            return None


def same_scene(a: Shot, b: Shot) -> bool:
    """Whether two photos are one moment (see the module's docstring)."""
    first, second = a.when, b.when
    if first is not None and second is not None:
        if a.camera and b.camera and a.camera != b.camera:
            return False
        return abs((first - second).total_seconds()) <= BURST_SECONDS
    return _same_layout(a, b)


def _same_layout(a: Shot, b: Shot) -> bool:
    if a.size is None or b.size is None or not a.size[1] or not b.size[1]:
        return False
    if abs(a.size[0] / a.size[1] - b.size[0] / b.size[1]) > SHAPE_TOLERANCE:
        return False
    fewer, more = (a, b) if len(a.boxes) <= len(b.boxes) else (b, a)
    if len(fewer.boxes) < MIN_SHARED_FACES:
        return False
    assert fewer.size is not None and more.size is not None
    places = [(*_place(box, more.size), who) for box, who in zip(more.boxes, _who(more), strict=True)]
    shared = 0
    for box, person in zip(fewer.boxes, _who(fewer), strict=True):
        x, y, height = _place(box, fewer.size)
        shared += person is not None and any(
            person == other
            and abs(x - ox) <= PLACE_TOLERANCE
            and abs(y - oy) <= PLACE_TOLERANCE
            and max(height, oh) <= SIZE_TOLERANCE * max(min(height, oh), 1e-9)
            for ox, oy, oh, other in places
        )
    return shared >= MIN_SHARED_FACES and shared >= SHARED_SHARE * len(fewer.boxes)


def _who(shot: Shot) -> tuple[int | None, ...]:
    return shot.people if len(shot.people) == len(shot.boxes) else (None,) * len(shot.boxes)


def _place(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[float, float, float]:
    """A face's centre and height as shares of its frame."""
    x, y, width, height = box
    return (x + width / 2) / size[0], (y + height / 2) / size[1], height / size[1]


def scenes(shots: dict[str, Shot], together: Iterable[Iterable[str]]) -> dict[str, str]:
    """Each photo's scene: the smallest key of the photos it is one scene with (itself when alone). ``together``:
    groups of photos that share a person, the only pairs compared."""
    parent = {key: key for key in shots}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    compared: set[tuple[str, str]] = set()
    for group in together:
        keys = sorted({k for k in group if k in shots})
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if (a, b) in compared or root(a) == root(b):
                    continue
                compared.add((a, b))
                if same_scene(shots[a], shots[b]):
                    low, high = sorted((root(a), root(b)))
                    parent[high] = low
    return {key: root(key) for key in shots}
