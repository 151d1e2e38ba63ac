"""The same photo in several sizes: fingerprints, grouping, and a crawled site whose CMS publishes each upload in
three sizes (real crawler, real loopback server, real face models on scikit-image's public-domain portrait)."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skimage.data
from PIL import Image

from auditor.analyze import faces
from auditor.analyze.faces import Thresholds, detect, rescaled
from auditor.analyze.variants import fingerprint, largest_copies
from auditor.pipeline import run_scan
from auditor.progress import NullProgress
from auditor.store import Store
from tests.analyze import images
from tests.server import Route, Site


def jpeg(img: Image.Image, orientation: int | None = None, quality: int = 85) -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, exif=exif)
    return buf.getvalue()


def sizes(img: Image.Image, widths: tuple[int, ...]) -> list[Image.Image]:
    return [img.resize((w, round(img.height * w / img.width)), Image.Resampling.LANCZOS) for w in widths]


def test_sizes_of_one_photo_are_grouped_under_the_largest() -> None:
    photo = Image.fromarray(skimage.data.astronaut()).resize((1200, 1200))
    other = Image.fromarray(skimage.data.chelsea()).resize((1200, 900))
    prints = {f"astronaut-{img.width}": fingerprint(jpeg(img), 10**8) for img in sizes(photo, (1200, 600, 150))}
    prints |= {f"cat-{img.width}": fingerprint(jpeg(img), 10**8) for img in sizes(other, (1200, 300))}
    prints["scene"] = fingerprint(jpeg(images.scene(600, 600, seed=3)), 10**8)  # same size and aspect, not a copy
    prints["astronaut-recompressed"] = fingerprint(jpeg(photo, quality=40), 10**8)  # same size: not grouped
    assert all(p is not None for p in prints.values())
    largest = largest_copies({k: p for k, p in prints.items() if p is not None})
    assert largest["astronaut-600"] == largest["astronaut-150"] == largest["astronaut-1200"] == "astronaut-1200"
    assert largest["cat-300"] == "cat-1200" and largest["scene"] == "scene"
    assert largest["astronaut-recompressed"] == "astronaut-recompressed"


def test_a_fingerprint_is_upright_full_size_and_refuses_what_it_cannot_read() -> None:
    photo = Image.fromarray(skimage.data.astronaut()).resize((800, 600))
    upright = fingerprint(jpeg(photo), 10**8)
    # Stored turned a quarter with an EXIF orientation that turns it back: the same picture, the same size.
    turned = fingerprint(jpeg(photo.transpose(Image.Transpose.ROTATE_90), orientation=6), 10**8)
    assert upright is not None and turned is not None
    assert (upright.width, upright.height) == (turned.width, turned.height) == (800, 600)
    assert largest_copies({"a": upright, "b": turned}) == {"a": "a", "b": "b"}  # same size: never grouped
    assert fingerprint(b"not an image", 10**8) is None and fingerprint(jpeg(photo), 1000) is None


def test_rescaled_faces_follow_the_smaller_copy() -> None:
    big = faces.analyse(np.asarray(Image.fromarray(skimage.data.astronaut()).resize((1024, 1024))), Thresholds())
    small = rescaled(big, 0.25, Thresholds())
    assert len(big) == len(small) == 1
    assert small[0].box == tuple(round(v / 4) for v in big[0].box) and small[0].age == big[0].age
    assert abs(small[0].iod - big[0].iod / 4) < 1e-6
    assert rescaled(big, 0.01, Thresholds()) == []  # too small to tell from noise


def test_the_cascade_finds_small_faces_where_the_first_look_found_someone(monkeypatch: pytest.MonkeyPatch) -> None:
    portrait = Image.fromarray(skimage.data.astronaut())
    canvas = Image.fromarray(np.asarray(images.scene(2400, 1800, seed=1)))
    canvas.paste(portrait.resize((700, 700)), (100, 100))  # someone close up
    for x in (1300, 1700, 2050):  # and three small faces at the back
        canvas.paste(portrait.resize((90, 90)), (x, 1500))
    pixels = np.asarray(canvas)
    found = detect(pixels)
    monkeypatch.setattr(faces, "DETECT_LONG_SIDE", faces.COARSE_LONG_SIDE)
    first_look_only = detect(pixels)
    assert len(found) == 4 and len(first_look_only) < len(found)


def test_a_cms_site_reports_each_photo_once_with_its_smaller_copies(make_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = Image.fromarray(skimage.data.astronaut()).resize((1600, 1600))
    routes = {
        f"/uploads/staff-{img.width}x{img.height}.jpg": Route(jpeg(img), content_type="image/jpeg")
        for img in sizes(photo, (300, 768))
    }
    routes["/uploads/staff.jpg"] = Route(jpeg(photo), content_type="image/jpeg")
    routes["/uploads/field.jpg"] = Route(images.jpeg(), content_type="image/jpeg")
    srcset = "/uploads/staff-300x300.jpg 300w, /uploads/staff-768x768.jpg 768w, /uploads/staff.jpg 1600w"
    routes["/"] = Route(
        f'<h1>Staff</h1><img src="/uploads/staff-300x300.jpg" srcset="{srcset}"><a href="/news">news</a>'
    )
    routes["/news"] = Route('<img src="/uploads/staff-768x768.jpg" alt="our team"><img src="/uploads/field.jpg">')
    with Site(routes).serve() as base:
        document = run_scan(make_config(base + "/", out=tmp_path / "out")).document
    face_findings = [f for f in document["findings"] if f["check"] in ("identifiable_face", "minor_face")]
    assert {f["asset"] for f in face_findings} == {base + "/uploads/staff.jpg"}
    for finding in face_findings:
        assert finding["evidence"]["smaller_copies"] == [
            base + "/uploads/staff-300x300.jpg",
            base + "/uploads/staff-768x768.jpg",
        ]
    # Every size keeps its own faces, in its own coordinates, so the report blurs each of them.
    boxes = {
        a["url"].rsplit("/", 1)[1]: [f["box"] for f in a["faces"]] for a in document["assets"] if a["type"] == "image"
    }
    assert len(boxes["staff.jpg"]) == len(boxes["staff-300x300.jpg"]) == len(boxes["staff-768x768.jpg"]) == 1
    assert abs(boxes["staff-300x300.jpg"][0][2] - boxes["staff.jpg"][0][2] * 300 / 1600) <= 1
    assert boxes["field.jpg"] == []
    # The report's thumbnails were made by the face stage, redacted, one per picture (copies share the photo's).
    with sqlite3.connect(tmp_path / "out" / Store.DB_NAME) as db:
        made = dict(db.execute("SELECT sha256, jpeg FROM thumbnails").fetchall())
    sha = {a["url"].rsplit("/", 1)[1]: a["sha256"] for a in document["assets"]}
    assert set(made) == set(sha.values())
    assert made[sha["staff-300x300.jpg"]] == made[sha["staff.jpg"]]


class _Log(NullProgress):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, message: str) -> None:
        self.lines.append(message)


def test_faces_are_read_while_the_crawl_fetches_with_the_same_result(
    make_config: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow site: the face workers start on the pictures fetched so far; the findings are those of a scan
    whose faces are all read after the crawl."""
    from auditor import passes as stage

    photo = Image.fromarray(skimage.data.astronaut())
    routes = {
        f"/p/{i}.jpg": Route(jpeg(images.scene(320 + i, 240, seed=i)), content_type="image/jpeg", delay=0.15)
        for i in range(26)
    }
    routes |= {
        f"/p/staff-{img.width}.jpg": Route(jpeg(img), content_type="image/jpeg", delay=0.15)
        for img in sizes(photo, (300, 512))
    }
    routes["/"] = Route("".join(f"<img src='{path}'>" for path in sorted(routes)))
    monkeypatch.setattr(stage.FaceFeeder, "__init__", _fast_feeder(stage.FaceFeeder.__init__))
    with Site(routes).serve() as base:
        log = _Log()
        overlapped = run_scan(make_config(base + "/", out=tmp_path / "a", concurrency=2), log).document
        monkeypatch.setattr(stage.FaceFeeder, "_run", lambda self: None)  # nothing read during the crawl
        after = run_scan(make_config(base + "/", out=tmp_path / "b", concurrency=2)).document
    fed = [line for line in log.lines if "during the crawl" in line]
    assert fed and int(fed[0].split()[0]) >= 24

    def faces(document: dict[str, Any]) -> tuple[Any, Any]:
        return (
            sorted(
                (f["id"], f["severity"], json.dumps(f["evidence"], sort_keys=True))
                for f in document["findings"]
                if f["check"] in ("minor_face", "identifiable_face")
            ),
            sorted((a["url"].rsplit("/", 1)[1], json.dumps(a["faces"])) for a in document["assets"]),
        )

    assert faces(overlapped) == faces(after)
    assert [f["evidence"]["smaller_copies"] for f in overlapped["findings"] if f["check"] == "identifiable_face"] == [
        [base + "/p/staff-300.jpg"]
    ]


def _fast_feeder(init: Any) -> Any:
    def fast(self: Any, store: Any, pool: Any, interval: float = 1.0) -> None:
        init(self, store, pool, 0.2)

    return fast
