"""Documents made here (a PDF, a DOCX, an ODT): their metadata, and the photos inside checked like web images;
through ``auditor check`` and through a real scan of a loopback site."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.analyze.documents import UnreadableDocument, read_document, usernames_in_paths
from auditor.pipeline import run_check, run_scan
from tests.analyze import documents, images
from tests.server import Route, Site

GPS_JPEG = images.jpeg(lat=51.52, lon=-0.098, serial="SN-1")


def test_pdf_keeps_the_embedded_jpeg_as_published() -> None:
    content = read_document(documents.pdf_with_jpeg(GPS_JPEG))
    assert content.fields == {"PDF:Author": "Mrs A. Teacher", "PDF:Producer": "Demo Publisher 1.0"}
    assert content.images == [("page=1&image=0", GPS_JPEG)]  # byte for byte: its EXIF is still there


def test_office_documents() -> None:
    docx = read_document(documents.docx_with_image(GPS_JPEG))
    assert docx.fields["OOXML:creator"] == "Jo Bloggs" and docx.fields["OOXML:Company"] == "Hillside School"
    assert usernames_in_paths(docx.fields) == {"OOXML:Template": "jbloggs"}
    assert docx.images == [("media=word/media/image1.jpeg", GPS_JPEG)]
    odt = read_document(documents.odt_with_image(GPS_JPEG))
    assert odt.fields == {"ODF:initial-creator": "Sam Office", "ODF:generator": "LibreOffice/7.4"}
    assert odt.images == [("media=Pictures/photo.jpg", GPS_JPEG)]


def test_zip_bomb_and_garbage_are_refused() -> None:
    with pytest.raises(UnreadableDocument, match="zip bomb"):
        read_document(documents.zip_bomb_docx(), "bomb.docx")
    with pytest.raises(UnreadableDocument):
        read_document(b"%PDF-1.4\n garbage", "broken.pdf")
    with pytest.raises(UnreadableDocument):
        read_document(b"just text", "notes.docx")


def test_check_covers_photos_inside_documents(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "newsletters"
    folder.mkdir()
    (folder / "summer.pdf").write_bytes(documents.pdf_with_jpeg(GPS_JPEG))
    (folder / "policy.docx").write_bytes(documents.docx_with_image(images.jpeg()))
    reserved = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        'plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"/></rdf:RDF></x:xmpmeta>'
    )
    (folder / "prospectus.pdf").write_bytes(
        documents.pdf_with_jpeg(images.jpeg(), author="", producer="", xmp=reserved)
    )
    document = run_check([folder], make_config(out=tmp_path / "out")).document
    facts = {a["url"].rsplit("/", 1)[1]: a["metadata"] for a in document["assets"] if a["type"] == "document"}
    assert facts["summer.pdf"] == {"format": "PDF", "provenance": None} and facts["policy.docx"]["format"] == "OOXML"
    assert facts["prospectus.pdf"]["provenance"]["training"] == "notAllowed"  # documents' reservations too
    found = sorted((f["check"], f["asset"].rsplit("/", 1)[1], f["severity"]) for f in document["findings"])
    assert found == [
        ("device_serial", "summer.pdf#page=1&image=0", "medium"),
        ("document_metadata", "policy.docx", "medium"),
        ("document_metadata", "summer.pdf", "medium"),
        ("gps_location", "summer.pdf#page=1&image=0", "critical"),
    ]
    inner = next(a for a in document["assets"] if a["url"].endswith("summer.pdf#page=1&image=0"))
    assert inner["found_via"] == ["document"] and inner["found_on"] == [(folder / "summer.pdf").as_uri()]


def test_scan_analyses_linked_documents(make_config) -> None:  # type: ignore[no-untyped-def]
    site = Site(
        {
            "/": Route("<a href='/letters/trip.pdf'>Trip letter</a><a href='/forms/consent.docx'>Consent</a>"),
            "/letters/trip.pdf": Route(documents.pdf_with_jpeg(GPS_JPEG), content_type="application/pdf"),
            "/forms/consent.docx": Route(
                documents.zip_bomb_docx(),
                content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        }
    )
    with site.serve() as base:
        document = run_scan(make_config(base + "/", probe_directories=False)).document
    checks = {(f["check"], f["asset"].removeprefix(base)) for f in document["findings"] if f["asset"]}
    assert ("gps_location", "/letters/trip.pdf#page=1&image=0") in checks
    assert ("document_metadata", "/letters/trip.pdf") in checks
    # Where a visitor finds the photo: the page that links the letter (the asset's URL names the letter).
    inside = next(f for f in document["findings"] if f["check"] == "gps_location")
    assert inside["page"] == base + "/"
    errors = {e["url"].removeprefix(base): e for e in document["errors"]}
    bomb = errors["/forms/consent.docx"]
    assert bomb["stage"] == "analyze" and "zip bomb" in bomb["message"]
