"""Near-identical pictures: the same photo published in several sizes.

A CMS turns every upload into four or five sizes (WordPress: ``-150x150``, ``-300x200``, ``-1024x683``, the
original). Looking for faces in each of them costs five times the work and reports one photo five times, so
faces are read once, on the largest size, and carried over to the smaller ones by scaling.

Two pictures are sizes of one photo when the smaller has strictly fewer pixels, the same aspect ratio (within
2 %), and their 32x32 grey thumbnails differ by at most :data:`MAX_DIFFERENCE` grey levels on average. Measured on
the shared WIDER subset (``benchmarks/faces.py`` prints it): a photo and its 150/300/768-pixel JPEG copies differ by
0.6-5.2 levels; the closest two distinct photos by 34. Pictures of the same size are never grouped (burst shots,
re-encodes): only resized copies are. Only a thumbnail of grey levels is kept, never pixels of a face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from auditor.imaging import NOT_READABLE, open_quietly

__all__ = ["MAX_DIFFERENCE", "Fingerprint", "fingerprint", "largest_copies"]

SIDE = 32
MAX_DIFFERENCE = 8.0  # mean absolute grey-level difference of the 32x32 thumbnails
MAX_ASPECT_CHANGE = 0.02


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The upright size of a picture and a 32x32 grey thumbnail of it."""

    width: int
    height: int
    grey: bytes  # SIDE * SIDE bytes

    @property
    def pixels(self) -> int:
        return self.width * self.height


def fingerprint(data: bytes, max_pixels: int) -> Fingerprint | None:
    """The picture's fingerprint, decoded at a fraction of its size where the format allows (JPEG), or ``None``
    when it cannot be read or is larger than ``max_pixels``."""
    try:
        with open_quietly(data) as img:
            width, height = img.size  # before ``draft`` shrinks it
            if width * height > max_pixels:
                return None
            img.draft("L", (SIDE * 4, SIDE * 4))
            reduced = img.size
            upright = ImageOps.exif_transpose(img)
            if upright.size != reduced:  # turned a quarter
                width, height = height, width
            grey = upright.convert("L").resize((SIDE, SIDE), Image.Resampling.BOX)
            return Fingerprint(width, height, grey.tobytes())
    except NOT_READABLE:
        return None


def largest_copies(prints: dict[str, Fingerprint]) -> dict[str, str]:
    """For every key, the key of the largest picture it is a smaller copy of (itself when there is none).

    Pictures are taken largest first; each is compared only with larger ones of the same aspect ratio whose mean
    grey level is within MAX_DIFFERENCE of its own (a copy's mean cannot differ by more than its mean absolute
    difference), found by a window over the means sorted, then with a 4x4 and the 32x32 thumbnail. Real photos
    spread over the grey levels, so each is compared with a small share of the site."""
    keys = sorted(prints, key=lambda k: (-prints[k].pixels, k))
    if not keys:
        return {}
    grey = np.stack([np.frombuffer(prints[k].grey, dtype=np.uint8) for k in keys]).astype(np.int16)
    coarse = grey.reshape(len(keys), 4, SIDE // 4, 4, SIDE // 4).mean(axis=(2, 4)).reshape(len(keys), 16)
    aspect = np.array([math.log(prints[k].width / max(prints[k].height, 1)) for k in keys])
    pixels = np.array([prints[k].pixels for k in keys])
    means = coarse.mean(axis=1)
    by_mean = np.argsort(means, kind="stable")
    sorted_means = means[by_mean]
    largest = np.arange(len(keys))
    for i in range(1, len(keys)):
        low, high = np.searchsorted(sorted_means, [means[i] - MAX_DIFFERENCE, means[i] + MAX_DIFFERENCE + 1e-9])
        window = by_mean[low:high]
        # The coarse 4x4 difference never exceeds the 32x32 one (block means), so it filters without misses.
        window = window[(pixels[window] > pixels[i]) & (np.abs(aspect[window] - aspect[i]) <= MAX_ASPECT_CHANGE)]
        if window.size:
            window = window[np.abs(coarse[window] - coarse[i]).mean(axis=1) <= MAX_DIFFERENCE]
        if window.size:
            differences = np.abs(grey[window] - grey[i]).mean(axis=1)
            best = int(np.argmin(differences))
            if differences[best] <= MAX_DIFFERENCE:
                largest[i] = largest[window[best]]
    return {k: keys[int(largest[i])] for i, k in enumerate(keys)}
