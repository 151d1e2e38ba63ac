"""``unlisted_upload``: an upload that no page shows, handed to anyone by the site's own API.

A school's staff see the pages; a scraper also reads the media list WordPress publishes (``/wp-json/wp/v2/media``),
or Drupal's JSON:API file list (``/jsonapi/file/file``), which names every upload, including photos attached to
nothing, left from a draft, or replaced on the page but never deleted. Those are invisible to the school and fully
visible to a scraper, so they are reported as such (the other checks read them like any photo: faces, GPS, size).
An upload counts as shown when a page other than its own attachment page shows any of its sizes; one attached to a
post is judged only when the scan reached that post (the source queues it), never on pages the crawl did not
reach; a file Drupal's list gives (which says nothing of where it is used) is judged only when no limit stopped
the crawl before every page it found. Files an open folder listing reveals are ``directory_listing``'s.
"""

from __future__ import annotations

from auditor.checks._check import Cause, Check, array, string
from auditor.models import Finding, Subject
from auditor.store import Store

DRUPAL_ADVICE = (
    "Delete files no page uses (Drupal: Content > Files shows each file's usage; check each before deleting). "
    "To stop the list being public: if nothing uses JSON:API (a decoupled front end, an app), uninstall the core "
    "JSON:API module (Extend > Uninstall); otherwise the JSON:API Extras module can disable the file resource "
    "(file--file) alone. Files stay reachable at their own addresses, so delete what no page needs."
)
ADVICE = (
    "Delete uploads no page uses (WordPress: Media > Library, list view, filter 'Unattached'; check each before "
    "deleting). To stop the list being public, a small must-use plugin (a PHP file in wp-content/mu-plugins/) can "
    "require a login for the media endpoints: filter 'rest_endpoints' to remove '/wp/v2/media' for visitors who "
    "are not logged in. That hides the list from scrapers and breaks nothing the public site shows; staff still use "
    "the media library logged in. Do not disable the whole REST API: the block editor and many plugins need it."
)


def find(store: Store) -> list[Finding]:
    """One finding per upload the API lists and no page shows, on its largest fetched size."""
    listed = store.api_listed()  # asset URL -> its attachment page
    if not listed:
        return []
    shown = store.shown_by_pages()
    # An upload attached to a post is judged only when the scan reached that post's page: a post the crawl did
    # not reach (--max-pages, a page that failed) may well show it.
    reached = {p.url for p in store.page_records() if p.status is not None and p.status < 400}
    skipped = store.skipped_counts()
    whole_crawl = not skipped["max_pages"] and not skipped["time_budget"]
    parents: dict[str, str] = store.get_meta("api_parents") or {}
    groups: dict[str, set[str]] = {}
    for key, url in store.variant_links():
        groups.setdefault(key, set()).add(url)
    group_of = {url: frozenset(members) for members in groups.values() for url in members}
    contents = store.contents()
    findings, seen = [], set()
    for url in sorted(listed):
        members = group_of.get(url, frozenset({url}))
        parent = next((parents[m] for m in sorted(members) if m in parents), None)
        if members in seen or members & shown or (parent is not None and parent not in reached):
            continue
        drupal = "/jsonapi/" in listed[url]
        if drupal and not whole_crawl:
            continue
        seen.add(members)
        fetched = [(contents[m][1], m) for m in members if m in contents]
        largest = max(fetched)[1] if fetched else url
        page = listed.get(largest, listed[url])
        subject = Subject(largest, page, contents[largest][0] if largest in contents else largest)
        listed_by = "the Drupal JSON:API file list" if drupal else "the WordPress media list"
        evidence = {"listed_by": listed_by, "attachment_page": page, "sizes": sorted(members)}
        advice = DRUPAL_ADVICE if drupal else ADVICE
        findings.append(
            subject.finding(
                "unlisted_upload", "medium", "An upload no page shows, listed by the site's API", evidence, advice
            )
        )
    return findings


CHECK = Check(
    id="unlisted_upload",
    order=105,
    name="Uploads no page shows",
    stage="crawl",
    severities=("medium",),
    severity_rule="medium",
    means=(
        "The site's own API (the WordPress media list, Drupal's JSON:API file list) hands anyone an upload that no "
        "page of the site shows."
    ),
    why="Staff never see it, so nobody reviews it; a scraper reads the list and takes every file in it.",
    reliability="Exact for what the API lists; 'no page shows' is judged on the pages this scan reached.",
    fix="Delete uploads no page uses; require a login for the media list (a must-use plugin), not the whole API.",
    evidence={
        "listed_by": string(),
        "attachment_page": string(
            description="the upload's own page, which only the API links to (WordPress), or the page of the list "
            "that names it (Drupal)"
        ),
        "sizes": array(string(), "every size of the upload the list gives"),
    },
    site=find,
    causes=(
        Cause(
            "site",
            "The media library is public: {n} uploads no page shows",
            "Delete the uploads no page uses (WordPress: Media > Library, 'Unattached'), and require a login for the "
            "list (WordPress: a must-use plugin; Drupal: JSON:API Extras; see each finding); keep the rest of the "
            "REST API, which the editor needs.",
        ),
    ),
)
