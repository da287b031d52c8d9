"""Tests for codegen/drift.py: spec drift reports between versions of Kalshi's OpenAPI and AsyncAPI specs."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codegen.drift import RULES, Change, DriftReport, diff_asyncapi, diff_openapi, drift, load_side, main
from codegen.load import load_asyncapi, load_openapi
from codegen.spec import SpecError, parse_document

ROOT = Path(__file__).resolve().parents[1]
SPECS_DIR = ROOT.parent / "shared" / "specs"
PINNED_OPENAPI = ROOT / "openapi" / "openapi.yaml"
PINNED_ASYNCAPI = ROOT / "asyncapi" / "asyncapi.yaml"
OPENAPI_3_13 = SPECS_DIR / "history" / "openapi-3.13.0.yaml"
OPENAPI_JUNE = SPECS_DIR / "history" / "openapi-3.22.0-20260622.yaml"
OPENAPI_JULY = SPECS_DIR / "openapi.yaml"
ASYNCAPI_APRIL = SPECS_DIR / "history" / "asyncapi-20260428.yaml"
ASYNCAPI_AUGUST = SPECS_DIR / "asyncapi.yaml"

needs_specs = pytest.mark.skipif(
    not SPECS_DIR.is_dir(), reason=f"upstream specs not present at {SPECS_DIR} (shared/ beside the checkout)"
)

Row = tuple[str, str, str, str, bool, str]


def _row(change: Change) -> Row:
    return (change.area, change.kind, change.subject, change.detail, change.breaking, change.rule)


def _rows(changes: Any) -> set[Row]:
    return {_row(change) for change in changes}


def _ignoring_detail(changes: Any) -> set[tuple[str, str, str, bool, str]]:
    return {(c.area, c.kind, c.subject, c.breaking, c.rule) for c in changes}


# --- real spec versions ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bump_3_13() -> DriftReport:
    return drift(str(OPENAPI_3_13), str(OPENAPI_JULY), None, None)


@needs_specs
def test_3_13_to_3_22_reports_new_operations_as_additive(bump_3_13: DriftReport) -> None:
    added = {
        ("operation", "added", "POST /portfolio/events/orders (CreateOrderV2)", "new in tag orders", False,
         "operation-added"),
        ("operation", "added", "DELETE /portfolio/events/orders/{order_id} (CancelOrderV2)",
         "new in tag orders", False, "operation-added"),
        ("operation", "added", "GET /portfolio/deposits (GetDeposits)", "new in tag portfolio", False,
         "operation-added"),
        ("operation", "added", "GET /portfolio/withdrawals (GetWithdrawals)", "new in tag portfolio", False,
         "operation-added"),
        ("operation", "added", "POST /communications/block-trade-proposals (ProposeBlockTrade)",
         "new in tag communications", False, "operation-added"),
        ("operation", "added", "GET /events/fee_changes (GetEventFeeChanges)", "new in tag events", False,
         "operation-added"),
    }  # fmt: skip
    assert added <= _rows(bump_3_13.changes)
    assert sum(1 for c in bump_3_13.changes if c.rule == "operation-added") == 18


@needs_specs
def test_3_13_to_3_22_reports_removed_v1_order_writes_as_breaking(bump_3_13: DriftReport) -> None:
    removed = {c.subject for c in bump_3_13.changes if c.rule == "operation-removed"}
    assert removed == {
        "POST /portfolio/orders (CreateOrder)",
        "POST /portfolio/orders/batched (BatchCreateOrders)",
        "DELETE /portfolio/orders/batched (BatchCancelOrders)",
        "DELETE /portfolio/orders/{order_id} (CancelOrder)",
        "POST /portfolio/orders/{order_id}/amend (AmendOrder)",
        "POST /portfolio/orders/{order_id}/decrease (DecreaseOrder)",
    }
    assert all(
        c.breaking and c.area == "operation" for c in bump_3_13.changes if c.rule == "operation-removed"
    )
    assert bump_3_13.breaking


@needs_specs
def test_3_13_to_3_22_field_level_changes(bump_3_13: DriftReport) -> None:
    expected = {
        ("response field", "removed", "GetAccountApiLimitsResponse.read_limit", "was integer, required", True,
         "response-field-removed"),
        ("response field", "added", "GetAccountApiLimitsResponse.read", "$ref BucketLimit, required", False,
         "response-field-added"),
        ("response field", "changed", "EventData.product_metadata", "now optional", True,
         "response-field-now-optional"),
        ("response field", "changed", "Series.tags", "now nullable", True, "response-nullable-added"),
        # Required fields the SDK now decodes as optional: callers reading them must handle None.
        ("response field", "changed", "Series.tags", "decoded as optional when received: now nullable", True,
         "response-field-relaxed"),
        ("response field", "changed", "Market.fractional_trading_enabled",
         "decoded as optional when received: now deprecated", True, "response-field-relaxed"),
        ("enum", "removed", "Settlement.market_result", "enum drops 'void'", False, "response-enum-narrowed"),
        ("parameter", "removed", "GetQuotes query `market_ticker`", "was string, optional", True,
         "parameter-removed"),
        ("parameter", "added", "GetTrades query `is_block_trade`", "boolean, optional", False,
         "parameter-added-optional"),
        ("parameter", "changed", "GetStructuredTargets query `ids`", "maxItems none -> 2000", True,
         "request-constraint-tightened"),
        ("request field", "added", "CreateQuoteRequest.post_only", "boolean, optional", False,
         "request-field-added-optional"),
        # An inline enum that became a named component with the same values is no type change.
        ("response field", "changed", "Series.fee_type", "now $ref FeeType (string)", False, "type-named"),
        # Plain strings that became an enum: breaking where callers send them, harmless where they read them.
        ("request field", "changed", "CreateApiKeyRequest.scopes[]", "now $ref ApiKeyScope (string)", False,
         "type-named"),
        ("schema", "removed", "DecreaseOrderRequest", "was object with 5 fields", True, "schema-removed"),
        ("schema", "added", "BookSide", "enum string {bid,ask}", False, "schema-added"),
        ("server", "added", "https://external-api.kalshi.com/trade-api/v2", "newly listed", False,
         "server-added"),
    }  # fmt: skip
    assert expected <= _rows(bump_3_13.changes)
    narrowed = {
        (c.subject, c.breaking, c.rule) for c in bump_3_13.changes if c.detail.startswith("now restricted")
    }
    assert narrowed == {
        ("CreateApiKeyRequest.scopes[]", True, "request-enum-narrowed"),
        ("GenerateApiKeyRequest.scopes[]", True, "request-enum-narrowed"),
        ("ApiKey.scopes[]", False, "response-enum-narrowed"),
    }


@needs_specs
def test_3_13_to_3_22_summary(bump_3_13: DriftReport) -> None:
    assert bump_3_13.counts() == (29, 126)
    text = bump_3_13.markdown()
    assert text.startswith("# Spec drift: Kalshi Trade API Manual Endpoints 3.13.0 -> 3.22.0\n")
    assert "Summary: 29 breaking, 126 additive changes (OpenAPI: 29 breaking, 126 additive)." in text
    assert "\n## BREAKING\n" in text and "\n## Additive\n" in text
    assert bump_3_13.old["openapi"] == {
        "title": "Kalshi Trade API Manual Endpoints",
        "version": "3.13.0",
        "source": "../shared/specs/history/openapi-3.13.0.yaml",
    }


@needs_specs
def test_june_to_july_removes_the_v1_order_writes() -> None:
    report = drift(str(OPENAPI_JUNE), str(OPENAPI_JULY), None, None)
    assert _rows(report.changes) == {
        ("operation", "removed", "DELETE /portfolio/orders/{order_id} (CancelOrder)", "no longer in the spec",
         True, "operation-removed"),
        ("operation", "removed", "DELETE /portfolio/orders/batched (BatchCancelOrders)",
         "no longer in the spec", True, "operation-removed"),
        ("operation", "removed", "POST /portfolio/orders/{order_id}/decrease (DecreaseOrder)",
         "no longer in the spec", True, "operation-removed"),
        ("operation", "added", "DELETE /communications/rfqs/{rfq_id}/quotes/{quote_id} (DeleteRFQQuote)",
         "new in tag communications", False, "operation-added"),
        ("operation", "added", "PUT /communications/rfqs/{rfq_id}/quotes/{quote_id}/accept (AcceptRFQQuote)",
         "new in tag communications", False, "operation-added"),
        ("operation", "added",
         "PUT /communications/rfqs/{rfq_id}/quotes/{quote_id}/confirm (ConfirmRFQQuote)",
         "new in tag communications", False, "operation-added"),
        ("schema", "removed", "CancelOrderResponse", "was object with 2 fields", True, "schema-removed"),
        ("schema", "removed", "DecreaseOrderRequest", "was object with 6 fields", True, "schema-removed"),
        ("schema", "removed", "DecreaseOrderResponse", "was object with 1 field", True, "schema-removed"),
        ("schema", "added", "ExchangeIndexStatus", "object with 4 fields", False, "schema-added"),
        ("response field", "added", "ExchangeStatus.exchange_index_statuses",
         "array<ExchangeIndexStatus>, optional", False, "response-field-added"),
        ("response field", "added", "ExchangeStatus.intra_exchange_transfers_active", "boolean, optional",
         False, "response-field-added"),
        ("response field", "added", "SubaccountBalance.exchange_index", "integer, required", False,
         "response-field-added"),
    }  # fmt: skip
    assert report.counts("openapi") == (6, 7)


@needs_specs
def test_april_to_august_adds_the_index_channels_with_their_messages() -> None:
    report = drift(None, None, str(ASYNCAPI_APRIL), str(ASYNCAPI_AUGUST))
    expected = {
        ("channel", "added", "channel cfbenchmarks_value", "carries cfbenchmarksValue, cfbenchmarksIndexList",
         False, "channel-added"),
        ("channel", "added", "channel pyth_value", "carries pythValue, pythUnderlyingList", False,
         "channel-added"),
        ("message", "added", "message cfbenchmarksValue",
         "cfbenchmarks_value: $ref cfbenchmarksValuePayload, on channel cfbenchmarks_value", False,
         "message-added"),
        ("message", "added", "message cfbenchmarksIndexList",
         "cfbenchmarks_value_indexlist: $ref cfbenchmarksIndexListPayload, on channel cfbenchmarks_value",
         False, "message-added"),
        ("message", "added", "message pythValue", "pyth_value: $ref pythValuePayload, on channel pyth_value",
         False, "message-added"),
        ("message", "added", "message pythUnderlyingList",
         "pyth_value_underlying_list: $ref pythUnderlyingListPayload, on channel pyth_value", False,
         "message-added"),
        # Subscribing to them is a wider request enum; their update commands are new messages on root.
        ("enum", "added", "subscribeCommandPayload.params.channels[]",
         "enum adds 'cfbenchmarks_value', 'pyth_value'", False, "request-enum-widened"),
        ("channel", "added", "channel root", "now carries pythUpdateSubscriptionCommand", False,
         "channel-message-added"),
        ("schema", "added", "pythValuePayload", "object with 4 fields", False, "schema-added"),
        ("error code", "added", "error code 28", "'Underlying tickers required'", False, "error-code-added"),
        # And what went the other way.
        ("channel", "removed", "channel multivariate", "carried multivariateLookup", True, "channel-removed"),
        ("enum", "removed", "subscribeCommandPayload.params.channels[]", "enum drops 'multivariate'", True,
         "request-enum-narrowed"),
        ("server", "removed", "wss://api.elections.kalshi.com/trade-api/ws/v2", "no longer listed", True,
         "server-removed"),
        ("enum", "added", "marketLifecycleV2Payload.msg.event_type", "enum adds 'metadata_updated'", False,
         "response-enum-widened"),
    }  # fmt: skip
    assert expected <= _rows(report.changes)
    assert all(c.spec == "asyncapi" for c in report.changes)
    assert list(report.old) == ["asyncapi"]


@needs_specs
def test_every_verdict_comes_from_the_rule_table() -> None:
    report = drift(str(OPENAPI_3_13), str(OPENAPI_JULY), str(ASYNCAPI_APRIL), str(ASYNCAPI_AUGUST))
    assert report.changes
    for change in report.changes:
        assert change.breaking == RULES[change.rule].breaking, change


# --- the same spec --------------------------------------------------------------------------------------


def test_a_spec_against_itself_has_no_changes(capsys: pytest.CaptureFixture[str]) -> None:
    report = drift(str(PINNED_OPENAPI), str(PINNED_OPENAPI), str(PINNED_ASYNCAPI), str(PINNED_ASYNCAPI))
    assert report.changes == () and not report.breaking
    assert "\nNo changes.\n" in report.markdown()
    assert main(["--new", str(PINNED_OPENAPI)]) == 0
    out = capsys.readouterr().out
    assert "No changes." in out
    assert "- OpenAPI: openapi/openapi.yaml -> openapi/openapi.yaml" in out
    assert "AsyncAPI" not in out  # a single file is compared with its own kind only


@needs_specs
def test_default_source_compares_both_specs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) in (0, 1)
    out = capsys.readouterr().out
    assert "- OpenAPI: openapi/openapi.yaml -> ../shared/specs/openapi.yaml" in out
    assert "- AsyncAPI: asyncapi/asyncapi.yaml -> ../shared/specs/asyncapi.yaml" in out


# --- mutations of the pinned specs ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def pinned_openapi() -> dict[str, Any]:
    return parse_document(PINNED_OPENAPI.read_bytes(), str(PINNED_OPENAPI))


@pytest.fixture(scope="module")
def pinned_asyncapi() -> dict[str, Any]:
    return parse_document(PINNED_ASYNCAPI.read_bytes(), str(PINNED_ASYNCAPI))


def _openapi_after(doc: dict[str, Any], mutate: Callable[[dict[str, Any]], None]) -> list[Change]:
    changed = copy.deepcopy(doc)
    mutate(changed)
    return diff_openapi(load_openapi(doc), load_openapi(changed))


def _schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = doc["components"]["schemas"][name]
    return found


def test_removed_operation(pinned_openapi: dict[str, Any]) -> None:
    changes = _openapi_after(pinned_openapi, lambda d: d["paths"]["/markets"].pop("get"))
    assert _rows(changes) == {
        (
            "operation",
            "removed",
            "GET /markets (GetMarkets)",
            "no longer in the spec",
            True,
            "operation-removed",
        )
    }


def test_renamed_query_parameter_is_removed_plus_added(pinned_openapi: dict[str, Any]) -> None:
    def rename(doc: dict[str, Any]) -> None:
        doc["components"]["parameters"]["MarketStatusQuery"]["name"] = "market_status"

    changes = _openapi_after(pinned_openapi, rename)
    assert _ignoring_detail(changes) == {
        ("parameter", "removed", "GetMarkets query `status`", True, "parameter-removed"),
        ("parameter", "added", "GetMarkets query `market_status`", False, "parameter-added-optional"),
    }


def test_response_field_type_change(pinned_openapi: dict[str, Any]) -> None:
    def retype(doc: dict[str, Any]) -> None:
        _schema(doc, "Market")["properties"]["ticker"] = {"type": "integer"}

    assert _rows(_openapi_after(pinned_openapi, retype)) == {
        (
            "response field",
            "changed",
            "Market.ticker",
            "type string -> integer",
            True,
            "response-type-changed",
        )
    }


def test_response_field_becoming_optional_breaks(pinned_openapi: dict[str, Any]) -> None:
    assert _rows(
        _openapi_after(pinned_openapi, lambda d: _schema(d, "Market")["required"].remove("ticker"))
    ) == {("response field", "changed", "Market.ticker", "now optional", True, "response-field-now-optional")}


def test_required_response_field_deprecated_is_named_as_relaxed(pinned_openapi: dict[str, Any]) -> None:
    def deprecate(doc: dict[str, Any]) -> None:
        _schema(doc, "Market")["properties"]["ticker"]["deprecated"] = True
        _schema(doc, "CreateOrderV2Request")["properties"]["ticker"]["deprecated"] = True

    assert _rows(_openapi_after(pinned_openapi, deprecate)) == {
        ("response field", "changed", "Market.ticker", "now deprecated", False, "deprecated"),
        (
            "response field",
            "changed",
            "Market.ticker",
            "decoded as optional when received: now deprecated",
            True,
            "response-field-relaxed",
        ),
        # sent data: deprecation is only a notice, the request model keeps the field required
        ("request field", "changed", "CreateOrderV2Request.ticker", "now deprecated", False, "deprecated"),
    }


def test_request_enum_value_removed_breaks(pinned_openapi: dict[str, Any]) -> None:
    def drop(doc: dict[str, Any]) -> None:
        _schema(doc, "CreateOrderV2Request")["properties"]["time_in_force"]["enum"].remove("fill_or_kill")

    assert _rows(_openapi_after(pinned_openapi, drop)) == {
        ("enum", "removed", "CreateOrderV2Request.time_in_force", "enum drops 'fill_or_kill'", True,
         "request-enum-narrowed")
    }  # fmt: skip


def test_request_enum_value_added_is_additive(pinned_openapi: dict[str, Any]) -> None:
    def add(doc: dict[str, Any]) -> None:
        _schema(doc, "CreateOrderV2Request")["properties"]["time_in_force"]["enum"].append("good_till_date")

    assert _rows(_openapi_after(pinned_openapi, add)) == {
        ("enum", "added", "CreateOrderV2Request.time_in_force", "enum adds 'good_till_date'", False,
         "request-enum-widened")
    }  # fmt: skip


def test_response_enum_value_added_is_additive(pinned_openapi: dict[str, Any]) -> None:
    def add(doc: dict[str, Any]) -> None:
        _schema(doc, "Market")["properties"]["status"]["enum"].append("paused")

    assert _rows(_openapi_after(pinned_openapi, add)) == {
        ("enum", "added", "Market.status", "enum adds 'paused'", False, "response-enum-widened")
    }
    assert "SDK response enums are open" in RULES["response-enum-widened"].description


def test_enum_used_both_ways_gets_the_stricter_verdict(pinned_openapi: dict[str, Any]) -> None:
    # BookSide is sent in CreateOrderV2Request and read back in Order.
    changes = _openapi_after(pinned_openapi, lambda d: _schema(d, "BookSide")["enum"].remove("ask"))
    assert _rows(changes) == {
        ("enum", "removed", "BookSide", "enum drops 'ask'", True, "request-enum-narrowed")
    }


def test_required_request_field_added_breaks(pinned_openapi: dict[str, Any]) -> None:
    def add(doc: dict[str, Any]) -> None:
        schema = _schema(doc, "CreateOrderV2Request")
        schema["properties"]["memo"] = {"type": "string"}
        schema["required"].append("memo")

    assert _rows(_openapi_after(pinned_openapi, add)) == {
        ("request field", "added", "CreateOrderV2Request.memo", "string, required", True,
         "request-field-added-required")
    }  # fmt: skip


def test_success_response_type_change_breaks(pinned_openapi: dict[str, Any]) -> None:
    def retarget(doc: dict[str, Any]) -> None:
        media = doc["paths"]["/markets"]["get"]["responses"]["200"]["content"]["application/json"]
        media["schema"] = {"$ref": "#/components/schemas/Market"}

    assert _rows(_openapi_after(pinned_openapi, retarget)) == {
        ("response", "changed", "GetMarkets response 200", "type $ref GetMarketsResponse -> $ref Market",
         True, "success-response-type-changed")
    }  # fmt: skip


def test_removed_channel_breaks(pinned_asyncapi: dict[str, Any]) -> None:
    changed = copy.deepcopy(pinned_asyncapi)
    del changed["channels"]["pyth_value"]
    for key in ("receivePythValue", "receivePythUnderlyingList"):
        del changed["operations"][key]
    assert _rows(diff_asyncapi(load_asyncapi(pinned_asyncapi), load_asyncapi(changed))) == {
        # The pinned copy is normalized with sorted keys, so its channels list their messages by name.
        ("channel", "removed", "channel pyth_value", "carried pythUnderlyingList, pythValue", True,
         "channel-removed")
    }  # fmt: skip


# --- loading and the command line -----------------------------------------------------------------------


def test_load_side_checks_the_kind() -> None:
    meta, ir = load_side(str(PINNED_ASYNCAPI), "asyncapi")
    assert meta == {"title": ir.title, "version": ir.version, "source": "asyncapi/asyncapi.yaml"}
    with pytest.raises(SpecError, match="expected an OpenAPI document, found AsyncAPI"):
        load_side(str(PINNED_ASYNCAPI), "openapi")


def _markdown_rows(text: str) -> set[tuple[str, ...]]:
    """The change rows of a Markdown report (the rules legend and table headers excluded)."""
    body = text.split("\n## Rules cited\n", 1)[0]
    rows = set()
    for line in body.splitlines():
        if not line.startswith("| ") or line.startswith(("| area |", "|---")):
            continue
        cells = re.split(r"(?<!\\) \| ", line[2:-2])
        rows.add(tuple(cell.replace("\\|", "|").replace("\\\\", "\\") for cell in cells))
    return rows


@needs_specs
def test_json_has_the_same_changes_as_the_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--new", str(OPENAPI_3_13)]) == 1  # pinned 3.22.0 -> 3.13.0 loses the V2 operations
    markdown = capsys.readouterr().out
    assert main(["--new", str(OPENAPI_3_13), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    from_json = {(c["area"], c["kind"], c["subject"], c["detail"], c["rule"]) for c in data["changes"]}
    assert from_json == _markdown_rows(markdown)
    assert len(data["changes"]) == len(from_json)
    assert data["breaking"] is True
    assert data["summary"]["breaking"] == sum(1 for c in data["changes"] if c["breaking"])
    assert data["new"]["openapi"]["version"] == "3.13.0"
    assert set(data["rules"]) == {c["rule"] for c in data["changes"]}


@needs_specs
def test_out_writes_what_is_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "drift.md"
    assert main(["--new", str(OPENAPI_JUNE), "--out", str(out)]) == 1
    assert out.read_text(encoding="utf-8") == capsys.readouterr().out


def test_exit_status_2_for_a_file_that_is_no_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_spec = tmp_path / "config.yaml"
    not_a_spec.write_text("name: not a spec\n", encoding="utf-8")
    assert main(["--new", str(not_a_spec)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "not an OpenAPI 3.x or AsyncAPI 3.x document" in captured.err


def test_exit_status_2_for_a_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--new", str(tmp_path / "missing")]) == 2
    assert "cannot read" in capsys.readouterr().err


@needs_specs
def test_reports_are_deterministic() -> None:
    locations = (str(OPENAPI_3_13), str(OPENAPI_JULY), str(ASYNCAPI_APRIL), str(ASYNCAPI_AUGUST))
    first, second = drift(*locations), drift(*locations)
    assert first.markdown() == second.markdown()
    assert json.dumps(first.as_json()) == json.dumps(second.as_json())
    keys = [(c.area, c.subject, c.detail) for c in first.changes]
    assert keys == sorted(keys)
