"""Share links: the catalogue recognizes each provider; classification is checked against a loopback server that
answers the way the providers do (a transport routes the provider's host there: the real hosts are unreachable
from a test, which is the one edge faked here)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from auditor.crawl.sharelinks import classify, judge, match_provider, share_links_in_text
from tests.server import Route, Site


@pytest.mark.parametrize(
    ("url", "provider"),
    [
        ("https://drive.google.com/drive/folders/1AbC", "Google Drive"),
        ("https://docs.google.com/document/d/xyz/edit", "Google Drive"),
        ("https://photos.app.goo.gl/xyz123abc", "Google Photos"),
        ("https://forms.gle/abc", "Google Forms"),
        ("https://script.google.com/macros/s/abc/exec", "Google Apps Script"),
        ("https://1drv.ms/f/s!abc", "OneDrive"),
        ("https://school.sharepoint.com/:f:/s/x", "SharePoint"),
        ("https://www.dropbox.com/scl/fo/abc/def", "Dropbox"),
        ("https://app.box.com/s/abc", "Box"),
        ("https://www.icloud.com/sharedalbum/#B0abc", "iCloud"),
        ("https://www.flickr.com/photos/school/albums/1", "Flickr"),
        ("https://www.amazon.co.uk/photos/share/abc", "Amazon Photos"),
        ("https://we.tl/t-abc", "WeTransfer"),
        ("https://padlet.com/teacher/class3", "Padlet"),
        ("https://www.canva.com/design/abc/view", "Canva"),
        ("https://youtu.be/dQw4w9WgXcQ", "YouTube"),
        ("https://vimeo.com/123456", "Vimeo"),
    ],
)
def test_catalogue_recognizes_providers(url: str, provider: str) -> None:
    match = match_provider(url)
    assert match is not None and match.name == provider


@pytest.mark.parametrize(
    "url", ["https://www.google.com/search?q=x", "https://example.org/", "https://www.amazon.com/dp/1"]
)
def test_ordinary_urls_are_not_share_links(url: str) -> None:
    assert match_provider(url) is None


def test_links_in_plain_text() -> None:
    text = "Photos: https://www.icloud.com/sharedalbum/#B0abc. Site: https://example.org/x"
    assert share_links_in_text(text) == ["https://www.icloud.com/sharedalbum/#B0abc"]


def test_judge_rules() -> None:
    drive = match_provider("https://drive.google.com/drive/folders/x")
    assert drive is not None
    assert judge(drive, 302, "https://accounts.google.com/ServiceLogin?x", "").access == "login_required"
    assert judge(drive, 302, "https://drive.google.com/other", "").access == "unknown"
    assert judge(drive, 404, None, "").access == "gone"
    assert judge(drive, 200, None, "<html>folder</html>").access == "public"
    assert judge(drive, 200, None, "Sorry, the file you have requested does not exist.").access == "gone"
    assert judge(drive, 403, None, "").access == "login_required"
    assert judge(drive, 500, None, "").access == "unknown"


class RouteTo(httpx.AsyncBaseTransport):
    """Sends every request to a loopback server, keeping the path (the provider host cannot be reached)."""

    def __init__(self, base: str) -> None:
        self.base = httpx.URL(base)
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # A copy goes to the loopback server; the client still sees its answer as the provider's, so cookies
        # it sets are kept for the provider's host (and would be sent back, were the jar not cleared).
        url = request.url.copy_with(scheme="http", host=self.base.host, port=self.base.port)
        routed = httpx.Request(request.method, url, headers=request.headers, stream=request.stream)
        return await self.inner.handle_async_request(routed)


def test_classify_sends_one_anonymous_request_per_link() -> None:
    site = Site(
        {
            "/drive/folders/public": Route("<html>A folder</html>", headers={"Set-Cookie": "tracking=1; Path=/"}),
            "/drive/folders/private": Route(
                "", status=302, headers={"Location": "https://accounts.google.com/ServiceLogin"}
            ),
            "/drive/folders/deleted": Route("gone", status=404),
        }
    )
    with site.serve() as base:

        async def run() -> dict[str, str]:
            async with httpx.AsyncClient(transport=RouteTo(base), follow_redirects=False) as client:
                return {
                    name: (await classify(client, f"https://drive.google.com/drive/folders/{name}")).access
                    for name in ("public", "private", "deleted")
                }

        results = asyncio.run(run())
    assert results == {"public": "public", "private": "login_required", "deleted": "gone"}
    assert all(n == 1 for n in site.hits.values()), site.hits
    assert all("cookie" not in {k.lower() for k in headers} for _, headers in site.request_headers)
