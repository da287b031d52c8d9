"""Every operation of the pinned trade spec, called through KalshiClient and AsyncKalshiClient over loopback.

The checks are tests/operations_harness.py's ``OperationSuite`` (shared with the perps clients, in
tests/test_perps_operations.py): the arguments come from the spec (IR), the server (tests/spec_server.py)
routes by the spec's templates, checks RSA-PSS signatures with the public key and answers with schema-valid
samples, and each call is checked against the spec: method, URL-encoded path, query, JSON body, signing
headers and the declared return type. Nothing in the SDK is mocked.
"""

from __future__ import annotations

from codegen.families import TRADE
from kalshi_api.client import KalshiClient
from tests.operations_harness import Harness, Method, OperationSuite
from tests.spec_server import Reply, SpecServer

# cursor operations whose `_all` twin is followed over scripted pages: op -> item key to vary
PAGED = {"GetMarkets": "ticker", "GetFills": "fill_id", "GetPositions": "ticker"}
HARNESS = Harness(TRADE, paged=PAGED)


class TestTradeOperations(OperationSuite):
    harness = HARNESS

    def test_all_stops_at_max_pages(
        self, server: SpecServer, sync_client: KalshiClient, sync_methods: dict[str, Method]
    ) -> None:
        pages, keys = HARNESS.scripted_pages("GetMarkets", sync_methods["GetMarkets"].operation)
        assert pages[1]["cursor"]  # the second page still points to a third: max_pages stops the loop
        server.script("GetMarkets", *(Reply(200, page) for page in pages))
        items = list(sync_client.markets.list_all(max_pages=2))
        assert [item.ticker for item in items] == keys[:4]
        assert len(server.calls("GetMarkets")) == 2
