"""Changes that need new pixels: turning the picture upright, shrinking it to a size policy, blurring faces.

Each is one high-quality re-encode (JPEG quality 92 with the source's chroma subsampling and ICC profile, PNG and
WebP lossless where the source was), done only when the policy asks for it; metadata is never carried over.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageOps, ImageSequence

from auditor.analyze.faces import SCHOOL_WORDS, Face, Thresholds, analyse
from auditor.imaging import redact_faces, rgb, rgb_array

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
    # The AI-training reservation written into every copy (``--reserve``/``--no-reserve``), with the rights holder
    # and web statement of rights only when given (``--rights-holder``, ``--rights-url``).
    reserve: bool = True
    rights_holder: str | None = None
    rights_url: str | None = None

    def thresholds(self, label: str) -> Thresholds:
        """The triage thresholds for one file; ``auto`` is the school context when its path speaks of pupils."""
        base = Thresholds.below(self.minor_below)
        school = self.context == "school" or (self.context == "auto" and SCHOOL_WORDS.search(label) is not None)
        return base.for_context("school") if school else base

    def public_dict(self) -> dict[str, object]:
        return {
            "max_side": self.max_side,
            "max_face_iod": self.max_face_iod,
            "blur": self.blur,
            "minor_below": self.minor_below,
            "context": self.context,
            "reserve": self.reserve,
            "rights_holder": self.rights_holder,
            "rights_url": self.rights_url,
        }


@dataclass(slots=True)
class Transformed:
    data: bytes
    size: tuple[int, int]
    changes: list[str] = field(default_factory=list)
    faces_blurred: int = 0
    largest_iod_after: float | None = None
    format: str = ""  # what the new file is (its name follows: a BMP re-encoded as PNG is named .png)


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
    elif fmt == "GIF":
        img.save(buf, "GIF")
    elif fmt == "TIFF":
        img.save(buf, "TIFF", compression="tiff_deflate", icc_profile=icc)
    else:
        img.save(buf, "PNG", optimize=True, icc_profile=icc)
    return buf.getvalue()


MAX_FRAMES = 300  # frames of an animated picture that fix will re-encode (each is analysed and covered)
_KEEP = ("JPEG", "WEBP", "HEIF", "TIFF", "PNG", "GIF")  # re-encoded in their own format; anything else as PNG


def _transform_animated(source: Image.Image, policy: Policy, force: bool, label: str) -> Transformed | None:
    """Every frame of an animated GIF, PNG or WebP: faces found and covered in each, the same scale for all, the
    animation (frame durations, looping) kept, nothing else carried over."""
    count = getattr(source, "n_frames", 1)
    if count > MAX_FRAMES:
        raise ValueError(f"an animation of {count} frames (more than {MAX_FRAMES}); not fixed")
    frames = [rgb(frame.convert("RGBA")).copy() for frame in ImageSequence.Iterator(source)]
    durations = []
    for i in range(count):
        source.seek(i)
        durations.append(int(source.info.get("duration", 100) or 100))
    needs_faces = policy.max_face_iod is not None or policy.blur != "none"
    faces = [analyse(rgb_array(f), policy.thresholds(label)) if needs_faces else [] for f in frames]
    every = [face for found in faces for face in found]
    scale = _scale_for(frames[0], every, policy)
    covered = [
        [f for f in found if policy.blur == "all" or (policy.blur == "minors" and f.triage in MINOR)] for found in faces
    ]
    if scale >= 1.0 and not any(covered) and not force:
        return None
    changes = []
    if scale < 1.0:
        size = (max(1, round(frames[0].width * scale)), max(1, round(frames[0].height * scale)))
        changes.append(f"downscaled {frames[0].width}x{frames[0].height} -> {size[0]}x{size[1]}")
        frames = [f.resize(size, Image.Resampling.LANCZOS) for f in frames]
    frames = [
        redact_faces(f, [c.box for c in cover], scale) if cover else f for f, cover in zip(frames, covered, strict=True)
    ]
    if any(covered):
        changes.append(f"covered {sum(map(len, covered))} face(s) in {sum(map(bool, covered))} of {count} frames")
    fmt = source.format if source.format in ("GIF", "PNG", "WEBP") else "PNG"
    buf = io.BytesIO()
    extra: dict[str, object] = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(
        buf,
        fmt,
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=int(source.info.get("loop", 0) or 0),
        **extra,
    )
    largest = max((f.iod * scale for f in every), default=None)
    return Transformed(
        buf.getvalue(),
        frames[0].size,
        [*changes, f"re-encoded as animated {fmt}, {count} frames"],
        sum(map(len, covered)),
        largest,
        fmt,
    )


MAX_RESIZES = 4  # tries to bring the largest face under --max-face-iod as measured on the copy itself


def _downscaled(
    upright: Image.Image, scale: float, largest: float | None, policy: Policy, label: str
) -> tuple[Image.Image, float, float | None]:
    """``upright`` at ``scale``, and smaller still while the copy itself shows a face at or above
    ``--max-face-iod``: the detector can measure a face that fills a large frame smaller than it is (it boxed a
    2048 px portrait's face at 322 px between the eyes, and the same face at 45 px in the 181 px copy), and the
    promise is about the copy, which is what :func:`auditor.fix.run.verify` measures. Returns the picture, the
    scale used and the largest face measured on it."""
    for _ in range(MAX_RESIZES):
        size = (max(1, round(upright.width * scale)), max(1, round(upright.height * scale)))
        img = upright.resize(size, Image.Resampling.LANCZOS)
        if not policy.max_face_iod:
            return img, scale, largest
        measured = max((f.iod for f in analyse(rgb_array(img), policy.thresholds(label))), default=None)
        if measured is None or measured < policy.max_face_iod:
            return img, scale, measured if measured is not None else largest
        scale *= policy.max_face_iod * 0.95 / measured
    return img, scale, measured


def transform(data: bytes, policy: Policy, force: bool = False, label: str = "") -> Transformed | None:
    """Re-encode ``data`` when the policy needs new pixels (or ``force``: a format we cannot strip in place);
    ``None`` when the picture can stay as it is. ``label``: the file's name, for ``--context auto``."""
    with Image.open(io.BytesIO(data)) as source:
        if getattr(source, "n_frames", 1) > 1:
            return _transform_animated(source, policy, force, label)
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
        largest = max((f.iod * scale for f in faces), default=None)
        if scale < 1.0:
            img, scale, largest = _downscaled(upright, scale, largest, policy, label)
            changes.append(f"downscaled {upright.width}x{upright.height} -> {img.width}x{img.height}")
        if to_blur:
            img = redact_faces(img, [f.box for f in to_blur], scale)
            changes.append(f"covered {len(to_blur)} face(s)")
        fmt = source.format if source.format in _KEEP else "PNG"
        out = _encode(img, fmt, source)
    return Transformed(out, img.size, [*changes, f"re-encoded as {fmt}"], len(to_blur), largest, fmt)
