"""Screenshots of the top of the demo's report for the README (desktop and phone), from a fresh demo scan.

    python docs/screenshots.py      # writes docs/report-desktop.png and docs/report-phone.png

The demo site is generated (scikit-image's public-domain portraits, faces covered in the report): no photo of a
real child is in these images.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "auditor", "demo", "--out", str(out)], check=False, capture_output=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for name, size in (("desktop", (1280, 900)), ("phone", (390, 844))):
                page = browser.new_page(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1)
                page.goto((out / "report.html").as_uri())
                page.screenshot(path=str(HERE / f"report-{name}.png"))
            browser.close()


if __name__ == "__main__":
    main()
