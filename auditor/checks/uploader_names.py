"""``uploader_names``: the site's API names the people who uploaded its photos, in full.

WordPress's users list (``/wp-json/wp/v2/users``) is public on most sites: it gives each account's display name,
and the media list says which account uploaded each photo. Where a display name is a person's full name, anyone
can tell who at the school publishes the photos of pupils (a target for phishing, or for pressure). Only accounts
that uploaded something the list shows, under a name of two words or more, are reported; only the name, its
upload count and the list's address are kept. The WordPress media source records them
(``auditor/crawl/sources/wordpress.py``).
"""

from __future__ import annotations

from auditor.checks._check import Check, array, integer, string
from auditor.models import Finding
from auditor.store import Store

ADVICE = (
    "Give the accounts that upload photos a display name that is not a full name (Users > Profile > 'Display "
    "name publicly as': a nickname or the school office), and require a login for the users list with a must-use "
    "plugin (filter 'rest_endpoints' to remove '/wp/v2/users' for visitors who are not logged in). Keep the rest "
    "of the REST API: the block editor needs it."
)


def find(store: Store) -> list[Finding]:
    found = []
    for record in store.get_meta("uploader_names") or []:
        evidence = {"list": record["list"], "names": record["names"], "uploads": record["uploads"]}
        count = len(record["names"])
        found.append(
            Finding(
                Finding.make_id("uploader_names", record["list"]),
                "uploader_names",
                "low",
                f"The site's API names {count} {'person' if count == 1 else 'people'} who upload its photos",
                None,
                record["list"],
                evidence,
                ADVICE,
            )
        )
    return found


CHECK = Check(
    id="uploader_names",
    order=106,
    name="Who uploads the photos, by name",
    stage="crawl",
    severities=("low",),
    severity_rule="low",
    means="The site's users list gives the full names of the accounts that uploaded its photos.",
    why="It tells a stranger who publishes the photos of pupils: a target for phishing or pressure.",
    reliability="Exact for what the list gives; a two-word display name is taken as a person's name.",
    fix="Use display names that are not full names; require a login for the users list, not the whole API.",
    evidence={
        "list": string(description="the users list's address"),
        "names": array(string(), "the display names of the accounts that uploaded"),
        "uploads": array(integer(), "how many uploads the media list shows for each, in the same order"),
    },
    name_fields=("names",),
    site=find,
)
