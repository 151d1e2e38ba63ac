"""``report.pdf``: the same HTML printed by Chromium through Playwright (the report's print styles apply)."""

from __future__ import annotations

from pathlib import Path

from auditor.crawl.render import LAUNCH_ARGS, find_browser
from auditor.errors import ConfigError, plain


def print_pdf(html: Path, pdf: Path, browser: str | None = None) -> Path:
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
            page.pdf(
                path=str(pdf),
                format="A4",
                print_background=True,
                margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
            )
            chromium.close()
    except PlaywrightError as exc:
        first = plain(str(exc).strip().splitlines()[0]) if str(exc).strip() else "it did not start"
        raise ConfigError(f"{pdf}: Chromium could not print the report ({first}); pass --browser PATH") from exc
    os.chmod(pdf, 0o600)
    return pdf
