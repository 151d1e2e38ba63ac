"""The on-disk store of one scan, and the only code that runs SQL: SQLite (frontier, pages, assets, hosts, share
links, findings, errors) plus a content-addressed folder of fetched bodies; and the scan history under
``--state`` (:mod:`auditor.store.history`).

Every step of the crawl is one transaction (a page's discoveries are committed together with the mark that the
page is done), so a ``kill -9`` at any moment leaves a store that the same command resumes. Stages call the
methods below with and for the types of :mod:`auditor.models`; none of them sees a table or a query.

================  =======================================================================================
module            what it keeps
================  =======================================================================================
``schema``        the tables, and the column upgrades for an ``--out`` written by an older version
``base``          connection, lock, meta values, transactions, blobs, errors
``frontier``      pages: queueing, ranking, the page budget, what each page was
``assets``        images and documents: where found, what fetching gave, sizes, text beside, share links
``hosts``         robots.txt and TDMRep per host
``results``       findings, facts, faces, redacted thumbnails
``history``       earlier scans of the same seeds, and the face cache (``--state``)
================  =======================================================================================
"""

from __future__ import annotations

from auditor.store.assets import AssetStore
from auditor.store.frontier import FrontierItem, FrontierStore
from auditor.store.hosts import HostStore
from auditor.store.results import AnalysisResults, AssetRow, ResultStore
from auditor.store.schema import upgrade_columns

__all__ = ["AnalysisResults", "AssetRow", "FrontierItem", "Store", "upgrade_columns"]


class Store(FrontierStore, AssetStore, HostStore, ResultStore):
    """One scan's SQLite database and blob folder inside ``--out``. Holds an exclusive lock while open."""
