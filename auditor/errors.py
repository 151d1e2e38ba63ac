"""One exception tree for the whole tool; every message names the URL or path it is about.

::

    AuditorError
    ├── ConfigError          the user can fix it (bad URL, unwritable --out, no browser): exit status 2
    ├── StoreError           the --out store is locked, foreign or unreadable
    │   └── DamagedStore     its database is damaged or emptied (--fresh starts over)
    ├── FetchError           one URL could not be fetched; becomes an ``errors`` entry, never aborts the scan
    │   ├── RedirectError    loop, too many hops, or a hop out of scope
    │   ├── TooLargeError    the body went past --max-bytes
    │   └── FetchTimeout     connect/read/total time budget exceeded
    ├── RenderError          the browser could not render one page; the static extraction still counts
    ├── BrowserUnavailable   no browser could be started (a ConfigError when --render always)
    ├── CheckUnavailable     a check cannot run in this installation (no language model): recorded, audit incomplete
    └── ContractError        a findings.json about to be written does not match its schema: a bug to report

Stages catch :class:`FetchError` and :class:`RenderError` per URL and record them; only :class:`ConfigError` and
:class:`StoreError` reach the CLI, which prints one line and exits 2.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl

import httpx

# Everything httpx raises for one request. InvalidURL is not an HTTPError: httpx raises it while building the next
# request of a redirect to ``mailto:``, ``javascript:`` or ``data:``, even with redirects off, and it must end that
# one request, never the scan.
HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL)

_INTERNALS = (
    re.compile(r"\s*<[\w.]+ object at 0x[0-9a-fA-F]+>"),  # <_io.BytesIO object at 0x7f...>
    re.compile(r"\s*\(_ssl\.c:\d+\)"),  # (_ssl.c:1006)
    re.compile(r"\s*\[(SSL|X509)[: A-Z_]*\]"),  # [SSL: CERTIFICATE_VERIFY_FAILED]
)


def plain(message: str) -> str:
    """``message`` without the Python internals that make it differ from run to run (object addresses, OpenSSL
    source lines): what a user reads in the report, ``findings.json`` or a manifest must be stable."""
    for pattern in _INTERNALS:
        message = pattern.sub("", message)
    return re.sub(r"\s{2,}", " ", message).strip()


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control characters (ESC, BEL, C1 codes) and bidirectional overrides
    from a file, a page or a header are shown as ``\\xNN`` instead of being obeyed by the terminal."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 256 else "?", text)


def describe_network_error(exc: BaseException) -> tuple[str, bool]:
    """A network failure in words a school's IT lead can act on, and whether retrying could help.

    Walks the exception's causes (httpx wraps anyio, which wraps the socket or TLS error)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    for cause in seen:
        if isinstance(cause, socket.gaierror):
            return "DNS lookup failed: no such host name (check the spelling)", False
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = plain(cause.verify_message or "") or "not trusted"
            return f"TLS error: the server's certificate is not valid ({detail})", False
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: no secure connection could be made ({plain(cause.reason or str(cause))})", False
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "connection refused: nothing is listening at that address and port", True
    if isinstance(exc, httpx.InvalidURL):
        return (
            "the server answered with a redirect to an address that is not a web page (mailto:, javascript:, "
            "data: or similar); it was not followed"
        ), False
    text = " ".join(str(c) for c in seen).lower()
    if "name or service not known" in text or "name resolution" in text or "nodename nor servname" in text:
        return "DNS lookup failed: no such host name (check the spelling)", False
    if "certificate" in text:
        return "TLS error: the server's certificate is not valid", False
    if "ssl" in text or "tls" in text or "wrong version number" in text:
        return "TLS error: no secure connection could be made", False
    if "connection refused" in text or "all connection attempts failed" in text:
        return "connection refused: nothing is listening at that address and port", True
    if "reset" in text:
        return "the server reset the connection", True
    if "disconnected" in text or "closed" in text or "incomplete" in text or "protocol" in text:
        return "the server closed the connection or sent a broken answer", True
    return "network error: " + (plain(str(exc)) or "the request failed"), True


class AuditorError(Exception):
    """Base of every error the tool raises on purpose."""


class ConfigError(AuditorError):
    """A problem the user can fix on the command line."""


class StoreError(AuditorError):
    """The on-disk store cannot be used (locked by another run, holds another scan, unreadable)."""


class DamagedStore(StoreError):
    """The store's database is damaged or was emptied; ``--fresh`` discards it and starts the scan over."""


class FetchError(AuditorError):
    """One URL could not be fetched. ``url`` is the URL that was asked for. ``transient``: trying again later
    could help (a refused or reset connection); a missing host name or a bad certificate will not mend itself."""

    def __init__(self, url: str, message: str, *, transient: bool = True) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.reason = message
        self.transient = transient


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


class ContractError(AuditorError):
    """A document about to be written does not match its published schema (a bug in the auditor)."""


class CheckUnavailable(AuditorError):
    """A check cannot run here (a model it needs is not installed); the scan records it and is incomplete."""


class BrowserUnavailable(AuditorError):
    """No Chromium could be found or launched."""
