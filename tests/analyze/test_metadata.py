"""The metadata reader and checks on real files made here, and (when ../shared is present) on the 186 real
files of the evaluation corpus against exiftool's answer."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from auditor.analyze.boilerplate import is_boilerplate_name
from auditor.analyze.image_facts import thumbnail_difference
from auditor.analyze.metadata import UnreadableImage, read
from auditor.checks import REGISTRY
from auditor.checks._check import ImageContext
from auditor.checks.gps_location import distance_km
from auditor.models import Subject
from tests.analyze import images

SUBJECT = Subject("https://school.example/a.jpg", "https://school.example/", "0" * 64)


def checks(data: bytes, site: tuple[float, float] | None = None) -> dict[str, dict]:  # type: ignore[type-arg]
    """Every registered image check, called as the analysis stage calls them (the thumbnail is compared while the
    file's bytes are held)."""
    meta = read(data)
    difference = thumbnail_difference(data, meta.thumbnail, 10**8) if meta.thumbnail else None
    context = ImageContext(site, {}, difference)
    found = [f for c in REGISTRY.values() if c.image is not None for f in c.image(SUBJECT, meta, context)]
    return {f.check: f.evidence for f in found}


def test_gps_serial_and_artist_in_a_jpeg() -> None:
    data = images.jpeg(lat=-33.8568, lon=151.2153, serial="SN123456", artist="Jane Teacher")
    found = checks(data, site=(-33.8688, 151.2093))
    assert found["gps_location"]["lat"] == -33.8568 and found["gps_location"]["lon"] == 151.2153  # southern, eastern
    assert found["gps_location"]["field"] == "EXIF:GPS" and 1.0 < found["gps_location"]["distance_to_site_km"] < 1.6
    assert found["device_serial"]["fields"] == {"EXIF:BodySerialNumber": "SN123456"}
    assert found["person_name_metadata"]["fields"] == {"EXIF:Artist": "Jane Teacher"}


def test_empty_gps_block_and_boilerplate_are_not_findings() -> None:
    data = images.jpeg(empty_gps=True, artist="KODAK DC240 ZOOM DIGITAL CAMERA", serial="#00000001")
    meta = read(data)
    assert meta.gps_block_present and meta.gps is None
    assert checks(data) == {}


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])  # Pillow writes no GPS IFD into TIFF; the corpus covers TIFF
def test_exif_in_other_formats(fmt: str) -> None:
    data = images.save(images.scene(), fmt, exif=images.exif(lat=51.5, lon=-0.12, serial="X99"))
    found = checks(data)
    assert found["gps_location"]["lat"] == 51.5
    assert found["device_serial"]["fields"] == {"EXIF:BodySerialNumber": "X99"}


def test_heic() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    data = images.save(images.scene(), "HEIF", exif=images.exif(lat=48.85, lon=2.35))
    assert checks(data)["gps_location"]["lon"] == 2.35


def test_xmp_and_iptc_names_and_xmp_gps() -> None:
    xmp = images.xmp_segment(
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/"'
        ' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" exif:GPSLatitude="51,30.5N"'
        ' exif:GPSLongitude="0,7.5W"><dc:creator><rdf:Seq><rdf:li>Sam Photographer</rdf:li></rdf:Seq></dc:creator>'
        "<Iptc4xmpExt:PersonInImage><rdf:Bag><rdf:li>Alex Pupil</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>"
        "</rdf:Description>"
    )
    iptc = images.iptc_segment({80: "Chris Byline", 120: "A caption"})
    found = checks(images.insert_segments(images.jpeg(), xmp, iptc))
    assert found["gps_location"]["field"] == "XMP:exif:GPSLatitude"
    assert found["gps_location"]["lat"] == pytest.approx(51.5083, abs=1e-4)
    assert found["gps_location"]["lon"] == -0.125
    assert found["person_name_metadata"]["fields"] == {
        "XMP:dc:creator": "Sam Photographer",
        "XMP:Iptc4xmpExt:PersonInImage": "Alex Pupil",
        "IPTC:By-line": "Chris Byline",
    }


def test_thumbnail_that_shows_what_was_cropped() -> None:
    original = images.scene(640, 480, seed=1)
    cropped = original.crop((0, 0, 320, 480))
    found = checks(images.jpeg_with_thumbnail(cropped, original))
    assert found["thumbnail_mismatch"]["field"] == "EXIF:IFD1:ThumbnailImage"
    assert "aspect" in found["thumbnail_mismatch"]["reason"]
    assert "thumbnail_mismatch" not in checks(images.jpeg_with_thumbnail(original, original))


