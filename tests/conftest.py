"""Fixtures for tests that talk to the loopback spec server (tests/spec_server.py) with a real RSA key.

Test modules that define their own ``key`` or ``server`` fixture use theirs instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.spec_server import SpecServer


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def shared_server(key: rsa.RSAPrivateKey) -> Iterator[SpecServer]:
    """One server per test module: starting one costs a spec load, and stopping one half a second."""
    with SpecServer(key.public_key()) as srv:
        yield srv


@pytest.fixture
def server(shared_server: SpecServer) -> SpecServer:
    """The module's server with no scripts, faults or recorded calls left by an earlier test."""
    shared_server.reset()
    return shared_server
