"""Names are masked in every string the report and the spreadsheets print (``--show-names`` shows them): names
of many origins, names the finder found elsewhere in the scan, file names, metadata values, document fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.report.masking import Masker, masker_for, site_names
from tests.analyze import documents, images
from tests.server import Route, Site

NAMES = [
    "Rhiannon Pryce-Davies",
    "Chidi Okeke",
    "Siobhán O'Connell",
    "Nguyễn Thị Mai",
    "Anna van der Berg",
    "Zoe D'Souza",
    "Mary Jones",
    "Kowalski",
]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "Well done Rhiannon Pryce-Davies (Year 4) and Chidi Okeke!",
            "Well done R******* P****-D***** (Year 4) and C**** O****!",
        ),
        ("Siobhán O'Connell and Zoë D’Souza", "S****** O******** and Z** D******"),
        ("Nguyễn Thị Mai with Anna van der Berg", "N***** T** M** with A*** v** d** B***"),
        ("Headteacher Mrs Patel and J. Kowalski", "Headteacher Mrs P**** and J. K*******"),
        ("Sports Day 2024 at Oakfield Primary School", "Sports Day 2024 at Oakfield Primary School"),
        ("Canon EOS 5D Mark II, Adobe Photoshop", "Canon EOS 5D Mark II, Adobe Photoshop"),
    ],
)
def test_name_like_words_are_masked_without_the_name_finder(text: str, masked: str) -> None:
    assert Masker().text(text) == masked


def test_a_name_found_anywhere_is_masked_everywhere_whatever_its_case() -> None:
    masker = Masker(["Mary Jones"])
    assert masker.text("/uploads/mary-jones.jpg") == "/uploads/m***-j****.jpg"
    assert masker.text("MARY_JONES_award.png") == "M***_J****_award.png"
    assert masker.text("Mary won the cup") == "M*** won the cup"


def _site() -> Site:
    caption = "Well done Rhiannon Pryce-Davies (Year 4) and Chidi Okeke!"
    page = f"""<html><head><title>Headteacher's news: Siobhán O'Connell</title></head><body>
    <h1>News</h1>
    <figure><img src="/uploads/mary-jones.jpg" alt="Nguyễn Thị Mai and Anna van der Berg">
      <figcaption>{caption}</figcaption></figure>
    <figure><img src="/uploads/cup.jpg" alt="cup"><figcaption>Mary Jones with the cup</figcaption></figure>
    <a href="/files/letter.pdf">Letter</a></body></html>"""
    return Site(
        {
            "/": Route(page),
            "/robots.txt": Route("", status=404),
            "/uploads/mary-jones.jpg": Route(images.jpeg(artist="Zoe D'Souza"), content_type="image/jpeg"),
            "/uploads/cup.jpg": Route(images.jpeg(images.scene(seed=5)), content_type="image/jpeg"),
            "/files/letter.pdf": Route(
                documents.pdf_with_jpeg(images.jpeg(), author="J. Kowalski"), content_type="application/pdf"
            ),
        }
    )


def _outputs(out: Path) -> str:
    return "\n".join((out / name).read_text() for name in ("report.html", "findings.csv", "faces-per-page.csv"))


def test_the_organisations_own_name_is_kept_and_peoples_names_are_still_masked() -> None:
    """The school's own name (what most page titles share) is never masked, even when the name finder once took
    one of its words for part of a person's name ("Principal L******" for "Leading"); people's names still are,
    and a file's path keeps all but the name."""
    document = {
        "pages": [{"title": t} for t in ("Leading Academy", "News | Leading Academy", "Staff - Leading Academy")],
        "findings": [{"check": "name_near_photo", "evidence": {"names": ["Leading Smith", "Mary Jones"]}}],
    }
    masker = masker_for(document)
    assert site_names(document) == ["Leading Academy"]
    assert masker.text("Mrs Patel, Principal of Leading Academy") == "Mrs P****, Principal of Leading Academy"
    assert masker.text("Leading Smith and Mary Jones") == "L****** S**** and M*** J****"
    url = "https://leading.example/uploads/2024/05/Mary-Jones-Award.jpg"
    assert masker.text(url) == "https://leading.example/uploads/2024/05/M***-J****-Award.jpg"


def test_the_report_and_spreadsheets_print_no_name(tmp_path: Path) -> None:
    with _site().serve() as base:
        for options in ([], ["--show-names"]):
            out = tmp_path / ("shown" if options else "masked")
            result = CliRunner().invoke(
                main,
                ["scan", base + "/", "--out", str(out), "--no-state", "--render", "never", "--rate", "200", *options],
            )
            assert result.exit_code == 0, result.output
    masked, shown = _outputs(tmp_path / "masked"), _outputs(tmp_path / "shown")
    for name in NAMES:
        words = [w for w in re.split(r"[\s-]+", name) if len(w) > 3]
        assert any(w in shown for w in words), name  # the names are there to be hidden
        for word in words:  # in any case, as a whole word (joined by - or _ in file names too)
            found = re.search(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", masked, re.IGNORECASE)
            assert found is None, masked[max(0, found.start() - 80) : found.end() + 80]
    assert "Headteacher" in masked and "Year 4" in masked


def test_the_tools_own_advice_is_never_masked() -> None:
    """Advice and Fix-first actions are the tool's own fixed words: masking them turned "Options -Indexes" into
    "O****** -I******"; a page title beside them is still masked."""
    document = {
        "findings": [{"advice": "Apache: Options -Indexes; an X-Robots-Tag header", "title": "Photo of Mary Jones"}],
        "fix_first": [{"action": "Turn off listings (autoindex / Options -Indexes)", "cause": "Mary Jones page"}],
    }
    masked = Masker().deep(document)
    assert masked["findings"][0]["advice"] == document["findings"][0]["advice"]
    assert masked["fix_first"][0]["action"] == document["fix_first"][0]["action"]
    assert (
        masked["findings"][0]["title"] == "Photo of M*** J****" and masked["fix_first"][0]["cause"] == "M*** J**** page"
    )
    text = "no noai robots meta tag or X-Robots-Tag header"  # the tool's words inside evidence: not names either
    assert Masker().text(text) == text
