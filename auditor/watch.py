"""``auditor watch``: a shared "to publish" folder, checked as files arrive.

A school office drops photos into a folder on its file server; each one is checked once it is complete (its size
and modification time unchanged across two looks at least ``settle`` seconds apart, so a file still being copied
is never read half-written), its findings are written into the reports folder, and a safe copy (made by the same
code as ``auditor fix``: metadata removed, an AI-training reservation written) goes into the approved folder when
that copy has no finding at or above the line. A photo whose problem a copy cannot remove (a possible minor's
face: consent is a person's decision) is held, and the report says why. What was checked is remembered in the
reports folder (``watch-state.json``, by path, size, modification time and content hash), so a restart, even after
``kill -9``, does not check unchanged files again; a file being checked when the watcher died is checked again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.config import ScanConfig
from auditor.files import write_atomic
from auditor.fix.run import Policy, local_sources
from auditor.fix.run import fix as make_copies
from auditor.models import SEVERITIES

STATE_FILE = "watch-state.json"


@dataclass(slots=True)
class Watcher:
    """One watched folder: ``inbox`` is read, ``approved`` receives safe copies, ``reports`` holds each file's
    findings and the state. ``config`` is the check's configuration (its ``out`` is replaced per file)."""

    inbox: Path
    approved: Path
    reports: Path
    config: ScanConfig
    fail_on: str = "high"
    settle: float = 5.0
    say: Callable[[str], None] = print
    seen: dict[str, tuple[int, int, float]] = field(default_factory=dict)  # path -> (size, mtime_ns, first seen)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for folder in (self.approved, self.reports):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self.state = json.loads((self.reports / STATE_FILE).read_text("utf-8"))["files"]
        except (OSError, ValueError, KeyError, TypeError):
            self.state = {}

    def _pending(self) -> list[tuple[Path, str, tuple[int, int]]]:
        """The inbox's files not checked as they are now: (path, relative name, (size, mtime_ns)). Hidden files
        (a copy tool's partial ``.name.part``) are left alone."""
        out = []
        for path in sorted(p for p in self.inbox.rglob("*") if p.is_file() and not p.name.startswith(".")):
            rel = path.relative_to(self.inbox).as_posix()
            try:
                status = path.stat()
            except OSError:
                continue
            shape = (status.st_size, status.st_mtime_ns)
            known = self.state.get(rel)
            if known is None or (known["size"], known["mtime_ns"]) != shape:  # also checked before a restart
                out.append((path, rel, shape))
        return out

    def poll(self) -> int:
        """One look at the inbox: check every file that is complete and not checked as it is now. Returns how many
        files were checked."""
        now = time.monotonic()
        checked = 0
        for path, rel, shape in self._pending():
            first = self.seen.get(rel)
            if first is None or first[:2] != shape:
                self.seen[rel] = (*shape, now)  # new or still changing: look again later
                continue
            if now - first[2] < self.settle or time.time() - shape[1] / 1e9 < self.settle:
                continue
            self._check(path, rel, shape)
            checked += 1
        return checked

    def _check(self, path: Path, rel: str, shape: tuple[int, int]) -> None:
        from auditor.pipeline import run_check

        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        report = self.reports / "files" / rel.replace("/", "__")  # apart from the state file, whatever the name
        original = run_check([path], replace(self.config, out=report)).document
        line = SEVERITIES.index(self.fail_on)
        with tempfile.TemporaryDirectory(prefix="auditor-watch-") as work:
            copies = Path(work) / "copy"
            manifest = make_copies(local_sources([path]), copies, Policy(), Path(work) / "manifest.json")
            made = [copies / f["output"] for f in manifest["files"] if f.get("output") and not f["remaining"]]
            after: dict[str, Any] = {"findings": [], "scan": {"complete": False}}
            if made:
                after = run_check(made, replace(self.config, out=Path(work) / "check")).document
            blocking = [f for f in after["findings"] if SEVERITIES.index(f["severity"]) <= line]
            complete = original["scan"]["complete"] and after["scan"]["complete"]  # never approved unlooked
            if made and not blocking and complete:
                target = self.approved / Path(rel).parent / made[0].name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(made[0], target)
                verdict, why = "approved", f"a safe copy is in {target}"
            elif not made:
                verdict, why = "held", "no safe copy could be made (see the report)"
            elif not complete:
                verdict, why = "held", "the check could not look at everything (see the report)"
            else:
                verdict = "held"
                why = "; ".join(sorted({f"{f['severity']}: {f['title']}" for f in blocking}))
        self.state[rel] = {
            "size": shape[0],
            "mtime_ns": shape[1],
            "sha256": digest,
            "verdict": verdict,
            "why": why,
            "report": str(report / "report.html"),
            "findings": len(original["findings"]),
        }
        write_atomic(self.reports / STATE_FILE, json.dumps({"files": self.state}, indent=2) + "\n")
        self.say(f"{rel}: {verdict}: {why}")

    def run(self, interval: float, once: bool = False) -> None:
        """Look every ``interval`` seconds until interrupted; ``once``: until nothing is left waiting."""
        while True:
            self.poll()
            if once and not self.waiting():
                return
            time.sleep(interval)

    def waiting(self) -> bool:
        """Whether a file in the inbox is still to be checked (seen but not yet complete, or not seen yet)."""
        return bool(self._pending())
