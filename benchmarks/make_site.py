"""Generate a large, realistic school site on disk for the performance harness.

    python benchmarks/make_site.py OUT --pages 200 --images 1000

Images are synthetic scenes in mixed formats and sizes (thumbnails, web sizes, a share of camera-sized originals),
half carry EXIF with GPS and a serial, a share show faces composited from scikit-image's public-domain portraits,
some galleries exist only in a JS file, and some pages link a PDF newsletter with photos inside. As a CMS does,
a share of the large JPEGs is also published in smaller sizes (``-300x225``, ``-1024x768``) offered in a
``srcset``; ``--images`` counts every file, variants included. Deterministic: the same arguments give the same
site.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.analyze.documents import pdf_with_jpeg
from tests.analyze.images import exif

SIZES = [((400, 300), 0.55), ((1600, 1200), 0.35), ((4000, 3000), 0.10)]
FACES = [np.asarray(skimage.data.astronaut()), np.stack([skimage.data.camera()] * 3, axis=-1)]


VARIANT_WIDTHS = (300, 1024)
VARIANT_SHARE = 0.5  # of the large JPEGs


def scene(width: int, height: int, seed: int) -> Image.Image:
    """A gradient and a dozen coloured shapes, different for every seed (photos on a site are distinct pictures;
    near-identical scenes would be grouped as variants of one photo)."""
    shapes = random.Random(seed)
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = shapes.randrange(width), shapes.randrange(height)
        w, h = shapes.randrange(width // 20, width // 3), shapes.randrange(height // 20, height // 3)
        colour = tuple(shapes.randrange(256) for _ in range(3))
        (draw.ellipse if shapes.random() < 0.5 else draw.rectangle)((x, y, x + w, y + h), fill=colour)
    return img


def picture(rng: random.Random, index: int) -> tuple[bytes, str]:
    (width, height) = rng.choices([s for s, _ in SIZES], [w for _, w in SIZES])[0]
    img = scene(width, height, seed=index)
    if rng.random() < 0.25:  # a face, a quarter to a sixth of the frame high
        face = Image.fromarray(FACES[index % 2]).resize((height // 3, height // 3))
        img.paste(face, (rng.randrange(0, width - face.width), rng.randrange(0, height - face.height)))
    fmt = rng.choices(["JPEG", "PNG", "WEBP"], [0.8, 0.1, 0.1])[0]
    kwargs: dict[str, object] = {"quality": 80} if fmt != "PNG" else {}
    if rng.random() < 0.5 and fmt != "PNG":
        kwargs["exif"] = exif(lat=51 + rng.random(), lon=-1 + rng.random(), serial=f"SN{index}")
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue(), {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--videos", type=int, default=0, help="videos on the first page (benchmarks/video.py's)")
    parser.add_argument("--video-minutes", type=float, default=10.0)
    args = parser.parse_args()
    rng = random.Random(args.pages * 100_003 + args.images)
    out: Path = args.out
    (out / "photos").mkdir(parents=True, exist_ok=True)
    names: list[str] = []  # one entry per photo: its markup (an <img>, with a srcset when it has variants)
    markup: dict[str, str] = {}
    files = i = 0
    while files < args.images:
        data, ext = picture(rng, i)
        name = f"photos/{i // 500:03d}/img-{i:05d}.{ext}"
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_bytes(data)
        files += 1
        names.append(name)
        markup[name] = f'<img src="/{name}" width="400" height="300">'
        if ext == "jpg" and args.images - files >= len(VARIANT_WIDTHS) and rng.random() < VARIANT_SHARE:
            with Image.open(io.BytesIO(data)) as img:
                if img.width >= 1600:
                    offers = []
                    for width in VARIANT_WIDTHS:
                        size = (width, round(img.height * width / img.width))
                        variant = name.removesuffix(".jpg") + f"-{size[0]}x{size[1]}.jpg"
                        img.resize(size, Image.Resampling.LANCZOS).save(out / variant, "JPEG", quality=82)
                        files += 1
                        offers.append(f"/{variant} {width}w")
                    offers.append(f"/{name} {img.width}w")
                    small = offers[0].split()[0]
                    markup[name] = (
                        f'<img src="{small}" srcset="{", ".join(offers)}" sizes="400px" width="400" height="300">'
                    )
        i += 1
    per_page = max(1, len(names) // args.pages)
    links = []
    for p in range(args.pages):
        batch = names[p * per_page : (p + 1) * per_page] if p < args.pages - 1 else names[p * per_page :]
        page = f"pages/p{p:04d}.html"
        (out / page).parent.mkdir(exist_ok=True)
        nav = f'<a href="/pages/p{(p + 1) % args.pages:04d}.html">next</a>'
        if p % 10 == 3:  # a JS-only gallery: the image list lives in a JSON file the page's script loads
            (out / f"pages/p{p:04d}.json").write_text(json.dumps({"photos": [f"/{n}" for n in batch]}))
            body = f'<div id="app"></div><script>fetch("/pages/p{p:04d}.json")</script>{nav}'
        else:
            body = "".join(f"<figure>{markup[n]}</figure>" for n in batch) + nav
        if p % 25 == 7:
            with (out / batch[0]).open("rb") as fh:
                first = fh.read()
            if first[:2] == b"\xff\xd8":
                (out / f"pages/p{p:04d}.pdf").write_bytes(pdf_with_jpeg(first))
                body += f'<a href="/pages/p{p:04d}.pdf">newsletter</a>'
        (out / page).write_text(f"<!doctype html><title>School page {p}</title><main>{body}</main>")
        links.append(f'<a href="/{page}">{p}</a>')
    if args.videos:
        from benchmarks.video import make as make_video

        (out / "media").mkdir(exist_ok=True)
        tags = []
        for v in range(args.videos):
            make_video(out / "media" / f"film-{v}.mp4", args.video_minutes, 720)
            tags.append(f'<video src="/media/film-{v}.mp4" controls></video>')
        (out / "pages/videos.html").write_text(f"<!doctype html><title>Films</title><main>{''.join(tags)}</main>")
        links.append('<a href="/pages/videos.html">films</a>')
    (out / "index.html").write_text(f"<!doctype html><title>Big school</title>{''.join(links)}")
    print(f"{out}: {args.pages} pages, {files} image files ({len(names)} photos), {args.videos} videos")


if __name__ == "__main__":
    main()
