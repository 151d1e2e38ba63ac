"""Catalogues kept as data (JSON) so they can be updated without touching code."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> Any:
    """Parse ``auditor/data/<name>.json`` once."""
    return json.loads(resources.files(__package__).joinpath(f"{name}.json").read_text("utf-8"))
