"""Shared fixtures: loopback servers, the demo site, real images, and the browser (skipped, with the reason,
only when no Chromium exists on the machine)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.config import ScanConfig
from auditor.crawl.render import find_browser
from auditor.demo import serve_directory
from auditor.resources import demo_site_dir

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI keeps scan history in the user's data folder by default; tests keep theirs in a temp folder."""
    monkeypatch.setenv("AUDITOR_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    """The bundled demo school site, served on 127.0.0.1 exactly as ``auditor demo`` serves it."""
    with serve_directory(demo_site_dir()) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> str:
    path = find_browser(None)
    if path is None:
        pytest.skip("no Chromium found (install Debian's chromium, or pass --browser); .ci/run installs it")
    return path


@pytest.fixture
def make_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a ScanConfig for a test with fast politeness settings."""

    def make(*seeds: str, **kwargs: object) -> ScanConfig:
        values: dict[str, object] = {
            "out": tmp_path / "out",
            "rate": 200.0,
            "render": "never",
            "timeout": 5.0,
            "link_check": False,
            "max_retry_after": 5.0,
        }
        values.update(kwargs)
        return ScanConfig(seeds=tuple(seeds), **values)  # type: ignore[arg-type]

    return make


def png_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A real PNG made with Pillow."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(buf, "JPEG")
    return buf.getvalue()
