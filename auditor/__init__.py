"""Exposure Auditor: which of our public photos could be harvested, and what do we fix first?

The package is a pipeline whose stages talk only through the small models in :mod:`auditor.models`:
``crawl`` (fetch pages and assets into the store) → ``analyze`` (turn stored data into findings) → ``report``
(``findings.json`` and ``report.html``). :mod:`auditor.cli` builds one :class:`auditor.config.ScanConfig` and
passes it down.
"""

__version__ = "0.1.0"
TOOL_NAME = "exposure-auditor"
