"""Provenance and opt-out (issue 17): C2PA manifests read offline and told apart, the AI-training reservation that
``auditor fix`` writes (read back by exiftool, pixels untouched), a C2PA manifest signed with a throwaway
certificate made here, a photo that *allows* training, and ``auditor policy``'s files served by a real site."""

from __future__ import annotations

import datetime
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image

from auditor.analyze import xmp
from auditor.analyze.metadata import read
from auditor.cli import main
from auditor.fix.reserve import DATA_MINING
from auditor.fix.run import Policy, fix_one, verify
from tests.analyze import images
from tests.server import Route, Site

C2PA = Path(__file__).resolve().parents[3] / "shared" / "eval" / "exif" / "c2pa-rs-fixtures"
needs_corpus = pytest.mark.skipif(not C2PA.is_dir(), reason="../shared/eval/exif is not beside the checkout")
needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def exiftool(data: bytes, tmp_path: Path, *args: str) -> dict[str, object]:
    path = tmp_path / "probe.bin"
    path.write_bytes(data)
    out = subprocess.run(["exiftool", "-j", "-G1", *args, str(path)], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout)[0]
    return result


@needs_corpus
def test_the_corpus_manifests_are_told_apart_offline() -> None:
    """The shared corpus's six embedded manifests and its remote one: intact, tampered, training-reserved and
    AI-made are different facts; a manifest stored elsewhere is named, not fetched."""
    facts = {f.name: read(f.read_bytes()).provenance for f in sorted(C2PA.iterdir()) if f.suffix != ".json"}
    assert {n for n, p in facts.items() if p and p.c2pa in ("valid", "invalid")} == {
        "C.jpg",
        "CA.jpg",
        "CACA.jpg",
        "C_with_CAWG_data.jpg",
        "XCA.jpg",
        "adobe-20220124-E-clm-CAICAI.jpg",
    }
    ca, tampered, cawg, generated, remote = (
        facts[n] for n in ("CA.jpg", "XCA.jpg", "C_with_CAWG_data.jpg", "C.jpg", "cloud.jpg")
    )
    assert ca and ca.c2pa == "valid" and ca.c2pa_problems == [] and ca.training is None
    assert tampered and tampered.c2pa == "invalid" and "assertion.dataHash.mismatch" in tampered.c2pa_problems
    assert (
        cawg
        and cawg.training == "notAllowed"
        and "C2PA:cawg.training-mining/cawg.ai_generative_training" in (cawg.training_sources)
    )
    assert generated and generated.ai == "generated"
    assert remote and remote.c2pa == "remote" and (remote.remote_manifest or "").startswith("https://")
    assert facts["no_manifest.jpg"] is None and facts["sample1.png"] is None


def test_a_remote_manifest_is_named_and_never_fetched(tmp_path: Path) -> None:
    """A photo whose XMP points at a manifest on a server: the reader reports the address and makes no request;
    the library's default reader, asked the same, does fetch it (so this test would see a request)."""
    import c2pa

    site = Site({"/m.c2pa": Route(b"not a manifest", content_type="application/c2pa")})
    with site.serve() as base:
        url = f"{base}/m.c2pa"
        photo = images.insert_segments(
            images.jpeg(),
            images.xmp_segment(
                f'<rdf:Description xmlns:dcterms="http://purl.org/dc/terms/" dcterms:provenance="{url}"/>'
            ),
        )
        found = read(photo).provenance
        assert found is not None and found.c2pa == "remote" and found.remote_manifest == url
        assert site.hits["/m.c2pa"] == 0
        with pytest.raises(c2pa.C2paError):
            c2pa.Reader("image/jpeg", io.BytesIO(photo))  # default settings: fetches, then fails to parse
        assert site.hits["/m.c2pa"] == 1


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "WEBP-alpha"])
def test_fix_writes_the_reservation_losslessly(fmt: str, tmp_path: Path) -> None:
    kind = fmt.split("-")[0]
    img = images.scene(seed=7)
    if fmt == "WEBP-alpha":
        img = img.convert("RGBA")
        img.putalpha(200)
    kwargs: dict[str, object] = {"exif": images.exif(lat=48.85, lon=2.35, artist="Sam Parent")}
    if kind == "WEBP":
        kwargs["lossless"] = True
    original = images.save(img, kind, **kwargs)
    entry, out = fix_one(f"photo.{kind.lower()}", original, Policy())
    assert out is not None and entry.lossless and entry.reserved
    assert np.array_equal(pixels(out), pixels(original))
    meta = read(out)
    assert meta.gps is None and not meta.names and meta.data_mining == DATA_MINING
    assert meta.provenance is not None and meta.provenance.training == "notAllowed"
    assert verify(out, Policy()) == []
    if shutil.which("exiftool"):
        tags = exiftool(out, tmp_path, "-n", "-XMP-plus:all")
        assert tags["XMP-plus:DataMining"] == DATA_MINING
        assert "article 4(3)" in str(tags["XMP-plus:OtherConstraints"])
        assert "Warning" not in exiftool(out, tmp_path)
    plain = fix_one(f"photo.{kind.lower()}", original, Policy(reserve=False))[1]
    assert plain is not None and not read(plain).has_xmp  # --no-reserve: nothing written


