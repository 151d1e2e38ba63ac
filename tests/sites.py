"""Loopback sites and assertions shared by more than one test module."""

from __future__ import annotations

import itertools
import statistics

from tests.analyze import images
from tests.server import Route, Site

SECTIONS = ("a", "b")


def one_host_two_sections() -> Site:
    """One host serving two sections (``/a/``, ``/b/``) of three photos each: two sites on one CDN host."""
    pictures = {
        f"/{part}/p{n}.jpg": Route(images.jpeg(images.scene(seed=n)), content_type="image/jpeg")
        for part in SECTIONS
        for n in range(3)
    }
    pages = {f"/{part}/": Route("".join(f"<img src='/{part}/p{n}.jpg'>" for n in range(3))) for part in SECTIONS}
    return Site({**pictures, **pages, "/robots.txt": Route("", status=404)})


def assert_one_rate(host: Site, rate: float) -> None:
    """The requests ``host`` saw, from both sections' scans together, started at about ``rate`` a second (two scans
    each keeping only its own rate would reach about twice it) and, typically, ``1/rate`` apart: starts are
    reserved ``1/rate`` apart, but under a loaded CI machine one request can arrive a fifth of a second late, so
    the median gap is asserted, not the smallest (independent scans would give a median near ``1/(2*rate)``)."""
    starts = sorted(host.started)
    assert len(starts) >= 8  # both sections' pages and photos
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(starts)]
    assert (len(starts) - 1) / (starts[-1] - starts[0]) <= rate * 1.15, gaps
    assert statistics.median(gaps) >= 0.75 / rate, gaps