def test_corrupt_and_non_images_are_errors_not_clean() -> None:
    with pytest.raises(UnreadableImage):
        read(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    with pytest.raises(UnreadableImage):
        read(b"<html>an error page served as image/jpeg</html>")
    with pytest.raises(UnreadableImage):
        read(b"")


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"Author\x00Pat Parent")
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_large_declared_size_is_read_without_decoding_pixels() -> None:
    """10,000 x 10,000 with 64 bytes of pixel data: decoding would fail (truncated), so success proves the reader
    never decodes pixels."""
    png = _png_declaring(10_000, 10_000)
    meta = read(png)
    assert (meta.width, meta.height) == (10_000, 10_000)
    assert checks(png)["person_name_metadata"]["fields"] == {"PNG:Author": "Pat Parent"}


def test_decompression_bomb_is_a_clear_error() -> None:
    with pytest.raises(UnreadableImage, match="decompression bomb"):
        read(_png_declaring(100_000, 100_000))


def test_boilerplate_judgement() -> None:
    for value in ("(C) by RDC-5300 User", "COPYRIGHT, 2005", "Copyright", "/", "Region 1", "  "):
        assert is_boilerplate_name(value), value
    for value in ("Phil Harvey", "Copyright 2004 Phil Harvey", "J P Bowen"):
        assert not is_boilerplate_name(value), value


def test_distance() -> None:
    assert distance_km((51.5007, -0.1246), (48.8584, 2.2945)) == pytest.approx(340, abs=5)


EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval" / "exif"


@pytest.mark.skipif(not (EVAL / "truth.json").exists(), reason="../shared/eval/exif is not beside the checkout")
def test_real_corpus_against_exiftool() -> None:
    """Every file exiftool finds GPS coordinates, a serial number or a person's name in, and no other (less the
    boilerplate values listed by benchmarks/metadata_recall.py)."""
    from benchmarks.metadata_recall import truth_fields

    truth = json.loads((EVAL / "truth.json").read_text())["images"]
    counts = {f: [0, 0, 0] for f in ("gps", "serial", "names")}  # tp, fp, fn
    unreadable = 0
    for rel, entry in truth.items():
        expected = truth_fields(entry)
        try:
            found = checks((EVAL / rel).read_bytes())
        except UnreadableImage:
            unreadable += 1
            continue
        got = {
            "gps": "gps_location" in found,
            "serial": "device_serial" in found,
            "names": "person_name_metadata" in found,
        }
        for f, c in counts.items():
            c[0] += got[f] and expected[f]
            c[1] += got[f] and not expected[f]
            c[2] += expected[f] and not got[f]
    assert unreadable == 2  # the two JPEG XL files, which Pillow cannot open: the scan reports them as errors
    assert counts == {"gps": [25, 0, 0], "serial": [25, 0, 0], "names": [32, 0, 0]}


