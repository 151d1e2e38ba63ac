"""Content-Encoding decoded as the bytes arrive, with the decoded size capped as it grows.

httpx inflates each network chunk in one call: a 3,477-byte response labelled ``Content-Encoding: gzip, gzip``
(2 GiB inside) became gigabytes of memory before any size cap could look at it, and 6 GiB ended a scan in a
``MemoryError``. Here every layer inflates at most :data:`STEP` bytes per call (zlib's ``max_length``), layer by
layer, and the total decoded size is checked after each step: memory per response stays at a few times
:data:`STEP` whatever the ratio or the number of layers, and a bomb ends as a :class:`TooLargeError` for that URL.

Only encodings that can be inflated in bounded steps are offered and accepted (``Accept-Encoding: gzip,
deflate``); a response in another encoding (``br``, ``zstd``, something unknown) is an error for that URL, never
inflated by a decoder that cannot be bounded. At most :data:`MAX_LAYERS` layers.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

ACCEPT_ENCODING = "gzip, deflate"
STEP = 256 * 1024
MAX_LAYERS = 3


class UndecodableBody(Exception):
    """The body's encoding is not one we inflate, or its compressed data is damaged; the message says which."""


class _Inflater:
    """One gzip or deflate layer, inflated in steps of at most :data:`STEP` bytes."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._first = True
        self._obj = self._new()

    def _new(self) -> Any:  # zlib's decompressor (its type is private)
        if self.encoding == "gzip":
            return zlib.decompressobj(zlib.MAX_WBITS | 16)
        return zlib.decompressobj(zlib.MAX_WBITS)  # deflate as it should be: zlib-wrapped (raw: see _raw)

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while True:
            try:
                out = self._obj.decompress(pending, STEP)
            except zlib.error as exc:
                if self.encoding == "deflate" and self._first:  # servers that send raw deflate, as browsers allow
                    self._obj, self._first = zlib.decompressobj(-zlib.MAX_WBITS), False
                    continue
                raise UndecodableBody(f"damaged {self.encoding} data ({exc})") from exc
            self._first = False
            if out:
                yield out
            pending = self._obj.unconsumed_tail
            if self._obj.eof:
                rest = self._obj.unused_data
                if not (rest and self.encoding == "gzip"):
                    return
                self._obj, pending = self._new(), rest  # another gzip member follows (RFC 1952 allows several)
            elif not pending and len(out) < STEP:
                return  # all input taken and nothing more to give until more arrives

    def flush(self) -> Iterator[bytes]:
        while True:
            out = self._obj.flush(STEP) if not self._obj.eof else b""
            if not out:
                return
            yield out


class BoundedDecoder:
    """Decodes a body's ``Content-Encoding`` layers chunk by chunk; :meth:`feed` and :meth:`flush` yield decoded
    pieces of at most :data:`STEP` bytes each, never holding more than a few of them."""

    def __init__(self, content_encoding: str) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
        names = [n for n in names if n != "identity"]
        unknown = [n for n in names if n not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise UndecodableBody(f"the server sent it {', '.join(unknown)}-encoded, which was not asked for")
        if len(names) > MAX_LAYERS:
            raise UndecodableBody(f"{len(names)} layers of compression (more than {MAX_LAYERS}): refused")
        # The last encoding applied is the first undone.
        self._layers = [_Inflater("gzip" if n == "x-gzip" else n) for n in reversed(names)]

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield from self._through(0, data)

    def flush(self) -> Iterator[bytes]:
        for depth, layer in enumerate(self._layers):
            for piece in layer.flush():
                yield from self._through(depth + 1, piece)

    def _through(self, depth: int, data: bytes) -> Iterator[bytes]:
        if depth == len(self._layers):
            if data:
                yield data
            return
        for piece in self._layers[depth].feed(data):
            yield from self._through(depth + 1, piece)
