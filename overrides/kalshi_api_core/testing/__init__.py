"""An in-process fake Kalshi exchange (REST and WebSocket on loopback) for testing bots offline.

Import it as ``from kalshi_api.testing import FakeKalshi``: the generated module binds the route table of
the spec to ``fake.FakeExchange``. This package is the one part of ``kalshi_api_core`` that imports the
generated ``kalshi_api`` package, because a fake of the whole API answers with its models. It imports
nothing here, so loading the pytest plugin (``pytest_plugin``) costs nothing until a test uses the fixture.
"""
