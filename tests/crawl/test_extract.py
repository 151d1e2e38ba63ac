from auditor.crawl.extract import extract_html, extract_resource, parse_srcset
from auditor.crawl.scope import Scope
from auditor.models import Extraction

SCOPE = Scope(["https://school.example/"])
PAGE = """<html><head><title>Home</title>
<meta property="og:image" content="/img/og.jpg"><meta name="twitter:image" content="/img/tw.jpg">
<link rel="stylesheet" href="/css/site.css"><link rel="preload" as="image" href="/img/pre.jpg">
<link rel="image_src" href="/img/src.jpg">
<meta name="robots" content="noimageai">
<script type="application/ld+json">{"@type":"School","logo":"/img/logo.png","image":["/img/a.jpg"]}</script>
</head><body>
<a href="/news/">News</a><a href="https://drive.google.com/drive/folders/XYZ">Photos</a>
<img src="x.jpg" srcset="x-300.jpg 300w, https://cdn.example/w_600,h_400/x.jpg 600w" data-src="lazy.jpg"
     data-lazy-srcset="lazy-2x.jpg 2x" data-large-file="/wp/large.jpg">
<picture><source srcset="/p.webp"></picture><div style="background-image:url('/bg.png')"></div>
<video poster="/poster.jpg"></video><iframe src="https://www.youtube.com/embed/abcdefghijk"></iframe>
<script>var imgs=["/gallery/1.jpg","https://cdn.school.example/2.jpg","https://elsewhere.example/3.jpg"]</script>
<noscript><img src="/nos.jpg"></noscript><a href="/letter.pdf">Letter</a>
<p>Also at https://www.dropbox.com/sh/abc/def?dl=0.</p><a href="mailto:a@b.example">mail</a>
</body></html>"""


def urls(extraction: Extraction, via: str | None = None) -> set[str]:
    return {d.url for d in extraction.discoveries if via is None or d.via == via}


def test_every_kind_of_reference_is_found() -> None:
    e = extract_html(PAGE.encode(), "https://school.example/", SCOPE)
    s = "https://school.example"
    assert {
        f"{s}/img/og.jpg",
        f"{s}/img/tw.jpg",
        f"{s}/img/pre.jpg",
        f"{s}/img/src.jpg",
        f"{s}/img/logo.png",
        f"{s}/img/a.jpg",
        f"{s}/x.jpg",
        f"{s}/x-300.jpg",
        "https://cdn.example/w_600,h_400/x.jpg",
        f"{s}/lazy.jpg",
        f"{s}/lazy-2x.jpg",
        f"{s}/wp/large.jpg",
        f"{s}/p.webp",
        f"{s}/poster.jpg",
        f"{s}/nos.jpg",
        f"{s}/letter.pdf",
        f"{s}/news/",
        f"{s}/css/site.css",
    } <= urls(e, "html")
    assert urls(e, "css") == {f"{s}/bg.png"}
    # Script literals: same-site only (a subdomain counts), never a third party's image.
    assert urls(e, "js") == {f"{s}/gallery/1.jpg", "https://cdn.school.example/2.jpg"}
    assert e.share_links == [
        "https://drive.google.com/drive/folders/XYZ",
        "https://www.youtube.com/embed/abcdefghijk",
        "https://www.dropbox.com/sh/abc/def?dl=0",
    ]
    assert e.signals.noimageai and not e.signals.noai
    assert e.title == "Home"
    kinds = {d.url: d.kind for d in e.discoveries}
    assert kinds[f"{s}/letter.pdf"] == "document" and kinds[f"{s}/css/site.css"] == "resource"


def test_app_shell_is_recognized_and_content_page_is_not() -> None:
    shell = b'<html><body><div id="root"></div><script src="/app.js"></script></body></html>'
    assert extract_html(shell, "https://school.example/", SCOPE).looks_script_built
    article = (
        "<html><body><nav>"
        + "".join(f'<a href="/p{i}">p{i}</a>' for i in range(8))
        + "</nav><p>"
        + "Lots of words. " * 60
        + "</p><script>var x=1</script></body></html>"
    ).encode()
    assert not extract_html(article, "https://school.example/", SCOPE).looks_script_built


