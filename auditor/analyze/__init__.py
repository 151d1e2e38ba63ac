"""The analysis stage: read what the crawl stored, write findings. Never fetches anything itself."""
