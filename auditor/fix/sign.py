"""``auditor fix --c2pa-sign CERT KEY``: a C2PA manifest in each safe copy, signed with the school's own certificate,
whose ``cawg.training-mining`` assertion says every kind of AI training and mining is ``notAllowed``.

Never required, never self-made: without the school's certificate nothing is signed. A manifest signed by a
certificate that is not on the C2PA trust list (a self-signed one, or a school's own CA) is shown by verifiers as
"valid, untrusted signer": the report and the README say so instead of implying more. The manifest is added as a
JUMBF box (JPEG APP11, PNG ``caBX``, WebP chunk); the compressed pixels are not touched. Thumbnails are left out of
the manifest: the copy is what was meant to be published, and a second picture inside it helps nobody.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.errors import ConfigError

TRAINING_ENTRIES = ("ai_generative_training", "ai_training", "ai_inference", "data_mining")
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
SIGNABLE = tuple(_MIME)


class CannotSign(Exception):
    """The copy could not be signed (its format, or the library refused)."""


@dataclass(slots=True)
class C2paSigner:
    """The certificate chain (PEM, the signer's first) and private key, read once; the algorithm follows the key."""

    chain: bytes
    key: bytes
    alg: str
    # The library's context and signer, made at the first copy and reused for the rest (one key, many copies).
    _made: tuple[Any, Any] | None = field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, cert: Path, key: Path) -> C2paSigner:
        """Read and check the pair (a wrong file is a clear error before any copy is written)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

        try:
            chain, key_pem = cert.read_bytes(), key.read_bytes()
        except OSError as exc:
            raise ConfigError(f"--c2pa-sign: cannot read {exc.filename} ({exc.strerror})") from exc
        try:
            certificates = x509.load_pem_x509_certificates(chain)
            private = serialization.load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"--c2pa-sign {cert} {key}: not a PEM certificate chain and an unencrypted PEM private key ({exc})"
            ) from exc
        spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if certificates[0].public_key().public_bytes(*spki) != private.public_key().public_bytes(*spki):
            raise ConfigError(f"--c2pa-sign: the key {key} does not belong to the first certificate in {cert}")
        if isinstance(private, ec.EllipticCurvePrivateKey):
            alg = {256: "es256", 384: "es384", 521: "es512"}.get(private.curve.key_size, "es256")
        elif isinstance(private, ed25519.Ed25519PrivateKey):
            alg = "ed25519"
        elif isinstance(private, rsa.RSAPrivateKey):
            alg = "ps256"
        else:
            raise ConfigError(f"--c2pa-sign: {key}: C2PA signs with EC, Ed25519 or RSA keys only")
        return cls(chain, key_pem, alg)

    def manifest(self, title: str) -> dict[str, Any]:
        return {
            "claim_generator_info": [{"name": "exposure-auditor", "version": __version__}],
            "title": title,
            "assertions": [
                {
                    "label": "cawg.training-mining",
                    "data": {"entries": {f"cawg.{e}": {"use": "notAllowed"} for e in TRAINING_ENTRIES}},
                }
            ],
        }

    def sign(self, data: bytes, fmt: str, title: str) -> bytes:
        """``data`` with a signed manifest (an edit of itself: the copy is its own parent ingredient)."""
        import c2pa

        if fmt not in _MIME:
            raise CannotSign(f"C2PA signing is done for JPEG, PNG and WebP copies only, not {fmt}")
        try:
            if self._made is None:
                settings = {
                    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
                    "builder": {"thumbnail": {"enabled": False}},
                }
                self._made = (
                    c2pa.Context(c2pa.Settings.from_dict(settings)),
                    # no time-stamp server: signing stays offline
                    c2pa.Signer.from_info(c2pa.C2paSignerInfo(self.alg.encode(), self.chain, self.key, None)),
                )
            context, signer = self._made
            builder = c2pa.Builder(self.manifest(title), context=context)
            builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
            out = io.BytesIO()
            builder.sign(signer, _MIME[fmt], io.BytesIO(data), out)
        except Exception as exc:  # the library's own error tree; the message says what it refused
            raise CannotSign(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from exc
        return out.getvalue()
