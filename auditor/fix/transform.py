"""Changes that need new pixels: turning the picture upright, shrinking it to a size policy, blurring faces.

Each is one high-quality re-encode (JPEG quality 92 with the source's chroma subsampling and ICC profile, PNG and
WebP lossless where the source was), done only when the policy asks for it; metadata is never carried over.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageOps

from auditor.analyze.faces import SCHOOL_WORDS, Face, Thresholds, analyse
from auditor.imaging import redact_faces, rgb_array

BlurPolicy = Literal["none", "minors", "all"]
MINOR = ("likely_child", "possible_minor", "uncertain")  # uncertain: too small to judge, so treated as a child


@dataclass(frozen=True, slots=True)
class Policy:
    """What a safe copy must satisfy. ``minor_below`` and ``context`` are the same triage settings as ``scan`` and
    ``check`` (``--minor-below``, ``--context``), so ``--blur minors`` hides the faces those commands flag."""

    max_side: int | None = None
    max_face_iod: float | None = None
    blur: BlurPolicy = "none"
    minor_below: float = 29.0
    context: Literal["auto", "school", "general"] = "auto"

    def thresholds(self, label: str) -> Thresholds:
        """The triage thresholds for one file; ``auto`` is the school context when its path speaks of pupils."""
        base = Thresholds(minor=self.minor_below)
        school = self.context == "school" or (self.context == "auto" and SCHOOL_WORDS.search(label) is not None)
        return base.for_context("school") if school else base

    def public_dict(self) -> dict[str, object]:
        return {
            "max_side": self.max_side,
            "max_face_iod": self.max_face_iod,
            "blur": self.blur,
            "minor_below": self.minor_below,
            "context": self.context,
        }


@dataclass(slots=True)
class Transformed:
    data: bytes
    size: tuple[int, int]
    changes: list[str] = field(default_factory=list)
    faces_blurred: int = 0
    largest_iod_after: float | None = None


def _scale_for(img: Image.Image, faces: list[Face], policy: Policy) -> float:
    scale = 1.0
    if policy.max_side and max(img.size) > policy.max_side:
        scale = min(scale, policy.max_side / max(img.size))
    if policy.max_face_iod and faces:
        largest = max(f.iod for f in faces)
        if largest >= policy.max_face_iod:
            scale = min(scale, (policy.max_face_iod * 0.95) / largest)
    return scale


def _encode(img: Image.Image, fmt: str, source: Image.Image) -> bytes:
    """Write ``img`` with nothing from the source but its colour profile: Pillow and pillow-heif would otherwise
    copy ``info['exif']``/``info['xmp']`` into the new file."""
    buf = io.BytesIO()
    icc = source.info.get("icc_profile")
    img.info = {}
    if fmt == "JPEG":
        from PIL import JpegImagePlugin

        sampling = JpegImagePlugin.get_sampling(source) if source.format == "JPEG" else -1
        img.convert("RGB").save(
            buf, "JPEG", quality=92, subsampling=sampling if sampling != -1 else 0, icc_profile=icc, optimize=True
        )
    elif fmt == "WEBP":
        img.save(buf, "WEBP", lossless=True, icc_profile=icc)
    elif fmt == "HEIF":
        img.save(buf, "HEIF", quality=90, exif=None, xmp=None)
    elif fmt == "TIFF":
        img.save(buf, "TIFF", compression="tiff_deflate", icc_profile=icc)
    else:
        img.save(buf, "PNG", optimize=True, icc_profile=icc)
    return buf.getvalue()


def transform(data: bytes, policy: Policy, force: bool = False, label: str = "") -> Transformed | None:
    """Re-encode ``data`` when the policy needs new pixels (or ``force``: a format we cannot strip in place);
    ``None`` when the picture can stay as it is. ``label``: the file's name, for ``--context auto``."""
    with Image.open(io.BytesIO(data)) as source:
        source.load()
        upright = ImageOps.exif_transpose(source)
        turned = upright.size != source.size or source.getexif().get(0x0112, 1) not in (0, 1)
        needs_faces = policy.max_face_iod is not None or policy.blur != "none"
        faces = analyse(rgb_array(upright), policy.thresholds(label)) if needs_faces else []
        scale = _scale_for(upright, faces, policy)
        to_blur = [f for f in faces if policy.blur == "all" or (policy.blur == "minors" and f.triage in MINOR)]
        if scale >= 1.0 and not to_blur and not force:
            return None
        changes = ["turned upright (EXIF orientation applied)"] if turned else []
        img = upright.copy()
        if scale < 1.0:
            size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
            img = img.resize(size, Image.Resampling.LANCZOS)
            changes.append(f"downscaled {upright.width}x{upright.height} -> {size[0]}x{size[1]}")
        if to_blur:
            img = redact_faces(img, [f.box for f in to_blur], scale)
            changes.append(f"covered {len(to_blur)} face(s)")
        fmt = source.format if source.format in ("JPEG", "WEBP", "HEIF", "TIFF", "PNG") else "PNG"
        out = _encode(img, fmt, source)
    largest = max((f.iod * scale for f in faces), default=None)
    return Transformed(out, img.size, [*changes, f"re-encoded as {fmt}"], len(to_blur), largest)
