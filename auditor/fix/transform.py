"""Changes that need new pixels: turning the picture upright, shrinking it to a size policy, blurring faces.

Each is one high-quality re-encode (JPEG quality 92 with the source's chroma subsampling and ICC profile, PNG and
WebP lossless where the source was), done only when the policy asks for it; metadata is never carried over.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from auditor.analyze.faces import Face, Thresholds, analyse

BlurPolicy = Literal["none", "minors", "all"]
MINOR = ("likely_child", "possible_minor", "uncertain")  # uncertain: too small to judge, so treated as a child


@dataclass(frozen=True, slots=True)
class Policy:
    max_side: int | None = None
    max_face_iod: float | None = None
    blur: BlurPolicy = "none"


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


def _blur(img: Image.Image, faces: list[Face], scale: float) -> Image.Image:
    for face in faces:
        x, y, w, h = (round(v * scale) for v in face.box)
        pad_w, pad_h = w // 3, h // 3
        region = (max(0, x - pad_w), max(0, y - pad_h), min(img.width, x + w + pad_w), min(img.height, y + h + pad_h))
        if region[2] - region[0] < 2 or region[3] - region[1] < 2:
            continue
        patch = img.crop(region)
        small = patch.resize((max(1, patch.width // 10), max(1, patch.height // 10)), Image.Resampling.BILINEAR)
        img.paste(small.resize(patch.size, Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(4)), region[:2])
    return img


def _encode(img: Image.Image, fmt: str, source: Image.Image) -> bytes:
    """Write ``img`` with nothing from the source but its colour profile: Pillow and pillow-heif would otherwise
    copy ``info['exif']``/``info['xmp']`` into the new file."""
    buf = io.BytesIO()
    icc = source.info.get("icc_profile")
    img.info = {}
    if fmt == "JPEG":
        from PIL import JpegImagePlugin

        sampling = JpegImagePlugin.get_sampling(source) if source.format == "JPEG" else -1
        img.convert("RGB").save(buf, "JPEG", quality=92, subsampling=sampling if sampling != -1 else 0,
                                icc_profile=icc, optimize=True)
    elif fmt == "WEBP":
        img.save(buf, "WEBP", lossless=True, icc_profile=icc)
    elif fmt == "HEIF":
        img.save(buf, "HEIF", quality=90, exif=None, xmp=None)
    elif fmt == "TIFF":
        img.save(buf, "TIFF", compression="tiff_deflate", icc_profile=icc)
    else:
        img.save(buf, "PNG", optimize=True, icc_profile=icc)
    return buf.getvalue()


def transform(data: bytes, policy: Policy, force: bool = False) -> Transformed | None:
    """Re-encode ``data`` when the policy needs new pixels (or ``force``: a format we cannot strip in place);
    ``None`` when the picture can stay as it is."""
    with Image.open(io.BytesIO(data)) as source:
        source.load()
        upright = ImageOps.exif_transpose(source)
        turned = upright.size != source.size or source.getexif().get(0x0112, 1) not in (0, 1)
        needs_faces = policy.max_face_iod is not None or policy.blur != "none"
        faces = analyse(np.asarray(upright.convert("RGB")), Thresholds()) if needs_faces else []
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
            img = _blur(img, to_blur, scale)
            changes.append(f"blurred {len(to_blur)} face(s)")
        fmt = source.format if source.format in ("JPEG", "WEBP", "HEIF", "TIFF", "PNG") else "PNG"
        out = _encode(img, fmt, source)
    largest = max((f.iod * scale for f in faces), default=None)
    return Transformed(out, img.size, [*changes, f"re-encoded as {fmt}"], len(to_blur), largest)
