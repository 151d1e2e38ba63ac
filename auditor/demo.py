"""``auditor demo``: serve the bundled demo school site on 127.0.0.1 and audit it, with no network needed."""

from __future__ import annotations

import functools
import io
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _QuietHandler(SimpleHTTPRequestHandler):
    """A static file server that, like a carelessly configured web server, shows automatic directory listings,
    but only under ``/uploads/`` (the classic mistake the demo wants to expose)."""

    extensions_map = {  # noqa: RUF012 - overrides the stdlib's attribute of the same (mutable) shape
        **SimpleHTTPRequestHandler.extensions_map,
        ".webp": "image/webp",
        ".js": "text/javascript",
    }
    listing_prefix = "/uploads/"

    def do_GET(self) -> None:
        generated = GENERATED.get(self.path)
        body = generated() if generated else None
        if body is None:
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4" if self.path.endswith(".mp4") else "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def list_directory(self, path: str | os.PathLike[str]) -> io.BytesIO | None:
        if not self.path.startswith(self.listing_prefix):
            self.send_error(404, "Not Found")
            return None
        return super().list_directory(path)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@functools.cache
def _office_team() -> bytes | None:
    """A staff photo composed when first asked for, from the two public-domain portraits that scikit-image (a
    dependency of the face detector) ships: no photo of a person is stored in this repository."""
    try:
        import numpy as np
        import skimage.data
        from PIL import Image
    except ImportError:
        return None
    canvas = Image.new("RGB", (1400, 700), (232, 226, 214))
    canvas.paste(Image.fromarray(skimage.data.astronaut()), (100, 94))
    canvas.paste(Image.fromarray(np.stack([skimage.data.camera()] * 3, axis=-1)), (788, 94))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=85)
    return buf.getvalue()


@functools.cache
def _space_week(number: int) -> bytes | None:
    """Four different photos of the same visitor (the same public-domain portrait, cropped, mirrored, turned and
    placed differently), so the demo shows one person recognisable across several published photos."""
    try:
        import skimage.data
        from PIL import Image, ImageOps
    except ImportError:
        return None
    portrait = Image.fromarray(skimage.data.astronaut())
    crops = {1: (60, 0, 470, 420), 2: (110, 10, 420, 330), 3: (0, 0, 512, 512), 4: (140, 20, 340, 260)}
    picture = portrait.crop(crops[number])
    if number == 2:
        picture = ImageOps.mirror(picture)
    if number == 3:
        picture = picture.rotate(8, resample=Image.Resampling.BICUBIC, fillcolor=(40, 60, 110))
    scale = {1: 1.4, 2: 1.8, 3: 1.2, 4: 2.4}[number]
    picture = picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (picture.width + 160, picture.height + 80), (214 - 20 * number, 226, 232))
    canvas.paste(picture, (40 * number, 40))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=88)
    return buf.getvalue()


@functools.cache
def _relay_video() -> bytes | None:
    """The sports-day video: six seconds of a generated field with the public-domain portrait in the middle two,
    and the place a phone would write (ISO 6709, near the demo school), so the demo shows a video's findings."""
    try:
        import av
        import numpy as np
        import skimage.data
        from PIL import Image
    except ImportError:
        return None
    face = np.asarray(Image.fromarray(skimage.data.astronaut()).crop((100, 0, 420, 320)).resize((360, 360)))
    field = np.zeros((360, 640, 3), np.uint8)
    field[:] = (60, 130, 60)
    visitor = field.copy()
    visitor[:, 140:500] = face
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        out.metadata["location"] = "+51.5014-000.1419/"
        stream = out.add_stream("libx264", rate=5)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for i in range(30):
            frame = visitor if 10 <= i < 20 else field
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


GENERATED: dict[str, Callable[[], bytes | None]] = {
    "/media/relay.mp4": _relay_video,
    "/images/staff/office-team.jpg": _office_team,
    **{f"/uploads/2024/03/space-week-{n}.jpg": functools.partial(_space_week, n) for n in range(1, 5)},
}


@contextmanager
def serve_directory(root: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``root`` over HTTP on a free port of ``host`` for the duration of the block; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
