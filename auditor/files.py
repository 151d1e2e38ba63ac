"""Writing the files a run leaves for people to read (findings, reports, manifests): whole or not at all, and
owner-only, since they describe the organization's pupils."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes, as they are) so readers see the old file or the new one, never half of one;
    owner-only permissions."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_url_path(url: str) -> Path:
    """The local path a ``file:`` URL names (``auditor check``'s assets), without its fragment (a picture inside
    a document): the one place that turns those URLs back into paths."""
    from urllib.parse import unquote, urlsplit

    return Path(unquote(urlsplit(url).path))
