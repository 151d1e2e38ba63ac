"""Metadata findings for one image: ``gps_location``, ``device_serial``, ``person_name_metadata``,
``thumbnail_mismatch``, plus the info facts shown on the asset card.

Boilerplate is not a finding: cameras write their model into Copyright ("KODAK DC240 ZOOM DIGITAL CAMERA",
"(C) by RDC-5300 User") and placeholders into serial fields ("#00000001", "N/A"); those are listed in
:func:`is_boilerplate_name` and :func:`is_placeholder_serial` so the judgement is in one place.
"""

from __future__ import annotations

import re

_BOILERPLATE = [
    re.compile(r"digital\s+(still\s+)?camera", re.I),
    re.compile(r"^\(c\)\s*by\s+.*\buser$", re.I),
    re.compile(r"^(copyright|\(c\)|©)?[\s,.:]*(\d{4})?[\s.]*$", re.I),
    re.compile(r"^(unknown|none|n/?a|-+|\?+|default|owner|user|camera owner|picasa|copyright\s+\d{4})$", re.I),
    re.compile(r"^(region|face|person)\s*\d*$", re.I),  # unnamed face regions
]
_PLACEHOLDER_SERIAL = re.compile(r"^(#?0+1?|n/?a|none|unknown|0+|x+|-+|\s*)$", re.I)


def is_boilerplate_name(value: str) -> bool:
    """True for values cameras and software write by default: not a person's name."""
    text = value.strip()
    return not any(c.isalpha() for c in text) or any(p.search(text) for p in _BOILERPLATE)


def is_placeholder_serial(value: str) -> bool:
    """True for serial fields that carry no serial ("#00000001", "N/A", zeros)."""
    return bool(_PLACEHOLDER_SERIAL.match(str(value).strip()))
