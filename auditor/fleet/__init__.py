"""``auditor fleet``: many sites, each audited by the same ``auditor scan``, scheduled on Ray.

Why Ray and why a subprocess per site: Ray (an optional extra, ``exposure-auditor[fleet]``) places the work on one
machine's cores or a cluster's without a hand-written scheduler, and restarts what dies; each site's task runs the
very command a school would run (``auditor scan`` into ``OUT/sites/NAME`` with its own ``--state``), so a fleet's
results are a plain scan's, a site's scan resumes where a killed one stopped, and one site's crash is that site's
failure, never the fleet's. The driver records every finished site in ``OUT/fleet-state.json`` as soon as it
finishes, so re-running the same command finishes what was not finished and does not redo the rest.
"""
