"""The full-size originals a scraper guesses from a published copy's URL, for each system that names its sizes."""

from __future__ import annotations

import pytest

from auditor.crawl.originals import guess_originals


@pytest.mark.parametrize(
    ("served", "originals"),
    [
        (
            "https://school.example/wp-content/uploads/2024/05/day-300x200.jpg",
            [
                "https://school.example/wp-content/uploads/2024/05/day.jpg",
                "https://school.example/wp-content/uploads/2024/05/day-scaled.jpg",
            ],
        ),
        (
            "https://school.example/sites/default/files/styles/large/public/trip.jpg",
            ["https://school.example/sites/default/files/trip.jpg"],
        ),
        (
            "https://images.squarespace-cdn.com/content/v1/abc/class.jpg?format=750w",
            ["https://images.squarespace-cdn.com/content/v1/abc/class.jpg?format=original"],
        ),
        (
            "https://static.wixstatic.com/media/ab_12.jpg/v1/fill/w_300,h_200/ab_12.jpg",
            ["https://static.wixstatic.com/media/ab_12.jpg"],
        ),
        # Google Sites, Blogger and Photos serve a size by the URL's options; =s0 is the original.
        (
            "https://lh3.googleusercontent.com/sitesv/AbCd123_xyz=w1280-h720-no",
            ["https://lh3.googleusercontent.com/sitesv/AbCd123_xyz=s0"],
        ),
        ("https://lh3.googleusercontent.com/sitesv/AbCd123_xyz=s0", []),
        ("https://elsewhere.example/photo=w640", []),  # the same shape on another host is nobody's size
        ("https://school.example/gallery/day.jpg", []),
    ],
)
def test_originals_are_guessed_from_each_systems_size_names(served: str, originals: list[str]) -> None:
    assert guess_originals(served) == originals
