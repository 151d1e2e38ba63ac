import pytest

from auditor.crawl.urls import (
    BadUrl,
    classify,
    extension,
    normalize,
    parent_directories,
    route_of_chunk,
    try_normalize,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a/../b/./c?b=2&a=1#frag", "http://example.com/b/c?a=1&b=2"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/%7euser/a%2fb", "https://example.com/~user/a%2Fb"),
        ("https://example.com/a b.jpg", "https://example.com/a%20b.jpg"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://example.com/dir/", "https://example.com/dir/"),
        ("https://example.com/?", "https://example.com/"),
    ],
)
def test_normalize_gives_one_spelling(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_relative_urls_resolve_against_the_base() -> None:
    base = "https://school.example/news/index.html"
    assert normalize("../img/a.jpg", base) == "https://school.example/img/a.jpg"
    assert normalize("//cdn.example/p.JPG?v=1", base) == "https://cdn.example/p.JPG?v=1"
    assert normalize("\\img\\b.png", base) == "https://school.example/img/b.png"


@pytest.mark.parametrize("raw", ["mailto:office@school.example", "javascript:void(0)", "ftp://x/", "http://", ""])
def test_non_http_urls_are_rejected(raw: str) -> None:
    assert try_normalize(raw, "https://school.example/") is None
    if raw:
        with pytest.raises(BadUrl):
            normalize(raw)


def test_fragment_kept_only_when_asked() -> None:
    url = "https://www.icloud.com/sharedalbum/#B0abc"
    assert normalize(url) == "https://www.icloud.com/sharedalbum/"
    assert normalize(url, keep_fragment=True) == url


def test_classify_by_extension() -> None:
    assert classify("https://s.example/a.JPG?x=1") == "image"
    assert classify("https://s.example/letter.pdf") == "document"
    assert classify("https://s.example/app.js") == "resource"
    assert classify("https://s.example/film.mp4") == "video"
    assert classify("https://s.example/news/") == "page"
    assert extension("https://s.example/a.tar.GZ") == "gz"


def test_parent_directories_nearest_first_never_root() -> None:
    assert parent_directories("https://s.example/uploads/2023/05/a.jpg") == [
        "https://s.example/uploads/2023/05/",
        "https://s.example/uploads/2023/",
        "https://s.example/uploads/",
    ]
    assert parent_directories("https://s.example/a.jpg") == []


def test_normalizing_is_idempotent_and_dot_segments_never_survive() -> None:
    from auditor.crawl.urls import normalize

    for url in ("http://h/%2e%2e/%2e%2e/x.jpg", "http://h/a/%2E%2E/b", "http://h/a/./%2e/b/"):
        once = normalize(url)
        assert normalize(once) == once and "/.." not in once and "/./" not in once
    assert normalize("http://h/%2e%2e/%2e%2e/x.jpg") == "http://h/x.jpg"


@pytest.mark.parametrize(
    ("chunk", "route"),
    [
        ("/_app/immutable/pages/gallery.svelte-3f9c2a7b.js", "/gallery"),
        ("/_app/immutable/pages/index.svelte-3f9c2a7b.js", "/"),
        ("/_app/immutable/pages/events/sports-day.svelte-ab12cd34.js", "/events/sports-day"),
        ("/_next/static/chunks/pages/team-members-3f9c2a7b1234.js", "/team-members"),
        ("/_nuxt/pages/gallery.3f9c2a.js", "/gallery"),
        ("/_app/immutable/pages/__layout.svelte-ab12cd.js", None),
        ("/_app/immutable/pages/blog/[slug].svelte-abcdef1.js", None),
        ("/_next/static/chunks/pages/_app-abcdef12.js", None),
        ("/_app/immutable/start-abcdef1.js", None),
        ("/js/pages/gallery.js", None),
    ],
)
def test_a_routes_script_chunk_names_its_route(chunk: str, route: str | None) -> None:
    assert route_of_chunk("https://school.example" + chunk) == (route and "https://school.example" + route)
