"""An older revision of this repository beside the checkout, so a benchmark can run both in one go."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A detached git worktree of ``revision`` in a temporary folder, removed afterwards. Run its code with
    ``PYTHONPATH`` set to it and the working directory inside it (``python -m`` puts the working directory first
    on the path, so running from the checkout would import the checkout's code instead)."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision],
            check=True,
            capture_output=True,
        )
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
