from auditor.crawl.scripts import asset_literals_in_js, asset_strings_in_json, looks_like_asset_path, urls_in_css


def test_js_bundle_literals() -> None:
    source = r"""const a=["/gallery/img/sports-1.jpg",'images/p2.webp?v=3', `/x/${y}.jpg`, "\/docs\/letter.pdf",
      "hello world.jpg", "https://drive.google.com/drive/folders/abc", "/api/data.json", "1.2.3", "x\u002Fy.png"];"""
    assert asset_literals_in_js(source) == [
        "/gallery/img/sports-1.jpg",
        "images/p2.webp?v=3",
        "/docs/letter.pdf",
        "https://drive.google.com/drive/folders/abc",
        "/api/data.json",
        "x/y.png",
    ]


def test_json_walk_and_fallback() -> None:
    assert asset_strings_in_json('{"p":[{"src":"/i/a.JPG","t":"x"}],"n":{"d":"https://cdn.example/b.png"}}') == [
        "/i/a.JPG",
        "https://cdn.example/b.png",
    ]
    assert asset_strings_in_json('{"broken": "/i/c.jpg",') == ["/i/c.jpg"]


def test_css_urls_and_imports() -> None:
    urls, imports = urls_in_css(
        'body{background:url("../img/bg.jpg")} .a{background-image:url(x.png)} @import "more.css";'
        ".b{background:url(data:image/png;base64,AA)}"
    )
    assert urls == ["../img/bg.jpg", "x.png"]
    assert imports == ["more.css"]


def test_asset_path_shapes() -> None:
    assert looks_like_asset_path("/a/b.jpeg")
    assert looks_like_asset_path("https://x.example/a.pdf?dl=1")
    assert not looks_like_asset_path("react.production.min.js")
    assert not looks_like_asset_path("data:image/png;base64,AAAA.png")
    assert not looks_like_asset_path("two words.jpg")