@needs_exiftool
def test_rights_holder_and_url_are_written_and_not_reported_as_leaks(tmp_path: Path) -> None:
    source = tmp_path / "in" / "sports.jpg"
    source.parent.mkdir()
    source.write_bytes(images.jpeg(lat=51.5, lon=-0.1))
    args = ["fix", str(source.parent), "--out", str(tmp_path / "out")]
    rights = ["--rights-holder", "Hill Primary School", "--rights-url", "https://hill.example/image-use"]
    result = CliRunner().invoke(main, [*args, *rights])
    assert result.exit_code == 0, result.output
    assert "reservation written into 1 of 1" in result.output
    copy = tmp_path / "out" / "sports.jpg"
    tags = exiftool(copy.read_bytes(), tmp_path, "-XMP:all")
    assert tags["XMP-dc:Rights"] == "© Hill Primary School"
    assert tags["XMP-xmpRights:WebStatement"] == "https://hill.example/image-use"
    assert tags["XMP-plus:CopyrightOwnerName"] == "Hill Primary School"
    manifest = json.loads((tmp_path / "out-manifest.json").read_text())
    assert manifest["policy"]["rights_holder"] == "Hill Primary School" and manifest["files"][0]["remaining"] == []
    bad = CliRunner().invoke(main, [*args, "--rights-url", "javascript:alert(1)"])
    assert bad.exit_code != 0 and "--rights-url" in bad.output


def test_a_foreign_xmp_packet_in_a_copy_is_still_reported() -> None:
    """The reservation is recognised byte for byte: any other XMP in a copy is a leftover to report."""
    photo = images.insert_segments(images.jpeg(), images.xmp_segment('<rdf:Description xmlns:a="urn:a" a:b="c"/>'))
    assert "metadata blocks (XMP/IPTC/thumbnail)" in verify(photo, Policy())
    assert len(xmp.packets(photo)) == 1


