"""One exception tree for the whole tool; every message names the URL or path it is about.

::

    AuditorError
    ├── ConfigError          the user can fix it (bad URL, unwritable --out, no browser): exit status 2
    ├── StoreError           the --out store is locked, foreign or unreadable
    ├── FetchError           one URL could not be fetched; becomes an ``errors`` entry, never aborts the scan
    │   ├── RedirectError    loop, too many hops, or a hop out of scope
    │   ├── TooLargeError    the body went past --max-bytes
    │   └── FetchTimeout     connect/read/total time budget exceeded
    ├── RenderError          the browser could not render one page; the static extraction still counts
    └── BrowserUnavailable   no browser could be started (a ConfigError when --render always)

Stages catch :class:`FetchError` and :class:`RenderError` per URL and record them; only :class:`ConfigError` and
:class:`StoreError` reach the CLI, which prints one line and exits 2.
"""

from __future__ import annotations


class AuditorError(Exception):
    """Base of every error the tool raises on purpose."""


class ConfigError(AuditorError):
    """A problem the user can fix on the command line."""


class StoreError(AuditorError):
    """The on-disk store cannot be used (locked by another run, holds another scan, unreadable)."""


class FetchError(AuditorError):
    """One URL could not be fetched. ``url`` is the URL that was asked for."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.reason = message


class RedirectError(FetchError):
    """A redirect loop, a chain longer than the limit, or a hop the scope forbids."""


class TooLargeError(FetchError):
    """The response body is larger than the configured cap."""


class FetchTimeout(FetchError):
    """The server was too slow (connect, read, or the whole request)."""


class RenderError(AuditorError):
    """The browser failed on one page."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.reason = message


class BrowserUnavailable(AuditorError):
    """No Chromium could be found or launched."""
