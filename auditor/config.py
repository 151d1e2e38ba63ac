"""One :class:`ScanConfig`, built once by the CLI (or a test) and passed down to every stage.

Limits live here as plain values with defaults a school site needs; they are printed into ``findings.json``
(``scan.config``) and the report so a reader knows what the scan was allowed to do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from auditor import __version__

RenderMode = Literal["auto", "always", "never"]


def user_agent(contact: str | None = None) -> str:
    """The User-Agent: the project, its version, and how a server's admin reaches whoever runs the audit
    (``--contact``, a URL or e-mail address; ``--user-agent`` replaces the whole string)."""
    return f"ExposureAuditor/{__version__} (self-audit by the site's owner; +{contact or 'no contact given'})"


DEFAULT_USER_AGENT = user_agent()
# The token matched against robots.txt groups (the part of the user agent before the slash).
ROBOTS_TOKEN = "ExposureAuditor"


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """Everything a scan is allowed to do. Immutable: stages read it, never change it."""

    seeds: tuple[str, ...]
    out: Path
    max_pages: int = 2000
    max_depth: int = 10
    concurrency: int = 8
    per_host_concurrency: int = 4
    rate: float = 4.0
    render: RenderMode = "auto"
    browser: str | None = None
    allow_hosts: tuple[str, ...] = ()
    ignore_robots: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0
    max_bytes: int = 50 * 1024 * 1024
    # Videos: a larger download cap (a school's event video), and how much of each is looked at.
    max_video_bytes: int = 500 * 1024 * 1024
    video_every_s: float = 2.0  # one frame sampled every this many seconds
    video_max_frames: int = 120
    video_max_seconds: float = 1800.0  # only the first half hour of a longer video is sampled (said in the evidence)
    max_assets: int = 20_000  # images and documents recorded at most; discoveries past it are counted, not kept
    max_page_bytes: int = 10 * 1024 * 1024
    retries: int = 3
    max_redirects: int = 10
    max_retry_after: float = 60.0
    max_duration: float = 6 * 3600.0  # seconds of crawling in one run; the rest is left for the next run
    link_check: bool = True
    render_timeout: float = 30.0
    probe_directories: bool = True
    site_location: tuple[float, float] | None = None
    max_pixels: int = 100_000_000
    face_context: Literal["auto", "school", "general"] = "auto"
    face_model: Literal["default", "insightface"] = "default"
    minor_below: float = 29.0
    allow_private: bool = False
    state_dir: Path | None = None  # scan history (None: no history kept)
    decisions_file: Path | None = None  # auditor accept's decisions (default: decisions.json in the state folder)
    check_severity: dict[str, str] = field(default_factory=dict)  # [checks.ID] severity in auditor.toml
    ungated_checks: tuple[str, ...] = ()  # [checks.ID] gate = false in auditor.toml
    include: tuple[str, ...] = ()  # page URL patterns: only these are crawled (seeds always)
    shared_rate_dir: Path | None = None  # per-host request spacing shared by scans side by side on one machine
    shared_rate_socket: Path | None = None  # auditor fleet: the same, through the fleet's rate keeper (any machine)
    exclude: tuple[str, ...] = ()  # page URL patterns never crawled
    redact: bool = True
    show_names: bool = False  # flag faces whose age estimate is below this (see benchmarks/faces.py)
    models_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def public_dict(self) -> dict[str, Any]:
        """The configuration as recorded in ``findings.json``: JSON types only, no paths that reveal the user."""
        data = asdict(self)
        data.pop("extra")
        data["out"] = str(self.out)
        data["seeds"] = list(self.seeds)
        data["allow_hosts"] = list(self.allow_hosts)
        data["models_dir"] = str(self.models_dir) if self.models_dir else None
        data["state_dir"] = str(self.state_dir) if self.state_dir else None
        data["decisions_file"] = str(self.decisions_file) if self.decisions_file else None
        data["shared_rate_dir"] = str(self.shared_rate_dir) if self.shared_rate_dir else None
        data["shared_rate_socket"] = str(self.shared_rate_socket) if self.shared_rate_socket else None
        return data
