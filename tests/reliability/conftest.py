"""Figures of the reliability suite: collected by the tests, written out on request for the report.

``KALSHI_RELIABILITY_FIGURES=path.json make test`` (or pytest) writes them; tests/reliability/README.md quotes
the last run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

FIGURES: dict[str, Any] = {}


def record(section: str, **values: Any) -> None:
    """Add to the figures of ``section`` (numbers add up, Counters merge, anything else is replaced)."""
    current = FIGURES.setdefault(section, {})
    for key, value in values.items():
        if isinstance(value, Counter):
            current[key] = dict(Counter(current.get(key, {})) + value)
        elif isinstance(value, int | float) and isinstance(current.get(key), int | float):
            current[key] += value
        else:
            current[key] = value


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("KALSHI_RELIABILITY_FIGURES")
    if target and FIGURES:
        Path(target).write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n", encoding="utf-8")
