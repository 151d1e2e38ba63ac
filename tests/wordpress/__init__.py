"""A real WordPress on 127.0.0.1 for the tests: Debian's ``wordpress`` package (copied from /usr/share/wordpress),
PHP's built-in server with a router script, and a private MariaDB server on a unix socket in a temporary folder
(``mariadb-install-db`` + ``mariadbd --skip-networking``). Nothing of the machine's own configuration is used or
changed. A tiny theme (``theme/``) prints each post's content, so pages show what their posts embed, as any theme
would. :func:`running` yields the site's address once ``setup.php`` has installed WordPress and uploaded the
test's photos through WordPress's own media functions (sizes, ``-scaled`` copies and metadata as WordPress makes
them)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
DEBIAN_WORDPRESS = Path("/usr/share/wordpress")
NEEDS = {
    "php": "php-cli",
    "mariadbd": "mariadb-server",
    "mariadb-install-db": "mariadb-server",
    "mariadb": "mariadb-client",
}


def missing() -> str | None:
    """Why a real WordPress cannot run here (what to install), or ``None``."""
    absent = sorted({package for command, package in NEEDS.items() if shutil.which(command) is None})
    if not DEBIAN_WORDPRESS.is_dir():
        absent.append("wordpress")
    if (
        not absent
        and subprocess.run(
            ["php", "-r", "exit(function_exists('mysqli_connect') && function_exists('imagecreatetruecolor') ? 0 : 1);"]
        ).returncode
    ):
        absent.append("php-mysql php-gd")
    return f"needs Debian's {' '.join(absent)} (.ci/run installs them)" if absent else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


@contextmanager
def _mariadb(folder: Path) -> Iterator[Path]:
    data, sock = folder / "data", folder / "mysql.sock"
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *user,
        ],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(  # its own session: stopped with everything it started
        [
            "mariadbd",
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={sock}",
            "--skip-networking",
            f"--pid-file={folder / 'mariadb.pid'}",
            f"--log-error={folder / 'mariadb.err'}",
            *user,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(sock.exists, "MariaDB's socket")
        subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={sock}", "-uroot", "-e", "CREATE DATABASE wordpress"], check=True
        )
        yield sock
    finally:
        _stop(server)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server and every process it started (PHP's workers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def running(
    folder: Path, uploads: list[dict[str, object]], robots: str | None = None, pretty_links: bool = True
) -> Iterator[str]:
    """WordPress at ``http://127.0.0.1:PORT`` with ``uploads`` (each: ``file``, the photo's path; ``post``, the
    title of the post that shows it, or ``None`` for an upload attached to nothing and shown nowhere; ``alt``).
    ``pretty_links`` off: plain ``?p=N`` links, where ``/wp-json/`` does not answer and the REST API is reached only
    as ``/?rest_route=``."""
    site = folder / "wordpress"
    shutil.copytree(DEBIAN_WORDPRESS, site, symlinks=False, ignore=shutil.ignore_patterns("wp-config.php"))
    (site / "wp-content" / "uploads").mkdir(parents=True, exist_ok=True)
    shutil.copytree(HERE / "theme", site / "wp-content" / "themes" / "plain")
    if robots is not None:
        (site / "robots.txt").write_text(robots)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with _mariadb(folder / "db") as sock:
        config = (HERE / "wp-config.php").read_text()
        (site / "wp-config.php").write_text(config.replace("@SOCKET@", str(sock)).replace("@BASE@", base))
        setup = subprocess.run(
            ["php", str(HERE / "setup.php"), str(site)],
            capture_output=True,
            text=True,
            env={**os.environ, "WP_BASE": base, "WP_PERMALINKS": "/%postname%/" if pretty_links else ""},
        )
        if setup.returncode != 0:
            raise RuntimeError(f"WordPress set-up failed: {setup.stdout[-2000:]} {setup.stderr[-2000:]}")
        server = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{port}", "-t", str(site), str(HERE / "router.php")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
            start_new_session=True,
        )
        try:

            def up() -> bool:
                with socket.socket() as s:
                    return s.connect_ex(("127.0.0.1", port)) == 0

            _wait(up, "PHP's server")
            _publish(base, json.loads(setup.stdout), uploads)
            yield base
        finally:
            _stop(server)


def _publish(base: str, account: dict[str, str], uploads: list[dict[str, object]]) -> None:
    """As the block editor does, through the REST API: a draft of each post, each photo uploaded and attached to
    its post (``post`` ``None``: attached to nothing), then each post published showing the medium size of its
    photos, which is what a theme shows."""
    auth = (account["user"], account["password"])
    posts: dict[str, tuple[int, list[str]]] = {}
    with httpx.Client(base_url=base, auth=auth, timeout=120) as client:
        for upload in uploads:
            title = upload.get("post")
            if title and str(title) not in posts:
                draft = client.post(
                    "/", params={"rest_route": "/wp/v2/posts"}, json={"title": str(title), "status": "draft"}
                )
                draft.raise_for_status()
                posts[str(title)] = (int(draft.json()["id"]), [])
            path = Path(str(upload["file"]))
            answer = client.post(
                "/",
                params={"rest_route": "/wp/v2/media", **({"post": posts[str(title)][0]} if title else {})},
                content=path.read_bytes(),
                headers={"Content-Disposition": f'attachment; filename="{path.name}"', "Content-Type": "image/jpeg"},
            )
            answer.raise_for_status()
            media = answer.json()
            client.post(
                "/",
                params={"rest_route": f"/wp/v2/media/{media['id']}"},
                json={"alt_text": str(upload.get("alt") or "")},
            )
            if title:
                sizes = media["media_details"].get("sizes", {})
                shown = sizes.get("medium", sizes.get("full", {})).get("source_url", media["source_url"])
                posts[str(title)][1].append(f'<img src="{shown}" alt="">')
        for post_id, shown_images in posts.values():
            client.post(
                "/",
                params={"rest_route": f"/wp/v2/posts/{post_id}"},
                json={"status": "publish", "content": "\n".join(shown_images)},
            ).raise_for_status()
