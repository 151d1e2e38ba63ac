"""Assets: where each image and document was found (sources), what fetching it gave, the copy kept from the
previous scan, the sizes a page displays it at, which URLs are sizes of one photo, the text beside it, guessed
originals, cached scripts and stylesheets, and the share links pages point to."""

from __future__ import annotations

import sqlite3

from auditor.models import Discovery, FetchedAsset, PreviousCopy
from auditor.store.base import StoreBase


class AssetStore(StoreBase):
    # -- discoveries --------------------------------------------------------------------------------------------
    def add_asset(self, d: Discovery, page: str, allow_new: bool = True) -> str:
        """An image or document seen on ``page`` (a speculative URL stays speculative until seen for sure).
        Returns ``new``, ``known`` (another page of an asset already recorded) or ``refused`` (a new one while
        ``allow_new`` is false: the crawl's ``--max-assets`` is reached)."""
        known = self.is_asset(d.url)
        if not known and not allow_new:
            return "refused"
        self.db.execute(
            """INSERT INTO assets (url, type, speculative) VALUES (?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET speculative = MIN(speculative, excluded.speculative)""",
            (d.url, d.kind, int(d.speculative)),
        )
        self.db.execute(
            """INSERT INTO sources (asset_url, page_url, via, rendered_w, rendered_h) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT DO UPDATE SET
               rendered_w = COALESCE(excluded.rendered_w, rendered_w),
               rendered_h = COALESCE(excluded.rendered_h, rendered_h)""",
            (d.url, page, d.via, d.rendered_width, d.rendered_height),
        )
        return "known" if known else "new"

    def asset_count(self) -> int:
        return self.count("assets")

    def add_local_file(self, url: str, kind: str, size: int, sha256: str, content_type: str | None) -> None:
        """A file given to ``auditor check``: already "fetched"."""
        self.db.execute(
            """INSERT OR REPLACE INTO assets (url, type, state, bytes, sha256, content_type)
               VALUES (?, ?, 'done', ?, ?, ?)""",
            (url, kind, size, sha256, content_type),
        )

    def add_unreadable_file(self, url: str, kind: str) -> None:
        """A file given to ``auditor check`` that could not be read (its error says why)."""
        self.db.execute("INSERT OR REPLACE INTO assets (url, type, state) VALUES (?, ?, 'error')", (url, kind))

    def add_guess(self, guess: str, of_url: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO guesses (url, of_url) VALUES (?, ?)", (guess, of_url))

    def add_variants(self, key: str, urls: list[str], how: str) -> None:
        """``urls`` are sizes of one picture (``how``: ``markup`` from a srcset, ``guessed`` from a CMS name)."""
        self.db.executemany("INSERT OR IGNORE INTO variants VALUES (?, ?, ?)", [(key, u, how) for u in urls])

    def add_image_context(self, page: str, rows: list[tuple[str, str, str]]) -> None:
        """Text beside images on ``page``: (image url, where, text)."""
        self.db.executemany(
            "INSERT OR IGNORE INTO image_context VALUES (?, ?, ?, ?)",
            [(url, page, where, text) for url, where, text in rows],
        )

    def set_declared_size(self, url: str, page: str, width: int, height: int) -> None:
        self.db.execute(
            "UPDATE sources SET declared_w = ?, declared_h = ? WHERE asset_url = ? AND page_url = ?",
            (width, height, url, page),
        )

    def add_share_link(self, url: str, provider: str, page: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO share_links (url, provider) VALUES (?, ?)", (url, provider))
        self.db.execute("INSERT OR IGNORE INTO share_sources VALUES (?, ?)", (url, page))

    # -- fetching -----------------------------------------------------------------------------------------------
    def pending_assets(self) -> list[str]:
        return [u for (u,) in self.db.execute("SELECT url FROM assets WHERE state = 'pending' ORDER BY url")]

    def set_asset_state(self, url: str, state: str) -> None:
        """``robots`` (a rule kept it out) or ``error`` (the fetch failed: the errors say why)."""
        self.db.execute("UPDATE assets SET state = ? WHERE url = ?", (state, url))

    def is_speculative(self, url: str) -> bool:
        row = self.db.execute("SELECT speculative FROM assets WHERE url = ?", (url,)).fetchone()
        return bool(row and row[0])

    def asset_type(self, url: str) -> str | None:
        row = self.db.execute("SELECT type FROM assets WHERE url = ?", (url,)).fetchone()
        return str(row[0]) if row else None

    def is_asset(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM assets WHERE url = ?", (url,)).fetchone() is not None

    def record_fetched(self, url: str, fetched: FetchedAsset) -> None:
        self.db.execute(
            """UPDATE assets SET state = 'done', status = ?, final_url = ?, content_type = ?, bytes = ?, sha256 = ?,
               noai = ?, last_modified = ?, etag = ? WHERE url = ?""",
            (
                fetched.status,
                fetched.final_url,
                fetched.content_type,
                fetched.bytes,
                fetched.sha256,
                int(fetched.noai),
                fetched.last_modified,
                fetched.etag,
                url,
            ),
        )

    def record_not_modified(
        self, url: str, previous: PreviousCopy, last_modified: str | None, etag: str | None
    ) -> None:
        """The server said 304: the copy kept from the previous scan stands for this one."""
        self.db.execute(
            """UPDATE assets SET state = 'done', status = 200, final_url = ?, content_type = ?, bytes = ?,
               sha256 = ?, noai = ?, last_modified = ?, etag = ?, not_modified = 1 WHERE url = ?""",
            (
                previous.final_url,
                previous.content_type,
                previous.bytes,
                previous.sha256,
                int(previous.noai),
                last_modified,
                etag,
                url,
            ),
        )

    def previous_asset(self, url: str) -> PreviousCopy | None:
        """What the previous scan in this folder fetched at ``url``, when its stored copy is still here."""
        row = self.db.execute(
            """SELECT url, final_url, content_type, bytes, sha256, noai, last_modified, etag FROM previous_assets
               WHERE url = ?""",
            (url,),
        ).fetchone()
        if row is None:
            return None
        found = PreviousCopy(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7])
        return found if self.blob_path(found.sha256).is_file() else None

    def assets_fetched(self) -> int:
        return self.count("assets", "state = 'done'")

    def known_counts(self) -> tuple[int, int]:
        """(pages, assets) found so far, to be fetched or fetched (probes that found nothing are not pages)."""
        pages = self.count(
            "pages", "(state = 'pending' AND probe = 0) OR (state = 'done' AND (probe = 0 OR status < 400))"
        )
        return pages, self.count("assets", "state IN ('pending', 'done')")

    def not_modified_count(self) -> int:
        return self.count("assets", "not_modified = 1")

    # -- guessed originals --------------------------------------------------------------------------------------
    def pending_guesses(self) -> list[tuple[str, str]]:
        """(guessed URL, the URL it is the original of)."""
        rows = self.db.execute("SELECT url, of_url FROM guesses WHERE state = 'pending' ORDER BY url").fetchall()
        return [(u, o) for u, o in rows]

    def finish_guess(self, url: str, status: int | None) -> None:
        self.db.execute("UPDATE guesses SET state = 'done', status = ? WHERE url = ?", (status, url))

    def pages_of(self, asset_url: str) -> list[str]:
        """Every page an asset was found on."""
        rows = self.db.execute("SELECT DISTINCT page_url FROM sources WHERE asset_url = ?", (asset_url,)).fetchall()
        return [p for (p,) in rows]

    # -- scripts, stylesheets and JSON, parsed once per scan ----------------------------------------------------
    def cached_resource(self, url: str) -> str | None:
        row = self.db.execute("SELECT payload FROM resources WHERE url = ?", (url,)).fetchone()
        return str(row[0]) if row is not None else None

    def put_resource(self, url: str, payload: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO resources (url, payload) VALUES (?, ?)", (url, payload))

    # -- share links --------------------------------------------------------------------------------------------
    def unchecked_share_links(self) -> list[str]:
        return [u for (u,) in self.db.execute("SELECT url FROM share_links WHERE access IS NULL ORDER BY url")]

    def set_share_access(
        self,
        url: str | None,
        access: str,
        status: int | None = None,
        redirect: str | None = None,
        detail: str | None = None,
    ) -> None:
        """What the one anonymous request to the provider showed; ``url`` None: every link not checked yet."""
        if url is None:
            self.db.execute("UPDATE share_links SET access = ?, detail = ? WHERE access IS NULL", (access, detail))
            return
        self.db.execute(
            "UPDATE share_links SET access = ?, status = ?, redirect = ?, detail = ? WHERE url = ?",
            (access, status, redirect, detail, url),
        )

    def share_links(self) -> list[tuple[str, str, str | None, int | None, str | None, str | None, list[str]]]:
        """(url, provider, access, status, redirect, detail, pages it is on) for every share link found."""
        rows = self.db.execute(
            "SELECT url, provider, access, status, redirect, detail FROM share_links ORDER BY url"
        ).fetchall()
        out = []
        for url, provider, access, status, redirect, detail in rows:
            pages = [
                p
                for (p,) in self.db.execute(
                    "SELECT page_url FROM share_sources WHERE url = ? ORDER BY page_url", (url,)
                )
            ]
            out.append((url, provider, access, status, redirect, detail, pages))
        return out

    # -- what the analysis reads --------------------------------------------------------------------------------
    def fetched(
        self,
        kind: str,
        reader: sqlite3.Connection | None = None,
        originals_only: bool = False,
        finished_only: bool = False,
    ) -> list[tuple[str, str]]:
        """(url, sha256) of every ``kind`` (image/document) with a stored body, by URL. ``originals_only``: not
        those extracted from documents; ``reader``: a read-only connection, for a thread watching the crawl."""
        where = "sha256 IS NOT NULL AND type = ?"
        if originals_only:
            where += " AND derived_from IS NULL"
        if finished_only:
            where += " AND state = 'done'"
        rows = (reader or self.db).execute(f"SELECT url, sha256 FROM assets WHERE {where} ORDER BY url", (kind,))
        return [(u, s) for u, s in rows.fetchall()]

    def replace_document_images(self) -> None:
        """Forget the images taken out of documents by an earlier run of the analysis (it takes them out again)."""
        with self.transaction():
            self.db.execute("DELETE FROM sources WHERE via = 'document'")
            self.db.execute("DELETE FROM assets WHERE derived_from IS NOT NULL")

    def add_document_image(self, url: str, document: str, size: int, sha256: str) -> None:
        """An image inside a document: an asset of its own, found ``via: document`` on the document."""
        self.db.execute(
            """INSERT OR REPLACE INTO assets (url, type, state, bytes, sha256, derived_from)
               VALUES (?, 'image', 'done', ?, ?, ?)""",
            (url, size, sha256, document),
        )
        self.db.execute(
            "INSERT OR IGNORE INTO sources (asset_url, page_url, via) VALUES (?, ?, 'document')", (url, document)
        )

    def context_texts(self, asset_url: str) -> list[str]:
        """The pages an image is on, their titles and the text beside it: what says it is a school photo."""
        texts: list[str] = []
        for page, title in self.db.execute(
            "SELECT s.page_url, p.title FROM sources s LEFT JOIN pages p ON p.final_url = s.page_url "
            "WHERE s.asset_url = ?",
            (asset_url,),
        ):
            texts += [page or "", title or ""]
        texts += [t for (t,) in self.db.execute("SELECT text FROM image_context WHERE asset_url = ?", (asset_url,))]
        return texts

    def image_texts(self, asset_url: str) -> list[str]:
        """The text beside an image itself (alt text, caption, title), without its pages' URLs and titles."""
        return [t for (t,) in self.db.execute("SELECT text FROM image_context WHERE asset_url = ?", (asset_url,))]

    def image_contexts(self) -> list[tuple[str, str, str, str]]:
        """(image url, page, where, text) for every text seen beside an image."""
        rows = self.db.execute(
            'SELECT asset_url, page_url, "where", text FROM image_context ORDER BY asset_url, page_url, "where", text'
        ).fetchall()
        return [(a, p, w, t) for a, p, w, t in rows]

    def variant_links(self) -> list[tuple[str, str]]:
        """(group key, url): URLs the markup or a CMS's naming says are sizes of one picture."""
        rows = self.db.execute("SELECT group_key, url FROM variants ORDER BY group_key, url").fetchall()
        return [(k, u) for k, u in rows]

    def guessed_variants(self) -> dict[str, str]:
        """URL -> how it was found, for sizes no markup gave: ``guessed`` (a CMS's naming) or ``api`` (a media list)."""
        return dict(self.db.execute("SELECT url, how FROM variants WHERE how IN ('guessed', 'api')").fetchall())

    def api_listed(self) -> dict[str, str]:
        """Asset URL -> the page a site's API gave for it (its attachment page), for every file an API listed."""
        rows = self.db.execute("SELECT asset_url, MIN(page_url) FROM sources WHERE via = 'api' GROUP BY asset_url")
        return {u: p for u, p in rows.fetchall()}

    def shown_by_pages(self) -> set[str]:
        """Asset URLs a page shows or links (markup, scripts, styles, the rendered page, a document), not counting
        an API's own attachment page for the file, nor listings, sitemaps and guesses."""
        rows = self.db.execute(
            """SELECT DISTINCT o.asset_url FROM sources o
               WHERE o.via NOT IN ('api', 'guessed', 'listing', 'sitemap')
               AND NOT EXISTS (SELECT 1 FROM sources x WHERE x.asset_url = o.asset_url AND x.via = 'api'
                               AND x.page_url = o.page_url)"""
        )
        return {u for (u,) in rows.fetchall()}

    def display_sizes(self, url: str) -> list[tuple[int | None, int | None, int | None, int | None]]:
        """(rendered width, height, declared width, height) for each page an image is on."""
        rows = self.db.execute(
            "SELECT rendered_w, rendered_h, declared_w, declared_h FROM sources WHERE asset_url = ?", (url,)
        ).fetchall()
        return [(a, b, c, d) for a, b, c, d in rows]

    def contents(self) -> dict[str, tuple[str, int]]:
        """URL -> (sha256, bytes) of every asset with a stored body."""
        rows = self.db.execute("SELECT url, sha256, bytes FROM assets WHERE sha256 IS NOT NULL AND sha256 != ''")
        return {u: (s, b or 0) for u, s, b in rows.fetchall()}

    def image_bytes(self) -> list[tuple[str, int, str]]:
        """(url, bytes, sha256) of every fetched image."""
        rows = self.db.execute("SELECT url, bytes, sha256 FROM assets WHERE type = 'image' AND sha256 IS NOT NULL")
        return [(u, b, s) for u, b, s in rows.fetchall()]

    def image_counts(self) -> dict[str, int]:
        """Images that answered 200, and those whose response carried a noai/noimageai header."""
        where = "state = 'done' AND type = 'image' AND status = 200"
        return {"total": self.count("assets", where), "noai": self.count("assets", f"{where} AND noai = 1")}

    def listing_pages(self) -> list[tuple[str, list[str]]]:
        """(the listing's URL after redirects, the images and documents it lists) of every open directory index."""
        out = []
        for url, final in self.db.execute(
            "SELECT url, final_url FROM pages WHERE listing = 1 AND state = 'done' ORDER BY url"
        ).fetchall():
            page = final or url
            listed = [
                a
                for (a,) in self.db.execute(
                    "SELECT DISTINCT asset_url FROM sources WHERE page_url = ? AND via = 'listing' ORDER BY asset_url",
                    (page,),
                )
            ]
            out.append((page, listed))
        return out

    def first_page(self, asset_url: str, depth: int = 0) -> str | None:
        """The page a visitor sees the asset on, where a finding about it points the reader: a page the crawl was
        led to (not a folder it probed: a single-page app answers every folder, ``/_app/immutable/pages/``
        included, with its own shell), found in its HTML before a script, CSS or a sitemap, the nearest to the
        home page; then URL order. For a photo inside a document, the page that links the document."""
        row = self.db.execute(
            """SELECT s.page_url FROM sources s
               WHERE s.asset_url = ?
               ORDER BY
                 COALESCE((SELECT MIN(p.probe) FROM pages p WHERE p.url = s.page_url OR p.final_url = s.page_url), 0),
                 CASE s.via WHEN 'html' THEN 0 WHEN 'rendered' THEN 1 WHEN 'listing' THEN 3 ELSE 2 END,
                 COALESCE((SELECT MIN(p.depth) FROM pages p WHERE p.url = s.page_url OR p.final_url = s.page_url), 99),
                 s.page_url
               LIMIT 1""",
            (asset_url,),
        ).fetchone()
        if row is None:
            return None
        # A photo inside a document: the visitor sees the document on the page that links it (the asset's own
        # URL, "newsletter.pdf#page=1&image=0", already says which document).
        if depth < 2 and self.db.execute("SELECT 1 FROM assets WHERE url = ?", (row[0],)).fetchone():
            return self.first_page(row[0], depth + 1) or str(row[0])
        return str(row[0])

    def fixable(self) -> list[tuple[str, str, str]]:
        """(url, sha256, type) of every image and document a scan fetched itself, for ``auditor fix --from-scan``."""
        rows = self.db.execute(
            "SELECT url, sha256, type FROM assets WHERE type IN ('image', 'document', 'video') "
            "AND sha256 IS NOT NULL AND derived_from IS NULL ORDER BY url"
        ).fetchall()
        return [(u, s, t) for u, s, t in rows]
