"""The crawl stage: fetch in-scope pages and every asset they expose into the store.

Modules: ``urls`` (normalize, classify), ``scope`` (what may be fetched), ``robots`` (robots.txt, AI-crawler
rules), ``fetch`` (httpx with limits and retries), ``extract`` / ``scripts`` / ``sitemaps`` (find URLs),
``render`` (Playwright), ``sharelinks`` (provider catalogue and classification), ``crawler`` (the loop).
This package never imports :mod:`auditor.analyze`.
"""
