"""``auditor watch`` on a real folder, as a real process: a photo copied in slowly is checked only once complete;
one with GPS is approved as a safe copy without it; one with a recognisable face (which a copy cannot remove) is
held; killed with SIGKILL and started again, the watcher does not check the unchanged files again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import skimage.data
from PIL import Image

from auditor.analyze.metadata import read as read_metadata
from tests.analyze import images


def _watcher(tmp_path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "auditor",
        "watch",
        str(tmp_path / "inbox"),
        "--approved",
        str(tmp_path / "approved"),
        "--out",
        str(tmp_path / "reports"),
        "--fail-on",
        "medium",
        "--interval",
        "0.2",
        "--settle",
        "1",
        *extra,
    ]


def _state(tmp_path: Path) -> dict[str, dict[str, object]]:
    try:
        return dict(json.loads((tmp_path / "reports" / "watch-state.json").read_text())["files"])
    except (OSError, ValueError):
        return {}


def test_a_watched_folder_approves_safe_copies_holds_faces_and_survives_a_restart(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    trip = images.jpeg(lat=51.5014, lon=-0.1419)
    portrait = images.save(Image.fromarray(skimage.data.astronaut()), "JPEG")
    watcher = subprocess.Popen(_watcher(tmp_path), stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        # A copy in progress: half the file, then a pause longer than the watcher's look, then the rest.
        with (inbox / "trip.jpg").open("wb") as fh:
            fh.write(trip[: len(trip) // 2])
            fh.flush()
            time.sleep(0.8)
            fh.write(trip[len(trip) // 2 :])
        (inbox / "visitor.jpg").write_bytes(portrait)
        deadline = time.monotonic() + 240
        while len(_state(tmp_path)) < 2 and time.monotonic() < deadline and watcher.poll() is None:
            time.sleep(0.2)
        state = _state(tmp_path)
    finally:
        os.killpg(watcher.pid, signal.SIGKILL)
        _, err = watcher.communicate()
    assert set(state) == {"trip.jpg", "visitor.jpg"}, err[-2000:]
    assert state["trip.jpg"]["verdict"] == "approved" and state["trip.jpg"]["size"] == len(trip)
    safe = (tmp_path / "approved" / "trip.jpg").read_bytes()
    assert read_metadata(safe).gps is None and read_metadata(trip).gps is not None
    assert state["visitor.jpg"]["verdict"] == "held" and "face" in str(state["visitor.jpg"]["why"]).lower()
    assert not (tmp_path / "approved" / "visitor.jpg").exists()
    assert (tmp_path / "reports" / "files" / "trip.jpg" / "findings.json").exists()
    assert err.count("trip.jpg:") == 1  # checked once, complete: never half-written

    # Started again after kill -9: nothing unchanged is checked again; a new file is.
    (inbox / "later.jpg").write_bytes(images.jpeg())
    again = subprocess.run(_watcher(tmp_path, "--once"), capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "later.jpg: approved" in again.stderr
    assert "trip.jpg:" not in again.stderr and "visitor.jpg:" not in again.stderr


def test_the_outputs_must_be_outside_the_watched_folder(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    command = [sys.executable, "-m", "auditor", "watch", str(tmp_path / "inbox"), "--once"]
    done = subprocess.run(
        [*command, "--approved", str(tmp_path / "inbox" / "ok"), "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "must be outside the watched folder" in done.stderr
