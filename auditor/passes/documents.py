"""Documents and drawings: a PDF's or Office file's metadata (``document`` checks) and the pictures inside it,
and an SVG's embedded photos. The pictures become assets of their own (``<url>#page=N&image=K``), found ``via:
document``, so every image check covers them."""

from __future__ import annotations

import json
from typing import Any

from auditor.analyze import provenance, xmp
from auditor.analyze.documents import MAX_EMBEDDED_IMAGES, DocumentContent, UnreadableDocument, read_document
from auditor.analyze.svg import SNIFF_BYTES, SvgContent, UnreadableSvg, is_svg, read_svg
from auditor.checks import REGISTRY
from auditor.models import Subject
from auditor.passes.results import Results
from auditor.store import Store


def run(store: Store, results: Results) -> None:
    for url, sha256 in store.fetched("document"):
        path = store.asset_path(url, sha256)
        try:
            data = path.read_bytes()
            content = read_document(data, path.name)
        except OSError as exc:
            results.errors.append((url, f"cannot read {path}: {exc.strerror}"))
            continue
        except UnreadableDocument as exc:
            results.errors.append((url, f"not a readable document ({exc}); it was not checked"))
            continue
        subject = Subject(url, store.first_page(url), sha256)
        results.findings.extend(
            f for c in REGISTRY.values() if c.document is not None for f in c.document(subject, content)
        )
        results.facts.append((url, json.dumps(document_facts(data, path.suffix, content))))
        with store.transaction():
            for label, data in content.images:
                store.add_document_image(f"{url}#{label}", url, len(data), store.write_blob(data))


def vector_images(store: Store, results: Results) -> None:
    """SVG files among the images (by content, whatever their name): a drawing shows nobody, so it is no picture
    to read; the photos it embeds are taken out and analysed like a document's (``<svg url>#image=K``), at each
    address that serves it. Each SVG is read once per content hash."""
    read: dict[str, SvgContent] = {}
    for url, sha256 in store.fetched("image", originals_only=True):
        path = store.asset_path(url, sha256)
        if sha256 not in read:
            try:
                with path.open("rb") as fh:
                    if not is_svg(fh.read(SNIFF_BYTES)):
                        continue
                read[sha256] = read_svg(path.read_bytes())
            except OSError as exc:
                results.errors.append((url, f"cannot read {path}: {exc.strerror}"))
                continue
            except UnreadableSvg as exc:
                results.errors.append((url, f"not a readable SVG drawing ({exc}); it was not checked"))
                continue
            results.vectors.add(sha256)
        content = read[sha256]
        if missed := content.skipped_images + content.undecodable:  # said, never passed over as clean
            results.errors.append(
                (
                    url,
                    f"{missed} of the pictures embedded in this SVG could not be read (damaged or past "
                    f"{MAX_EMBEDDED_IMAGES}); they were not checked",
                )
            )
        facts = {"format": "SVG", "embedded_images": len(content.images), "linked_images": content.linked[:20]}
        results.facts.append((url, json.dumps(facts)))
        with store.transaction():
            for label, data in content.images:
                store.add_document_image(f"{url}#{label}", url, len(data), store.write_blob(data))


def document_facts(data: bytes, suffix: str, content: DocumentContent) -> dict[str, Any]:
    """A document's facts: its kind, and its provenance (a C2PA manifest, a DataMining reservation) if any."""
    mime = "application/pdf" if content.kind == "pdf" else suffix.lstrip(".").lower() or None
    found = provenance.read(data, xmp.parse(data), mime)
    return {"format": content.kind.upper(), "provenance": found.as_dict() if found is not None else None}
