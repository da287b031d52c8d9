"""The kalshi-api generator: pinned specs -> IR -> Jinja templates -> the ``kalshi_api`` package."""