def test_directory_listings_are_recognized() -> None:
    apache = b"<html><head><title>Index of /uploads/2023</title></head><body><h1>Index of /uploads/2023</h1></body>"
    python = b"<html><head><title>Directory listing for /uploads/</title></head><body></body></html>"
    assert extract_html(apache, "https://school.example/uploads/2023/", SCOPE).is_directory_listing
    assert extract_html(python, "https://school.example/uploads/", SCOPE).is_directory_listing
    assert not extract_html(PAGE.encode(), "https://school.example/", SCOPE).is_directory_listing


def test_base_href_and_bad_markup() -> None:
    body = b'<base href="https://school.example/sub/"><img src="a.jpg"><<div <img src="b.png"'
    e = extract_html(body, "https://school.example/", SCOPE)
    assert "https://school.example/sub/a.jpg" in urls(e)


def test_non_utf8_page_is_decoded() -> None:
    body = "<title>Caf\u00e9 photos</title><img src='/caf\u00e9.jpg'>".encode("cp1252")
    e = extract_html(body, "https://school.example/", SCOPE, encoding="windows-1252")
    assert e.title == "Caf\u00e9 photos"
    assert "https://school.example/caf%C3%A9.jpg" in urls(e)


def test_resources_resolve_like_a_browser() -> None:
    css = extract_resource(
        b"a{background:url(../img/bg.jpg)}",
        "https://school.example/css/site.css",
        "text/css",
        "https://school.example/news/",
        SCOPE,
    )
    assert urls(css, "css") == {"https://school.example/img/bg.jpg"}
    js = extract_resource(
        b'x=["photos/a.jpg","/data/more.json"]',
        "https://school.example/assets/app.js",
        "text/javascript",
        "https://school.example/gallery/",
        SCOPE,
    )
    assert urls(js, "js") == {
        "https://school.example/gallery/photos/a.jpg",
        "https://school.example/photos/a.jpg",
        "https://school.example/data/more.json",
    }
    data = extract_resource(
        b'{"photos":[{"src":"/g/b.png"}]}',
        "https://school.example/data/more.json",
        "application/json",
        "https://school.example/gallery/",
        SCOPE,
    )
    assert urls(data, "json") == {"https://school.example/g/b.png"}


def test_srcset_parsing_keeps_commas_inside_urls() -> None:
    assert parse_srcset("a.jpg 1x, https://x.example/w_300,h_200/b.jpg 2x,c.jpg") == [
        "a.jpg",
        "https://x.example/w_300,h_200/b.jpg",
        "c.jpg",
    ]


def test_bare_relative_script_paths_are_tried_against_page_and_root() -> None:
    js = extract_resource(
        b'x=n.p+"static/media/photo.4f3a.jpg";y="/abs/b.jpg"',
        "https://school.example/app.js",
        "text/javascript",
        "https://school.example/gallery/",
        SCOPE,
    )
    found = {(d.url, d.speculative) for d in js.discoveries}
    assert found == {
        ("https://school.example/gallery/static/media/photo.4f3a.jpg", True),
        ("https://school.example/static/media/photo.4f3a.jpg", True),
        ("https://school.example/abs/b.jpg", False),
    }


def test_lazy_background_in_data_attribute() -> None:
    e = extract_html(b'<div data-bg="url(/img/lazy-bg.jpg)"></div>', "https://school.example/", SCOPE)
    assert urls(e, "css") == {"https://school.example/img/lazy-bg.jpg"}


def test_meta_charset_is_honoured_without_a_header() -> None:
    body = '<meta charset="windows-1252"><title>Caf\u00e9</title>'.encode("cp1252")
    assert extract_html(body, "https://school.example/", SCOPE).title == "Caf\u00e9"
