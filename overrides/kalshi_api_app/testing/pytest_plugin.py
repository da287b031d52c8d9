"""The ``fake_kalshi`` pytest fixture, registered for every project that installs kalshi-api (a ``pytest11``
entry point). The fake is imported only when a test asks for it, so pytest starts as fast as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kalshi_api.testing import FakeKalshi


@pytest.fixture
def fake_kalshi() -> Iterator[FakeKalshi]:
    """A running ``FakeKalshi`` with its default markets; ``fake_kalshi.client()`` talks to it."""
    from kalshi_api.testing import FakeKalshi

    with FakeKalshi() as fake:
        yield fake
