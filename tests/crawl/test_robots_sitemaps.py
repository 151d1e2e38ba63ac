import gzip

from auditor.crawl.robots import RobotsPolicy, ai_crawler_tokens
from auditor.crawl.sitemaps import parse_sitemap

ROBOTS = """User-agent: *
Disallow: /private/
Crawl-delay: 0.5

User-agent: GPTBot
Disallow: /
Sitemap: https://school.example/sitemap.xml
"""


def test_robots_rules_delay_and_sitemaps() -> None:
    policy = RobotsPolicy(ROBOTS, 200)
    assert not policy.allows("https://school.example/private/a.html")
    assert policy.allows("https://school.example/news/")
    assert policy.crawl_delay() == 0.5
    assert policy.sitemaps() == ["https://school.example/sitemap.xml"]
    blocked, allowed, ignoring = policy.ai_crawlers_blocked("https://school.example/")
    assert blocked == ["GPTBot"] and ignoring == []
    assert set(allowed) == set(ai_crawler_tokens()) - {"GPTBot"}


def test_ai_crawlers_come_from_the_maintained_list_and_its_caveats() -> None:
    """The maintained table's training and dataset crawlers are compared (dozens, not the project's 16), plus the
    project's own; a crawler that reads only its own group is not stopped by ``*``, and a blocked crawler whose
    operator disputes robots.txt is named so the school blocks it at the server too."""
    tokens = ai_crawler_tokens()
    assert len(tokens) >= 40 and {"GPTBot", "CCBot", "img2dataset", "LAIONDownloader", "PerplexityBot"} <= set(tokens)
    everything = RobotsPolicy("User-agent: *\nDisallow: /\n", 200)
    blocked, allowed, ignoring = everything.ai_crawlers_blocked("https://school.example/")
    assert "YandexAdditional" in allowed and "GPTBot" in blocked and "img2dataset" in blocked
    assert {"Bytespider", "LAIONDownloader"} <= set(ignoring) <= set(blocked)
    named = RobotsPolicy("User-agent: YandexAdditional\nDisallow: /\n", 200)
    assert "YandexAdditional" in named.ai_crawlers_blocked("https://school.example/")[0]
    none = RobotsPolicy("", 404).ai_crawlers_blocked("https://school.example/")
    assert none[0] == [] and set(none[1]) == set(tokens)


def test_robots_status_rules_follow_rfc_9309() -> None:
    assert RobotsPolicy("", 404).allows("https://s.example/x")
    assert not RobotsPolicy("", 503).allows("https://s.example/x")
    assert not RobotsPolicy("", None).allows("https://s.example/x")
    assert RobotsPolicy("\x00garbage{{\xff", 200).allows("https://s.example/x")


SITEMAP = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"><url><loc>https://s.example/a</loc>
 <image:image><image:loc>https://s.example/i.jpg</image:loc></image:image></url></urlset>"""


def test_sitemap_pages_images_and_gzip() -> None:
    for body in (SITEMAP, gzip.compress(SITEMAP)):
        content = parse_sitemap(body)
        assert content.pages == ["https://s.example/a"]
        assert content.images == ["https://s.example/i.jpg"]


def test_sitemap_index_and_garbage() -> None:
    index = parse_sitemap(b"<sitemapindex><sitemap><loc>https://s.example/s2.xml</loc></sitemap></sitemapindex>")
    assert index.sitemaps == ["https://s.example/s2.xml"] and index.pages == []
    assert parse_sitemap(b"<<<not xml").pages == []
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b"<urlset><url><loc>&b;</loc></url></urlset>"
    )
    assert all("aaaaaaaaaa" not in p for p in parse_sitemap(bomb).pages)
