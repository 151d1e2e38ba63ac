"""Starting URLs typed without a scheme (``school.example``, ``127.0.0.1:8765``): https first, then http, as a
browser does, and the choice is said so the user knows which site was audited."""

from __future__ import annotations

import httpx

from auditor.errors import HTTPX_ERRORS, describe_network_error


def _answers(url: str, timeout: float, user_agent: str) -> str | None:
    """``None`` when ``url`` gives any HTTP answer (even an error status: the scheme works), else why not."""
    try:
        with (
            httpx.Client(timeout=timeout, headers={"User-Agent": user_agent}, follow_redirects=False) as client,
            client.stream("GET", url),
        ):
            return None
    except HTTPX_ERRORS as exc:
        return describe_network_error(exc)[0]


def with_scheme(text: str, timeout: float, user_agent: str) -> tuple[str, str]:
    """(the URL to crawl, a sentence saying which scheme was chosen and why)."""
    https = f"https://{text}"
    why_not = _answers(https, timeout, user_agent)
    if why_not is None:
        return https, f"{text}: no scheme given; https answers, so {https} is audited"
    http = f"http://{text}"
    if _answers(http, timeout, user_agent) is None:
        return http, f"{text}: no scheme given; https did not answer ({why_not}), so {http} is audited"
    return https, f"{text}: no scheme given; neither https nor http answered, so {https} is tried"