def _certificates(tmp_path: Path) -> tuple[Path, Path]:
    """A throwaway CA and signer certificate (EC P-256), as a school's own PKI would issue them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hill School")]
        )

    def usage(sign: bool) -> x509.KeyUsage:
        flags = dict.fromkeys(
            (
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "encipher_only",
                "decipher_only",
            ),
            False,
        )
        return x509.KeyUsage(digital_signature=sign, key_cert_sign=not sign, crl_sign=not sign, **flags)

    def build(subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage(not ca), critical=True)
        )

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("Hill School CA", name("Hill School CA"), ca_key, True).sign(ca_key, hashes.SHA256())
    leaf = (
        build("Hill School signer", ca.subject, key, False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert, private = tmp_path / "chain.pem", tmp_path / "key.pem"
    cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, private


def test_c2pa_sign_adds_a_valid_training_reservation_manifest(tmp_path: Path) -> None:
    cert, key = _certificates(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    original = images.jpeg(lat=51.5, lon=-0.1)
    (folder / "trip.jpg").write_bytes(original)
    (folder / "logo.png").write_bytes(images.save(images.scene(seed=2), "PNG"))
    result = CliRunner().invoke(
        main, ["fix", str(folder), "--out", str(tmp_path / "out"), "--c2pa-sign", str(cert), str(key)]
    )
    assert result.exit_code == 0, result.output
    assert "C2PA manifest signed into 2 of 2 copies" in result.output and "untrusted signer" in result.output
    for name in ("trip.jpg", "logo.png"):
        copy = (tmp_path / "out" / name).read_bytes()
        found = read(copy).provenance
        assert found is not None and found.c2pa == "valid" and found.c2pa_problems == []
        assert (
            found.signer
            and "Hill School" in found.signer
            and (found.claim_generator or "").startswith("exposure-auditor")
        )
        assert found.training == "notAllowed" and "XMP:plus:DataMining" in found.training_sources  # both kept
    copy = (tmp_path / "out" / "trip.jpg").read_bytes()
    assert np.array_equal(pixels(copy), pixels(original))
    tampered = bytearray(copy)
    tampered[-200] ^= 0xFF  # a byte of the picture changed after signing
    broken = read(bytes(tampered)).provenance
    assert broken is not None and broken.c2pa == "invalid"
    wrong = CliRunner().invoke(
        main, ["fix", str(folder), "--out", str(tmp_path / "o2"), "--c2pa-sign", str(key), str(key)]
    )
    assert wrong.exit_code != 0 and "--c2pa-sign" in wrong.output and not (tmp_path / "o2" / "trip.jpg").exists()


def test_a_face_photo_that_allows_training_is_a_finding(tmp_path: Path) -> None:
    face = images.save(Image.fromarray(skimage.data.astronaut()), "JPEG")
    allowed = '<rdf:Description xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-ALLOWED"/>'
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "allowed.jpg").write_bytes(images.insert_segments(face, images.xmp_segment(allowed)))
    (folder / "plain.jpg").write_bytes(face[:-2] + b"\x00\xff\xd9")  # another file, same face, no grant
    result = CliRunner().invoke(main, ["check", str(folder), "--out", str(tmp_path / "o")])
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    grants = [f for f in document["findings"] if f["check"] == "training_allowed"]
    assert len(grants) == 1 and grants[0]["asset"].endswith("allowed.jpg"), result.output
    assert grants[0]["severity"] in ("high", "medium") and grants[0]["evidence"]["sources"] == {
        "XMP:plus:DataMining": "allowed"
    }
    metadata = {a["url"].rsplit("/", 1)[-1]: a["metadata"] for a in document["assets"]}
    assert (
        metadata["allowed.jpg"]["provenance"]["training"] == "allowed" and metadata["plain.jpg"]["provenance"] is None
    )
    report = (tmp_path / "o" / "report.html").read_text()
    assert 'id="provenance"' in report and "AI training allowed" in report


def test_policy_files_published_by_a_site_clear_its_reservation_finding(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["policy", "--out", str(tmp_path / "policy"), "--policy-url", "https://s.example/use"]
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / "policy"
    robots = (written / "robots-ai.txt").read_text()
    tdmrep = (written / ".well-known" / "tdmrep.json").read_text()
    tags = (written / "meta-tags.html").read_text()
    assert json.loads(tdmrep)[0]["tdm-policy"] == "https://s.example/use" and "do not stop" not in robots
    assert "X-Robots-Tag: noai, noimageai" in (written / "headers.txt").read_text()
    assert "a scraper" in (written / "README.txt").read_text()

    def site(published: bool) -> list[dict[str, object]]:
        page = f"<html><head>{tags if published else ''}</head><body><img src='/a.jpg'></body></html>"
        headers = {"X-Robots-Tag": "noai, noimageai"} if published else {}
        routes = {
            "/": Route(page, headers=headers),
            "/a.jpg": Route(images.jpeg(), content_type="image/jpeg", headers=headers),
            "/robots.txt": Route(
                robots if published else "User-agent: GPTBot\nDisallow: /\n", content_type="text/plain"
            ),
        }
        if published:
            routes["/.well-known/tdmrep.json"] = Route(tdmrep, content_type="application/json")
        out = tmp_path / ("with" if published else "without")
        with Site(routes).serve() as base:
            scan = ["scan", base + "/", "--out", str(out), "--no-state", "--render", "never", "--rate", "200"]
            CliRunner().invoke(main, scan)
        findings: list[dict[str, object]] = json.loads((out / "findings.json").read_text())["findings"]
        return [f for f in findings if f["check"] == "ai_training_not_reserved"]

    before = site(published=False)
    assert len(before) == 1 and "GPTBot" in before[0]["evidence"]["ai_crawlers_blocked"]  # type: ignore[index]
    assert site(published=True) == []
