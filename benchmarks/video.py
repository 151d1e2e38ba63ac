"""The video stage: seconds of footage analysed per second, for a 10-minute school video, beside ffprobe-free
peers measured in the same run on the same file (decoding every frame with PyAV; reading the container only).

    python benchmarks/video.py [--minutes 10] [--height 720]

The video is encoded here (H.264 with PyAV, 25 fps: a generated scene with scikit-image's public-domain portrait
appearing every 30 s), then audited with ``auditor check`` (the real CLI: metadata, 120 sampled frames at most,
faces). What it answers: does a long video dominate a scan's budget? The 10k-image benchmark takes about 500 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import skimage.data
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.analyze.video import read_metadata


def make(path: Path, minutes: float, height: int, fps: int = 25) -> None:
    width = height * 16 // 9
    face = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((height, height)))
    scene = np.zeros((height, width, 3), np.uint8)
    scene[:] = (40, 90, 40)
    with_face = scene.copy()
    with_face[:, (width - height) // 2 : (width - height) // 2 + height] = face
    with av.open(str(path), "w") as out:
        out.metadata["location"] = "+51.5007-000.1246/"
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(int(minutes * 60 * fps)):
            second = i / fps
            show = with_face if int(second) % 30 < 3 else scene
            show = show.copy()
            show[0:8, : (i % width)] = 255  # a moving bar: every frame differs, as in real footage
            for packet in stream.encode(av.VideoFrame.from_ndarray(show, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--blur-seconds", type=float, default=20.0, help="length of the clip fix --blur is timed on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "videos"
        folder.mkdir()
        video = folder / "sports-day.mp4"
        started = time.perf_counter()
        make(video, args.minutes, args.height)
        footage = args.minutes * 60
        made_s = time.perf_counter() - started
        print(f"made {video.stat().st_size / 1e6:.0f} MB, {footage:.0f} s at {args.height}p in {made_s:.0f} s")

        started = time.perf_counter()
        read_metadata(video, 10**9)
        container_s = time.perf_counter() - started

        started = time.perf_counter()
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            decoded = sum(1 for _ in container.decode(stream))
        decode_all_s = time.perf_counter() - started

        out = Path(tmp) / "out"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "auditor", "check", str(folder), "--out", str(out), "--no-state"],
            capture_output=True,
            check=False,
        )
        check_s = time.perf_counter() - started
        document = json.loads((out / "findings.json").read_text())
        timings = document["scan"]["timings"]
        checks = sorted({f["check"] for f in document["findings"]})
        face = next((f for f in document["findings"] if f["check"] == "identifiable_face"), None)
        print(f"{'what':42} {'seconds':>8} {'footage s per s':>16}")
        print(f"{'container metadata only (PyAV)':42} {container_s:>8.2f} {footage / container_s:>16.0f}")
        label = f"decode every frame (PyAV, {decoded} frames)"
        print(f"{label:42} {decode_all_s:>8.1f} {footage / decode_all_s:>16.0f}")
        print(f"{'auditor check, whole command':42} {check_s:>8.1f} {footage / check_s:>16.0f}")
        print(f"{'  of which video frames (sample + faces)':42} {timings.get('video_frames_s', 0):>8.1f}")
        print(f"{'  of which the models start-up check':42} {timings.get('models_check_s', 0):>8.1f}")
        if face:
            evidence = face["evidence"]
            codes = ", ".join(evidence["time_codes"][:8])
            print(
                f"frames sampled {evidence['frames_sampled']}, with faces {evidence['frames_with_faces']}: {codes}..."
            )
        print("findings:", ", ".join(checks))

        clip = Path(tmp) / "clip"
        clip.mkdir()
        make(clip / "assembly.mp4", args.blur_seconds / 60, args.height)
        frames_in_clip = int(args.blur_seconds * 25)
        for mode in ("none", "all"):
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "auditor",
                    "fix",
                    str(clip),
                    "--out",
                    str(Path(tmp) / f"fixed-{mode}"),
                    "--blur",
                    mode,
                ],
                capture_output=True,
                check=False,
            )
            took = time.perf_counter() - started
            label = "fix (remux, no re-encode)" if mode == "none" else "fix --blur all (re-encode)"
            print(
                f"{label:42} {took:>8.1f} s for {args.blur_seconds:g} s of {args.height}p at 25 fps "
                f"({took / frames_in_clip * 1000:.0f} ms a frame; a 10-minute video: about "
                f"{took / args.blur_seconds * 600 / 60:.0f} min)"
            )


if __name__ == "__main__":
    main()
