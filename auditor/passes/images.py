"""Images: every picture's metadata, read once per content hash, through every ``image`` check; captions
read in one batch by the names model. Only the parsed metadata is kept between the two passes, never the files'
bytes, so memory stays flat with the site's size."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from auditor.analyze.image_facts import info, thumbnail_difference
from auditor.analyze.metadata import ImageMetadata, UnreadableImage, read
from auditor.analyze.names import NamesUnavailable, names_in
from auditor.checks import REGISTRY
from auditor.checks._check import ImageContext
from auditor.config import ScanConfig
from auditor.models import Subject
from auditor.passes.results import Results
from auditor.progress import Counters, Progress
from auditor.store import Store


def run(store: Store, config: ScanConfig, results: Results, progress: Progress) -> None:
    """Metadata of every image, read once per content hash. Only the parsed metadata is kept between the two
    passes (captions are read in one batch), never the files' bytes: memory stays flat with the site's size."""
    rows = store.fetched("image")
    cache: dict[str, ImageMetadata | str] = {}
    differing: dict[str, tuple[dict[str, Any], bytes]] = {}  # content hash -> how its thumbnail differs, thumbnail
    readable: list[tuple[str, str, ImageMetadata]] = []
    counters = Counters(stage="metadata", total=len(rows))
    for done, (url, sha256) in enumerate(rows):
        counters.done = done
        progress.update(counters)  # a line every few seconds: a large folder's metadata takes minutes
        if sha256 in results.vectors:  # a drawing: its embedded photos are rows of their own
            continue
        if sha256 not in cache:
            path = store.asset_path(url, sha256)
            try:
                data = path.read_bytes()
            except OSError as exc:
                results.errors.append((url, f"cannot read {path}: {exc.strerror}"))
                continue
            try:
                parsed = read(data)
            except UnreadableImage as exc:
                cache[sha256] = f"not a readable image ({exc}); it was not checked"
            else:
                if parsed.thumbnail:
                    # Compared now, while the bytes are in hand: neither the file nor 10,000 thumbnails are needed
                    # in the second pass. Empty, not None: the file still has one (``has_thumbnail``).
                    difference = thumbnail_difference(data, parsed.thumbnail, config.max_pixels)
                    if difference is not None:
                        differing[sha256] = (difference, parsed.thumbnail)
                    parsed = replace(parsed, thumbnail=b"")
                cache[sha256] = parsed
        meta = cache[sha256]
        if isinstance(meta, str):
            results.errors.append((url, meta))
            continue
        readable.append((url, sha256, meta))
    in_captions = caption_names([m for _, _, m in readable], results.skipped)
    for url, sha256, meta in readable:
        names = {
            field: list(dict.fromkeys(n for t in texts for n in in_captions.get(t, [])))
            for field, texts in meta.captions.items()
        }
        subject = Subject(url, store.first_page(url), sha256)
        difference, thumbnail = differing.get(sha256, (None, b""))
        context = ImageContext(config.site_location, names, difference)
        results.findings.extend(
            f for c in REGISTRY.values() if c.image is not None for f in c.image(subject, meta, context)
        )
        if difference is not None:
            results.thumbnails[url] = thumbnail
        results.facts.append((url, json.dumps(info(meta))))
        results.taken[sha256] = (meta.date_taken, meta.camera)
        results.metadata[sha256] = meta
        if meta.provenance is not None:
            results.provenance[sha256] = meta.provenance
        if meta.width and meta.height:
            results.sizes[url] = (meta.width, meta.height)


def caption_names(metas: list[ImageMetadata], skipped: dict[str, str]) -> dict[str, list[str]]:
    """Full names (two words or more) the model itself labels as people in the images' captions and keywords,
    read in one batch: metadata text is often a title or a keyword list, where the caption rules misfire."""
    texts = [t for meta in metas for values in meta.captions.values() for t in values]
    if not texts:
        return {}
    try:
        found = names_in(texts, model_only=frozenset(texts))
    except NamesUnavailable as exc:
        skipped["person_name_metadata (captions)"] = str(exc)
        return {}
    return {text: [n for n in names if len(n.split()) >= 2] for text, names in found.items()}
