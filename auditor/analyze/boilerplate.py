"""What cameras and software write by default, which is no person's name and no serial number.

Cameras write their model into Copyright ("KODAK DC240 ZOOM DIGITAL CAMERA", "(C) by RDC-5300 User") and
placeholders into serial fields ("#00000001", "N/A"). The judgement is here, in one place, for the checks that read
metadata (images, videos, documents) and for ``fix``'s verification of its copies.
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
