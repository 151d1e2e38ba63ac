"""Precision and recall of the metadata checks against exiftool's answer on real files, and speed against
``exiftool -j`` on the same files in the same run.

    python benchmarks/metadata_recall.py [../shared/eval/exif]

Per file, for each field (GPS, serial numbers, person names): does the file carry one (exiftool 12.57's
``truth.json``, less the values this project judges to be boilerplate, listed in the output) and did we report one?
Files Pillow cannot open are counted as errors (reported, never clean) and listed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.analyze.boilerplate import is_boilerplate_name, is_placeholder_serial
from auditor.analyze.metadata import UnreadableImage, read


def truth_fields(entry: dict) -> dict[str, bool]:  # type: ignore[type-arg]
    names = [
        v
        for v in entry["names"].values()
        for v in (v if isinstance(v, list) else [v])
        if not is_boilerplate_name(str(v))
    ]
    serials = [v for v in entry["serial_numbers"].values() if not is_placeholder_serial(str(v))]
    return {"gps": bool(entry["has_gps"]), "serial": bool(serials), "names": bool(names)}


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/eval/exif")
    truth = json.loads((root / "truth.json").read_text())["images"]
    counts = {f: {"tp": 0, "fp": 0, "fn": 0} for f in ("gps", "serial", "names")}
    misses: list[str] = []
    unreadable: list[str] = []
    maker_notes: dict[str, list[int]] = {}  # vendor -> [serial tags exiftool reads, of those we read the same value]
    boiler: dict[str, str] = {}
    started = time.perf_counter()
    for rel, entry in sorted(truth.items()):
        expected = truth_fields(entry)
        for v in entry["names"].values():
            for value in v if isinstance(v, list) else [v]:
                if is_boilerplate_name(str(value)):
                    boiler[str(value)] = rel
        for tag, value in entry["serial_numbers"].items():
            if is_placeholder_serial(str(value)):
                boiler[f"{tag} = {value}"] = rel
        try:
            meta = read(root / rel)
        except UnreadableImage as exc:
            unreadable.append(f"{rel}: {exc}")
            continue
        ours_values = {str(v).strip() for v in meta.serials.values()}
        for tag, value in entry["serial_numbers"].items():
            if tag.startswith("MakerNotes:") and not is_placeholder_serial(str(value)):
                row = maker_notes.setdefault(tag.split(":")[1], [0, 0])
                row[0] += 1
                row[1] += str(value).strip() in ours_values
        got = {
            "gps": meta.gps is not None,
            "serial": any(not is_placeholder_serial(v) for v in meta.serials.values()),
            "names": any(not is_boilerplate_name(v) for v in meta.names.values()),
        }
        for f in counts:
            if got[f] and expected[f]:
                counts[f]["tp"] += 1
            elif got[f]:
                counts[f]["fp"] += 1
                shown = meta.serials if f == "serial" else meta.names if f == "names" else meta.gps
                misses.append(f"FP {f:6} {rel}: {shown}")
            elif expected[f]:
                counts[f]["fn"] += 1
                detail = entry["serial_numbers"] if f == "serial" else entry["names"] if f == "names" else entry["gps"]
                misses.append(f"FN {f:6} {rel}: truth {detail}")
    ours = time.perf_counter() - started
    print(f"files: {len(truth)}, Pillow could not open: {len(unreadable)} (reported as errors)")
    print(f"{'field':8} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8}")
    for f, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        print(f"{f:8} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} {p:>10.1%} {r:>8.1%}")
    print("maker-note serial tags (value for value, against exiftool 12.57):")
    for vendor, (exiftool_count, same) in sorted(maker_notes.items()):
        print(f"  {vendor:10} exiftool {exiftool_count}, ours {same}")
    total = [sum(r[i] for r in maker_notes.values()) for i in (0, 1)]
    print(f"  {'all':10} exiftool {total[0]}, ours {total[1]}")
    sony_generated()
    for line in misses:
        print(line[:300])
    print("unreadable:", *unreadable, sep="\n  ")
    print("treated as boilerplate (camera defaults and placeholders: not a person's name, not a serial):")
    for value, rel in sorted(boiler.items()):
        print(f"  {value!r} ({rel})")
    print(f"ours: {len(truth) / ours:.0f} files/s ({ours:.2f} s)")
    exiftool = shutil.which("exiftool")
    if exiftool:
        files = [str(root / rel) for rel in sorted(truth)]
        started = time.perf_counter()
        subprocess.run([exiftool, "-j", *files], capture_output=True, check=False)
        theirs = time.perf_counter() - started
        print(f"exiftool -j: {len(truth) / theirs:.0f} files/s ({theirs:.2f} s); ours is {theirs / ours:.1f}x faster")
    else:
        print("exiftool not installed (apt install libimage-exiftool-perl) - speed ratio not measured")


def sony_generated() -> None:
    """The corpus has no Sony file: enciphered 0x9050 records built per model (tests/analyze/images.sony_tiff), in
    JPEG, WebP and TIFF, read by us and by the installed exiftool."""
    from tests.analyze import images
    from tests.analyze.test_metadata import NEWER_THAN_EXIFTOOL_12_57, SONY_BODIES

    exiftool = shutil.which("exiftool")
    agree = total = 0
    for model, offset, serial in SONY_BODIES:
        for container in ("JPEG", "WEBP", "TIFF"):
            block = images.sony_tiff(model, bytes.fromhex(serial), offset, bytes(16) if container == "TIFF" else None)
            data = (
                images.insert_segments(
                    images.save(images.scene(), "JPEG"), images.segment(0xE1, b"Exif\x00\x00" + block)
                )
                if container == "JPEG"
                else images.save(images.scene(), "WEBP", exif=block)
                if container == "WEBP"
                else block
            )
            ours = read(data).serials.get("MakerNotes:Sony:InternalSerialNumber")
            theirs = None
            if exiftool and model not in NEWER_THAN_EXIFTOOL_12_57:
                out = subprocess.run([exiftool, "-j", "-InternalSerialNumber", "-"], input=data, capture_output=True)
                theirs = str(json.loads(out.stdout)[0].get("InternalSerialNumber"))
            total += 1
            agree += ours == serial and theirs in (None, serial)
    print(f"  Sony (generated, {len(SONY_BODIES)} models x JPEG/WebP/TIFF): {agree} of {total} read, equal to exiftool")


if __name__ == "__main__":
    main()
