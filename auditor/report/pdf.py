"""``report.pdf``: the same HTML printed by Chromium through Playwright (the report's print styles apply)."""

from __future__ import annotations

from pathlib import Path

from auditor.crawl.render import LAUNCH_ARGS, find_browser
from auditor.errors import ConfigError, plain


def footer(site: str, finished: str) -> str:
    """Chromium's footer template: what was audited, when, and the page number, on every page."""
    from html import escape

    return (
        '<div style="font-size:8px;width:100%;padding:0 10mm;display:flex;justify-content:space-between;">'
        f"<span>Exposure audit of {escape(site)}, {escape(finished[:10])}</span>"
        '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
    )


def print_pdf(html: Path, pdf: Path, browser: str | None = None, site: str = "", finished: str = "") -> Path:
    """Print the report: every disclosure opened first (a reader of paper cannot click "evidence"), the print
    styles applied (no heading left alone at the foot of a page, no table row split), the site, the scan's date
    and the page number in the footer."""
    import os

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = find_browser(browser)
    if browser and executable is None:
        raise ConfigError(
            f"--browser {browser}: not a browser (no executable file at that path); pass the path of "
            "Chromium, e.g. /usr/bin/chromium"
        )
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(
                executable_path=executable,
                headless=True,
                args=[*LAUNCH_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])],
            )
            page = chromium.new_page()
            page.goto(html.resolve().as_uri())
            page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
            page.pdf(
                path=str(pdf),
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<div></div>",
                footer_template=footer(site, finished),
                margin={"top": "12mm", "bottom": "16mm", "left": "10mm", "right": "10mm"},
            )
            chromium.close()
    except PlaywrightError as exc:
        first = plain(str(exc).strip().splitlines()[0]) if str(exc).strip() else "it did not start"
        raise ConfigError(f"{pdf}: Chromium could not print the report ({first}); pass --browser PATH") from exc
    os.chmod(pdf, 0o600)
    return pdf
