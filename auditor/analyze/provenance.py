"""Provenance and AI-training reservations a file carries: its C2PA manifest (read and validated offline with
``c2pa-python``), the IPTC/PLUS ``DataMining`` value and the IPTC digital source type in its XMP.

Why the C2PA library and not our own JUMBF reader: validation (hashes, signatures, certificate profile) is the
whole point of a manifest, and the reference implementation is the only one that keeps up with the specification.
It is asked never to fetch anything: a manifest stored remotely (``dcterms:provenance`` or a remote-manifest
reference) is reported by its URL, not fetched, and no OCSP request is made. The library is only called for a
file that has a JUMBF/C2PA block or a provenance reference, so an ordinary photo costs a byte search.

Values are facts for the report (``assets[].metadata.provenance``), never findings by themselves: a reservation
stops no scraper. Only a photo that says AI training is *allowed* and shows a face becomes a finding
(``training_allowed``), because that is something a school can change.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from auditor.analyze import xmp

# The reservation vocabulary: C2PA/CAWG ``use`` values, and PLUS DataMining IRIs mapped onto them.
NOT_ALLOWED, CONSTRAINED, ALLOWED = "notAllowed", "constrained", "allowed"
_STRICTNESS = {NOT_ALLOWED: 2, CONSTRAINED: 1, ALLOWED: 0}
PLUS_PREFIX = "http://ns.useplus.org/ldf/vocab/"
_PLUS_USE = {
    "DMI-PROHIBITED": NOT_ALLOWED,
    "DMI-PROHIBITED-AIMLTRAINING": NOT_ALLOWED,
    "DMI-PROHIBITED-GENAIMLTRAINING": NOT_ALLOWED,
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": NOT_ALLOWED,
    "DMI-PROHIBITED-SEECONSTRAINT": CONSTRAINED,
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": CONSTRAINED,
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": CONSTRAINED,
    "DMI-ALLOWED": ALLOWED,
}
# C2PA/CAWG training-and-mining entries that concern training models (inference and plain mining do not).
TRAINING_ENTRIES = ("ai_training", "ai_generative_training")
TRAINING_LABELS = ("c2pa.training-mining", "cawg.training-mining")
# IPTC digital source types (the same IRIs in C2PA actions and in XMP Iptc4xmpExt:DigitalSourceType).
_SOURCE_TYPE = {
    "trainedAlgorithmicMedia": "generated",
    "algorithmicallyEnhanced": "edited",
    "compositeWithTrainedAlgorithmicMedia": "composite",
    "compositeSynthetic": "composite",
    "algorithmicMedia": "generated",
}
_REMOTE = re.compile(r"https?://\S+")


@dataclass(slots=True)
class Provenance:
    """What one file says about where it came from and whether it may be used for AI training."""

    c2pa: str | None = None  # trusted | valid (signer not on a trust list) | invalid | remote | unreadable
    c2pa_problems: list[str] = field(default_factory=list)  # validation failures other than an untrusted signer
    signer: str | None = None
    claim_generator: str | None = None
    ai: str | None = None  # generated | composite | edited: the file says it was made or changed by AI
    digital_source_type: str | None = None
    training: str | None = None  # the strictest training reservation found: notAllowed | constrained | allowed
    training_sources: dict[str, str] = field(default_factory=dict)  # where each value was read -> its use
    remote_manifest: str | None = None  # a manifest stored elsewhere: its URL (never fetched)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_CONTEXT: Any = None


def _context() -> Any:
    """One offline C2PA context per process: no remote manifests, no OCSP."""
    global _CONTEXT
    if _CONTEXT is None:
        import c2pa

        _CONTEXT = c2pa.Context(
            c2pa.Settings.from_dict({"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}})
        )
    return _CONTEXT


def has_manifest(raw: bytes) -> bool:
    """Whether the bytes hold a JUMBF box of a C2PA manifest store (the cheap test before the library)."""
    return b"jumb" in raw and b"c2pa" in raw


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _source_kind(iri: str | None) -> str | None:
    if not iri:
        return None
    return _SOURCE_TYPE.get(iri.strip().rstrip("/").rsplit("/", 1)[-1])


def _stricter(current: str | None, new: str) -> str:
    return new if current is None or _STRICTNESS.get(new, -1) > _STRICTNESS.get(current, -1) else current


def _generator(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        first = info[0]
        name = _text(first.get("name"))
        version = _text(first.get("version"))
        if name:
            return f"{name} {version}" if version else name
    return _text(manifest.get("claim_generator"))


def _read_manifest(found: Provenance, manifest: dict[str, Any]) -> None:
    found.claim_generator = _generator(manifest)
    signature = manifest.get("signature_info") or {}
    found.signer = _text(signature.get("issuer")) or _text(signature.get("common_name"))
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict):
            continue
        label = str(assertion.get("label", ""))
        data = assertion.get("data") or {}
        if label.startswith("c2pa.actions") and isinstance(data, dict):
            for action in data.get("actions") or []:
                iri = _text(action.get("digitalSourceType")) if isinstance(action, dict) else None
                kind = _source_kind(iri)
                if iri and (found.digital_source_type is None or kind):
                    found.digital_source_type = iri
                if kind and found.ai is None:
                    found.ai = kind
        base = label.rsplit(".v", 1)[0] if re.search(r"\.v\d+$", label) else label
        if base in TRAINING_LABELS and isinstance(data, dict):
            entries = data.get("entries") or {}
            for key, entry in entries.items() if isinstance(entries, dict) else []:
                use = entry.get("use") if isinstance(entry, dict) else None
                short = str(key).split(".", 1)[-1]
                if short in TRAINING_ENTRIES and use in _STRICTNESS:
                    found.training_sources[f"C2PA:{base}/{key}"] = use
                    found.training = _stricter(found.training, use)


def _read_c2pa(found: Provenance, raw: bytes, mime: str | None) -> None:
    import c2pa

    try:
        reader = c2pa.Reader(mime or "", io.BytesIO(raw), context=_context())
    except Exception as exc:  # the library raises its own tree; any failure is the file's, reported as such
        message = str(exc)
        remote = _REMOTE.search(message) if "remote" in message.lower() else None
        if remote is not None:
            found.c2pa, found.remote_manifest = "remote", remote.group(0).rstrip(".,)")
        elif "ManifestNotFound" not in type(exc).__name__ and "no JUMBF" not in message:
            found.c2pa, found.error = "unreadable", message.splitlines()[0][:300] if message else type(exc).__name__
        return
    with reader:
        state = str(reader.get_validation_state() or "").lower()
        results = reader.get_validation_results() or {}
        store = json.loads(reader.json())
    failures = [
        str(f.get("code"))
        for f in ((results.get("activeManifest") or {}).get("failure") or [])
        if isinstance(f, dict) and f.get("code")
    ]
    found.c2pa_problems = sorted({c for c in failures if not c.endswith(".untrusted")})
    found.c2pa = (
        "invalid" if state == "invalid" or found.c2pa_problems else "trusted" if state == "trusted" else "valid"
    )
    active = (store.get("manifests") or {}).get(store.get("active_manifest") or "")
    if isinstance(active, dict):
        _read_manifest(found, active)


def read(raw: bytes, data: xmp.XmpData, mime: str | None = None, manifest: bool | None = None) -> Provenance | None:
    """The provenance facts of one file (``data``: its XMP, already parsed; ``manifest``: :func:`has_manifest`
    of ``raw`` when the caller knows it), or ``None`` when it carries none."""
    found = Provenance()
    mining = data.first("plus:DataMining")
    if mining:
        use = _PLUS_USE.get(mining.strip().removeprefix(PLUS_PREFIX).upper())
        if use is not None:
            found.training_sources["XMP:plus:DataMining"] = use
            found.training = _stricter(found.training, use)
    iri = data.first("Iptc4xmpExt:DigitalSourceType")
    if iri:
        found.digital_source_type, found.ai = iri, _source_kind(iri)
    reference = data.first("dcterms:provenance")
    if (has_manifest(raw) if manifest is None else manifest) or reference:
        _read_c2pa(found, raw, mime)
        if found.c2pa is None and reference and _REMOTE.match(reference):
            found.c2pa, found.remote_manifest = "remote", reference
    if found == Provenance():
        return None
    return found
