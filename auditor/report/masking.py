"""Names masked in everything the report and the spreadsheets print, unless ``--show-names``.

The name finder (spaCy and its rules, in :mod:`auditor.analyze.names`) decides which *findings* to raise; it is
not trusted to have found every name in every string the report shows. It misses names (a hyphenated surname
beside one it found, a caption it never read, a file name), so masking works on its own, in two layers:

1. every name found anywhere in the scan is masked wherever it appears, whatever the case and whatever joins its
   words (``Mary Jones``, ``mary-jones.jpg``, ``MARY_JONES``), and each of its words when written capitalised;
2. every run of two or more capitalised, name-like words (``Rhiannon Pryce-Davies``, ``Chidi Okeke``,
   ``Siobhán O'Connell``, ``J. Smith``, ``Anna van der Berg``) and any capitalised word after a title (``Mrs
   Patel``) is masked, unless its words are common words of school websites (``Sports Day``, ``Year 4``,
   ``Headteacher``), which are listed below.

Over-masking a place or a product now and then is the price of never printing a child's name, but not the
organisation's own name: the name the site gives itself in its page titles ("News | Leading Academy") is kept
wherever it appears, and its words are never masked on their own because a name finder once took one of them for
part of a person's name ("Principal L******"). Pure functions: no model is loaded here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# Fields that hold only the tool's own fixed texts (no page, file or metadata text is ever put in them).
OWN_WORDS = frozenset({"advice", "action"})
TITLES = frozenset("mr mrs ms miss mx dr prof sir dame rev master".split())
PARTICLES = frozenset("van von der den de del della di da du la le ter ten bin binti ibn al el dos das".split())
# Capitalised words that are not names on a school or club site: roles, school words, calendar, common sentence
# starters, and the makers and programs that metadata names. Lower case; matched whole.
COMMON = frozenset(
    """
