"""An in-process fake Kalshi exchange (REST and WebSocket on loopback) for testing bots offline.

Import it as ``from kalshi_api.testing import FakeKalshi``: the generated module binds the route table of
the spec to ``fake.FakeExchange``. A fake of the whole API answers with the generated models, so it sits in
the application layer, above the generated package. It imports nothing here, so loading the pytest plugin
(``pytest_plugin``) costs nothing until a test uses the fixture.
"""
