"""Crawl-level checks: every registered check with a ``site`` finder (share links, AI-training reservation, open
directory listings, and any check added in ``auditor/checks/`` the same way) runs over the store once the crawl is
done; their findings replace the store's findings of those checks, so re-running after a resume gives the same
result.
"""

from __future__ import annotations

from auditor.checks import REGISTRY
from auditor.models import Finding
from auditor.store import Store


def run_site_checks(store: Store) -> list[Finding]:
    """Run every crawl-level check and store its findings (replacing earlier ones of the same checks)."""
    finders = {c.id: c.site for c in REGISTRY.values() if c.site is not None}
    findings = [f for find in finders.values() for f in find(store)]
    store.replace_findings(list(finders), findings)
    return findings