a an the and or of in on at to for from with by our your my their his her its we you they it this that these those
well done congratulations thank thanks thankyou welcome hello dear meet say happy good great best new old first last
headteacher head teacher teachers deputy assistant principal governor governors chair chairman trustee trustees
staff pupil pupils student students child children parent parents family families team class classes form year
years group groups reception nursery school schools primary secondary academy college university trust federation
infant infants junior juniors sixth senior house houses office admin administrator manager coach captain club
sports sport day days week weeks term terms half night evening morning afternoon trip visit visits event events
award awards winner winners prize prizes cup match game games festival fair concert show play assembly celebration
news newsletter gallery photo photos image images picture pictures video page home about contact policy policies
menu search more read back next previous share follow
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday spring summer autumn winter christmas easter
street road lane avenue close drive way church chapel cathedral park hall centre center museum castle palace
garden gardens court square green hill city town village county council borough
england scotland wales ireland britain united kingdom uk london
english maths math science art music drama history geography computing reading writing phonics
adobe photoshop lightroom illustrator indesign acrobat microsoft word excel powerpoint office windows canon nikon
sony apple iphone ipad samsung galaxy google pixel huawei fujifilm olympus panasonic lumix leica gimp camera
corporation inc ltd limited company edition version created modified author owner copyright rights reserved
untitled document unknown user admin default
robots tag header headers meta indexes options noai noimageai
""".split()
)

# A word: letters (apostrophes inside, a full stop after an initial), not glued to letters or digits; an
# underscore separates words, as in file names.
_WORD = re.compile(r"(?<![^\W_])(?>[^\W\d_]+(?:['’][^\W\d_]+)*)\.?(?!\d)")
_JOIN = re.compile(r"(?:\s+|[-_]|%20|\s*-\s*)")  # what may stand between two words of one name


def mask_word(word: str) -> str:
    """``Jones`` → ``J****``; an initial (``J.``) stays as it is."""
    core = word.rstrip(".")
    if len(core) <= 1:
        return word
    return core[0] + "*" * (len(core) - 1) + word[len(core) :]


def mask_name(name: str) -> str:
    """``Mary Jones`` → ``M*** J****``: enough to match a record, not enough to identify a child."""
    return _WORD.sub(lambda m: mask_word(m.group(0)), name)


def _name_like(word: str) -> bool:
    core = word.rstrip(".")
    if not core[:1].isupper() or core.lower() in COMMON or core.lower() in TITLES:
        return False
    return len(core) == 1 or not core.isupper()  # an initial, or not an acronym (EOS, UK, PTA)


class Masker:
    """Masks person names in any text, and in every string of a JSON-like value (:meth:`deep`)."""

    def __init__(self, known: Iterable[str] = (), keep: Iterable[str] = ()) -> None:
        """``known``: names found by the checks; ``keep``: phrases never masked (the organisation's own name)."""
        kept = sorted({k.strip() for k in keep if k and len(k.strip()) >= 3}, key=len, reverse=True)
        self._keep = re.compile("|".join(re.escape(k) for k in kept), re.IGNORECASE) if kept else None
        kept_words = {w.rstrip(".").lower() for k in kept for w in _WORD.findall(k)}
        tokens: set[str] = set()
        patterns = []
        for name in {n.strip() for n in known if n and n.strip()}:
            words = [w for w in _WORD.findall(name) if w.rstrip(".").lower() not in TITLES]
            if not words:
                continue
            tokens.update(w.rstrip(".") for w in words if len(w.rstrip(".")) >= 2 and w.lower() not in COMMON)
            joined = r"(?:\s+|[-_.]|%20)+".join(re.escape(w.rstrip(".")) for w in words)
            patterns.append(joined)
        patterns.sort(key=len, reverse=True)
        self._known = (
            re.compile(r"(?<![^\W\d_])(?:" + "|".join(patterns) + r")(?![^\W\d_])", re.IGNORECASE) if patterns else None
        )
        self._tokens = frozenset(t for t in tokens if t.lower() not in kept_words)
        self._done: dict[str, str] = {}  # a report repeats its strings (URLs, titles) many times: each masked once

    def text(self, text: str) -> str:
        if not text or not any(c.isalpha() for c in text):
            return text
        done = self._done.get(text)
        if done is None:
            if self._keep is not None and self._keep.search(text):
                kept = [m.group(0) for m in self._keep.finditer(text)]
                pieces = [self._mask(piece) for piece in self._keep.split(text)]
                done = pieces[0] + "".join(k + p for k, p in zip(kept, pieces[1:], strict=True))
            else:
                done = self._mask(text)
            self._done[text] = done
        return done

    def _mask(self, text: str) -> str:
        done = self._known.sub(lambda m: mask_name(m.group(0)), text) if self._known is not None else text
        return self._runs(done)

    def _runs(self, text: str) -> str:
        """Layer 2 (and capitalised words of known names): mask name-like runs, and words after a title."""
        words = list(_WORD.finditer(text))
        masked = [False] * len(words)
        i = 0
        while i < len(words):
            word = words[i].group(0)
            if word.rstrip(".") in self._tokens:
                masked[i] = True
            if word.rstrip(".").lower() in TITLES:
                j = i + 1
                while j < len(words) and self._joined(words, j - 1, j) and _name_like(words[j].group(0)):
                    masked[j] = True
                    j += 1
                i = max(j, i + 1)
                continue
            j = i
            run: list[int] = []
            while j < len(words) and (
                _name_like(words[j].group(0)) or (run and words[j].group(0).lower() in PARTICLES and j + 1 < len(words))
            ):
                run.append(j)
                if j + 1 < len(words) and not self._joined(words, j, j + 1):
                    break
                j += 1
            while run and words[run[-1]].group(0).lower() in PARTICLES:
                run.pop()
            if sum(_name_like(words[k].group(0)) for k in run) >= 2:
                for k in run:
                    masked[k] = True
            i = max(i + 1, run[-1] + 1 if run else i + 1)
        out, last = [], 0
        for match, hide in zip(words, masked, strict=True):
            if hide:
                out.append(text[last : match.start()])
                out.append(mask_word(match.group(0)))
                last = match.end()
        out.append(text[last:])
        return "".join(out)

    @staticmethod
    def _joined(words: list[re.Match[str]], a: int, b: int) -> bool:
        gap = words[a].string[words[a].end() : words[b].start()]
        return _JOIN.fullmatch(gap) is not None

    def deep(self, value: Any) -> Any:
        """Every string inside ``value`` (dicts, lists) masked; keys and non-strings kept, and the tool's own
        words (:data:`OWN_WORDS`: a finding's advice, a Fix-first action), which name no one and were once masked
        into nonsense ("autoindex / O****** -I******", "X-R*****-T**")."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: v if k in OWN_WORDS and isinstance(v, str) else self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value


def masker_for(document: dict[str, Any]) -> Masker:
    """The masker of a document's names, shared by everything written from the same findings (the report, the
    CSVs): its memory of masked strings is then built once."""
    return _masker(tuple(sorted(set(known_names(document)))), tuple(site_names(document)))


@lru_cache(maxsize=4)
def _masker(names: tuple[str, ...], keep: tuple[str, ...]) -> Masker:
    return Masker(names, keep)


_TITLE_PARTS = re.compile(r"\s+[|–—·:-]+\s+")


def site_names(document: dict[str, Any]) -> list[str]:
    """The organisation's own name: the part of the page titles that most of them share ("News | Hillside
    Primary", "Gallery - Hillside Primary"), on at least two pages and a third of those with a title."""
    titles = [str(p.get("title") or "").strip() for p in document.get("pages", [])]
    titles = [t for t in titles if t]
    counts: dict[str, int] = {}
    for title in titles:
        for part in {p.strip() for p in _TITLE_PARTS.split(title) if len(p.strip()) >= 3}:
            counts[part] = counts.get(part, 0) + 1
    return sorted(p for p, n in counts.items() if n >= 2 and n * 3 >= len(titles) and any(c.isupper() for c in p))


def known_names(document: dict[str, Any]) -> list[str]:
    """Every name the scan's checks found: the evidence fields each check declares as holding names
    (``Check.name_fields``: beside photos, in photo metadata, in document fields)."""
    from auditor.checks import REGISTRY

    names: list[str] = []
    for finding in document["findings"]:
        check, evidence = REGISTRY.get(finding["check"]), finding.get("evidence") or {}
        for field in check.name_fields if check else ():
            value = evidence.get(field)
            values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
            names += [str(v) for v in values if isinstance(v, str | int | float) and not isinstance(v, bool)]
    return names
