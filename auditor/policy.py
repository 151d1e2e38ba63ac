"""``auditor policy``: the site-wide AI-training reservations a school can publish, written as files to copy.

Each file comes with what it does and what it does not do (``README.txt``): every one of them is a request that
reputable crawlers and model trainers honour, none of them stops a scraper, and only fixing the photos themselves
(``auditor fix``) removes what a scraper would take. The robots.txt block names the crawlers of the same maintained
list the scan compares a site's robots.txt with (:func:`auditor.crawl.robots.ai_crawler_tokens`), so a site that
publishes it passes that part of ``ai_training_not_reserved``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from auditor.crawl.robots import ai_crawler_list, ai_crawler_tokens, ignoring_robots
from auditor.files import write_atomic

META_TAGS = '<meta name="robots" content="noai, noimageai">\n<meta name="tdm-reservation" content="1">\n'


def robots_block() -> str:
    """One robots.txt group that disallows every AI-training crawler on the list (a crawler that reads only the
    group named for it is named here, so the rule reaches it)."""
    lines = [
        f"# AI-training crawlers: written by auditor policy on {date.today().isoformat()}",
        f"# from {ai_crawler_list()}.",
        "# Add this group to your robots.txt; it leaves search engines and every other crawler as they are.",
    ]
    ignoring = ignoring_robots()
    if ignoring:
        lines.append(
            f"# These operators do not promise to obey robots.txt; block them at the server too: {', '.join(ignoring)}"
        )
    lines += [f"User-agent: {token}" for token in ai_crawler_tokens()]
    lines.append("Disallow: /")
    return "\n".join(lines) + "\n"


def tdmrep(policy_url: str | None) -> str:
    """``/.well-known/tdmrep.json`` (W3C TDMRep): text and data mining reserved for the whole site."""
    rule: dict[str, object] = {"location": "/", "tdm-reservation": 1}
    if policy_url:
        rule["tdm-policy"] = policy_url
    return json.dumps([rule], indent=2) + "\n"


def headers(policy_url: str | None) -> str:
    policy = f'\n    add_header tdm-policy "{policy_url}" always;' if policy_url else ""
    apache_policy = f'\n  Header set tdm-policy "{policy_url}"' if policy_url else ""
    return (
        "# HTTP response headers for every page and image (the header covers images, which carry no meta tag).\n"
        "X-Robots-Tag: noai, noimageai\n"
        "tdm-reservation: 1\n\n"
        "# nginx (inside the server block):\n"
        '    add_header X-Robots-Tag "noai, noimageai" always;\n'
        f'    add_header tdm-reservation "1" always;{policy}\n\n'
        "# Apache (.htaccess or the virtual host, with mod_headers):\n"
        "<IfModule mod_headers.c>\n"
        '  Header set X-Robots-Tag "noai, noimageai"\n'
        f'  Header set tdm-reservation "1"{apache_policy}\n'
        "</IfModule>\n"
    )


README = """What these files are, and what they can and cannot do
=====================================================

robots-ai.txt
    Paste into the robots.txt at the root of every site (one group; keep your other rules). Crawlers that collect
    pages for AI training read it before fetching and, if they follow the standard, stay away. Google-Extended and
    Applebot-Extended are switches, not crawlers: they keep your pages out of those companies' AI training without
    touching search. Some operators do not promise to obey robots.txt (listed at the top of the file): block them
    at your web server or CDN as well.

.well-known/tdmrep.json
    Publish at https://YOUR-SITE/.well-known/tdmrep.json. The W3C TDMRep protocol: it reserves text and data mining
    of the whole site, the machine-readable opt-out that EU law (Directive 2019/790, article 4(3)) recognises.

meta-tags.html
    Put both tags in the <head> of every page (your CMS's theme header). "noai, noimageai" asks AI crawlers not to
    use the page or its images; "tdm-reservation" is the page-level form of TDMRep.

headers.txt
    The same as HTTP headers, for web servers (nginx and Apache lines given). Headers also reach the images
    themselves, which carry no meta tags.

What none of this does
    These are requests. Reputable crawlers and model trainers honour them; a scraper that wants your pupils'
    photos ignores every one of them, and a photo already copied stays copied. They do not replace fixing the
    photos: publish smaller copies without metadata and without recognisable pupils where consent is missing
    (auditor fix writes a reservation into every copy it makes, and auditor scan shows what is left).
"""


def write_policy(out: Path, policy_url: str | None = None) -> list[Path]:
    """Write the files into ``out`` (created owner-only); returns their paths."""
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = {
        out / "robots-ai.txt": robots_block(),
        out / ".well-known" / "tdmrep.json": tdmrep(policy_url),
        out / "meta-tags.html": META_TAGS,
        out / "headers.txt": headers(policy_url),
        out / "README.txt": README,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    return list(files)