def test_names_in_captions_and_keywords(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    from auditor.pipeline import run_check

    iptc = images.iptc_segment({120: "Isla Brown wins the relay race", 25: "sports day"})
    (tmp_path / "relay.jpg").write_bytes(images.insert_segments(images.jpeg(), iptc))
    (tmp_path / "field.jpg").write_bytes(
        images.insert_segments(images.jpeg(), images.iptc_segment({120: "The relay race at Victoria Park"}))
    )
    document = run_check([tmp_path], make_config(out=tmp_path / "out")).document
    found = {Path(f["asset"]).name: f["evidence"] for f in document["findings"] if f["check"] == "person_name_metadata"}
    assert found == {"relay.jpg": {"fields": {"IPTC:Caption-Abstract": "Isla Brown"}}}


def test_the_same_photo_under_two_names_is_one_finding(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    from auditor.pipeline import run_check

    data = images.jpeg(lat=51.5, lon=-0.12)
    (tmp_path / "a.jpg").write_bytes(data)
    (tmp_path / "renamed.jpg").write_bytes(data)
    document = run_check([tmp_path], make_config(out=tmp_path / "out")).document
    gps = [f for f in document["findings"] if f["check"] == "gps_location"]
    assert len(gps) == 1 and gps[0]["asset"].endswith("/a.jpg")
    assert [Path(u).name for u in gps[0]["evidence"]["also_at"]] == ["renamed.jpg"]


def test_xmp_packets_are_found_in_one_linear_pass() -> None:
    from auditor.analyze import xmp

    packet = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    assert xmp.packets(b"junk" + packet + b"more" + packet.replace(b"xmpmeta", b"xapmeta")) == [
        packet,
        packet.replace(b"xmpmeta", b"xapmeta"),
    ]
    # A megabyte of openings that never close took minutes with a lazy regular expression (quadratic); the scan
    # looks up each prefix's next closing tag once. A regression would make this test take minutes.
    assert xmp.packets(b"\xff\xd8" + b"<x:xmpmeta " * 100_000) == []
    assert xmp.packets(b"".join(b"<p%d:xmpmeta " % i for i in range(50_000)) + packet) == [packet]


def test_extended_xmp_is_bounded_whatever_the_file_claims() -> None:
    import tracemalloc

    from auditor.analyze import xmp

    guid = b"0" * 32
    chunk = b"<" * 60_000
    segments = b""
    for i in range(100):  # 6 MB of extended-XMP chunks, each claiming a part of a 4 MiB packet
        body = xmp._EXTENDED + guid + (4 * 1024 * 1024).to_bytes(4, "big") + (i * 40_000).to_bytes(4, "big") + chunk
        segments += b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
    tracemalloc.start()
    found = xmp.packets(b"\xff\xd8" + segments + b"\xff\xd9")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert found == [] and peak < 64 * 1024 * 1024


def test_a_second_exif_segment_and_a_photo_after_the_end_are_read() -> None:
    """exiftool reads every EXIF block of a file; so must the audit (Pillow reads the first only)."""
    plain_photo = images.jpeg(serial=None)
    second = images.exif(lat=51.5007, lon=-0.1246, serial="SN-SECOND", artist="Jo Teacher").tobytes()
    segment = b"\xff\xe1" + (len(second) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + second
    two_blocks = plain_photo[:2] + plain_photo[2:].replace(b"\xff\xdb", segment + b"\xff\xdb", 1)
    meta = read(two_blocks)
    assert meta.gps is not None and "SN-SECOND" in meta.serials.values() and "Jo Teacher" in meta.names.values()
    appended = read(images.jpeg() + images.jpeg(lat=-33.86, lon=151.21))  # an MPF-style second image
    assert appended.gps is not None and round(appended.gps.lat, 2) == -33.86


SONY_BODIES = [
    ("ILCE-7M3", 0x88, "0a1b2c3d4e5f"),  # the body of the real school gallery (Tag9050b)
    ("ILCE-7", 0x7C, "1a2b3c4d"),  # Tag9050a, ILCE/NEX
    ("SLT-A99V", 0xF0, "0102030405"),  # Tag9050a, SLT/ILCA
    ("ILCE-7M4", 0x88, "a0b1c2d3e4f5"),  # Tag9050c
    ("ILCE-1", 0x8A, "111213141516"),  # Tag9050c, its own offset
    ("ILCE-6700", 0x38, "212223242526"),  # Tag9050d
]
# Tag9050d (2023 bodies) is newer than Debian 12's exiftool 12.57, which reads those files with the older layout.
NEWER_THAN_EXIFTOOL_12_57 = {"ILCE-6700"}


@pytest.mark.parametrize("container", ["JPEG", "WEBP", "TIFF"])
@pytest.mark.parametrize(("model", "offset", "serial"), SONY_BODIES)
def test_sony_enciphered_internal_serial_number(
    container: str, model: str, offset: int, serial: str, tmp_path: Path
) -> None:
    """Sony bodies keep InternalSerialNumber in the enciphered 0x9050 maker-note record, at a place that depends on
    the model; read in JPEG, WebP and TIFF (ARW) containers, and equal to what exiftool reads from the same file."""
    block = images.sony_tiff(model, bytes.fromhex(serial), offset, pixels=bytes(16) if container == "TIFF" else None)
    if container == "JPEG":
        data = images.insert_segments(
            images.save(images.scene(), "JPEG"), images.segment(0xE1, b"Exif\x00\x00" + block)
        )
    elif container == "WEBP":
        data = images.save(images.scene(), "WEBP", exif=block)
    else:
        data = block
    meta = read(data)
    assert meta.serials == {"MakerNotes:Sony:InternalSerialNumber": serial}
    assert serial not in block.hex()  # enciphered in the file: only the decipherment finds it
    if shutil.which("exiftool") and model not in NEWER_THAN_EXIFTOOL_12_57:
        path = tmp_path / f"sony.{container.lower()}"
        path.write_bytes(data)
        out = subprocess.run(["exiftool", "-j", "-InternalSerialNumber", str(path)], capture_output=True, text=True)
        assert str(json.loads(out.stdout)[0]["InternalSerialNumber"]) == serial


def test_a_sony_model_without_a_known_layout_is_not_guessed() -> None:
    block = images.sony_tiff("DSC-RX100M7", bytes.fromhex("0a1b2c3d4e5f"), 0x88)
    data = images.insert_segments(images.save(images.scene(), "JPEG"), images.segment(0xE1, b"Exif\x00\x00" + block))
    assert read(data).serials == {}


@pytest.mark.skipif(not (EVAL / "truth.json").exists(), reason="../shared/eval/exif is not beside the checkout")
def test_olympus_lens_serial_is_the_serial_not_the_lens_model() -> None:
    """Olympus Equipment 0x0202 is LensSerialNumber; 0x0203 is the lens's model name (it was reported as a serial)."""
    serials = read(EVAL / "ianare-exif-samples/jpg/tests/42_IndexError.jpg").serials
    assert serials["MakerNotes:Olympus:LensSerialNumber"] == "ABG366769"
    assert serials["MakerNotes:Olympus:SerialNumber"] == "B9V508278"
