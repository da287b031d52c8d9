"""Unit tests for codegen/load.py: small hand-written OpenAPI 3.x / AsyncAPI 3.x documents -> IR values."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from codegen.ir import (
    MISSING,
    AsyncAPIDocument,
    Body,
    ChannelOperation,
    Constraints,
    ErrorCode,
    IRError,
    OpenAPIDocument,
    Operation,
    Parameter,
    Schema,
    SecurityScheme,
    WsServer,
)
from codegen.load import load_asyncapi, load_openapi

# --- helpers -------------------------------------------------------------------------------------------

OK = {"200": {"description": "ok"}}
SECURITY_SCHEMES = {
    "kalshiAccessKey": {"type": "apiKey", "in": "header", "name": "KALSHI-ACCESS-KEY"},
    "kalshiAccessSignature": {"type": "apiKey", "in": "header", "name": "KALSHI-ACCESS-SIGNATURE"},
    "kalshiAccessTimestamp": {"type": "apiKey", "in": "header", "name": "KALSHI-ACCESS-TIMESTAMP"},
}
AUTH = [{"kalshiAccessKey": [], "kalshiAccessSignature": [], "kalshiAccessTimestamp": []}]
AUTH_NAMES = ("kalshiAccessKey", "kalshiAccessSignature", "kalshiAccessTimestamp")


def oas(
    paths: Mapping[str, Any] | None = None, components: Mapping[str, Any] | None = None, **top: Any
) -> Any:
    """A minimal OpenAPI 3.0 document."""
    doc: dict[str, Any] = {"openapi": "3.0.3", "info": {"title": "Kalshi", "version": "3.1.0"}}
    doc["paths"] = dict(paths or {})
    doc["components"] = dict(components or {})
    doc.update(top)
    return doc


def operation(operation_id: str = "Op", **fields: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "responses": OK, **fields}


def load_schemas(**named: Any) -> dict[str, Schema]:
    return load_openapi(oas(components={"schemas": named})).schemas


def schema_of(node: Any) -> Schema:
    """The IR of a single component schema named S."""
    return load_schemas(S=node)["S"]


def load_single_op(path: str, node: Mapping[str, Any], method: str = "get", **top: Any) -> Operation:
    doc = load_openapi(oas({path: {method: node}}, **top))
    assert len(doc.operations) == 1
    return doc.operations[0]


def param(name: str, where: str = "query", schema: Any = None, **fields: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"name": name, "in": where, "schema": schema or {"type": "string"}, **fields}
    if where == "path":
        node.setdefault("required", True)
    return node


def fails(load: Callable[[Any], object], doc: Any, location: str, problem: str) -> IRError:
    """Loading ``doc`` raises IRError at exactly ``location``, its problem containing ``problem``."""
    with pytest.raises(IRError) as info:
        load(doc)
    err = info.value
    assert str(err).startswith(f"{location}: "), str(err)
    assert err.location == location
    assert problem in err.problem, err.problem
    return err


def schema_fails(node: Any, location: str, problem: str, **others: Any) -> IRError:
    return fails(load_openapi, oas(components={"schemas": {"S": node, **others}}), location, problem)


S = "#/components/schemas/S"


# --- OpenAPI: operations -------------------------------------------------------------------------------


def test_operation_method_path_tags_id_and_deprecated() -> None:
    doc = load_openapi(
        oas(
            {
                "/markets/{ticker}": {
                    "parameters": [param("ticker", "path")],
                    "get": operation("GetMarket", tags=["market", "extra"]),
                    "delete": operation("DeleteMarket", deprecated=True),
                }
            }
        )
    )
    assert isinstance(doc, OpenAPIDocument)
    assert (doc.title, doc.version) == ("Kalshi", "3.1.0")
    get, delete = doc.operations
    assert (get.operation_id, get.method, get.path) == ("GetMarket", "get", "/markets/{ticker}")
    assert get.tags == ("market", "extra")
    assert get.tag == "market"
    assert get.deprecated is False
    assert get.pointer == "#/paths/~1markets~1{ticker}/get"
    assert (delete.operation_id, delete.method) == ("DeleteMarket", "delete")
    assert delete.tags == ()
    assert delete.tag == "default"
    assert delete.deprecated is True


def test_query_and_path_parameters_with_schema_required_default_enum() -> None:
    op = load_single_op(
        "/markets/{ticker}/orderbook",
        operation(
            parameters=[
                param("ticker", "path"),
                param("depth", schema={"type": "integer", "default": 10, "minimum": 0}, required=True),
                param("status", schema={"type": "string", "enum": ["open", "closed"], "default": "open"}),
            ]
        ),
    )
    ticker, depth, status = op.parameters
    assert isinstance(ticker, Parameter)
    assert (ticker.name, ticker.location, ticker.required, ticker.schema.kind) == (
        "ticker",
        "path",
        True,
        "string",
    )
    assert (depth.name, depth.location, depth.required) == ("depth", "query", True)
    assert depth.schema.kind == "integer"
    assert depth.schema.default == 10
    assert depth.schema.constraints.minimum == 0
    assert depth.schema.location == "#/paths/~1markets~1{ticker}~1orderbook/get/parameters/1/schema"
    assert depth.pointer == "#/paths/~1markets~1{ticker}~1orderbook/get/parameters/1"
    assert (status.required, status.schema.enum, status.schema.default) == (False, ("open", "closed"), "open")
    assert status.deprecated is False


def test_array_query_parameter_with_explicit_form_explode() -> None:
    op = load_single_op(
        "/markets",
        operation(
            parameters=[
                param(
                    "tickers",
                    schema={"type": "array", "items": {"type": "string"}},
                    style="form",
                    explode=True,
                    deprecated=True,
                )
            ]
        ),
    )
    (tickers,) = op.parameters
    assert (tickers.style, tickers.explode, tickers.deprecated) == ("form", True, True)
    assert tickers.schema.kind == "array"
    assert tickers.schema.items is not None
    assert tickers.schema.items.kind == "string"


def test_parameter_style_defaults_and_explicit_explode_false() -> None:
    op = load_single_op(
        "/series/{series_ticker}",
        operation(
            parameters=[
                param("series_ticker", "path"),
                param("cursor"),
                param("ids", schema={"type": "array", "items": {"type": "string"}}, explode=False),
                param("X-Trace", "header"),
            ]
        ),
    )
    by_name = {p.name: p for p in op.parameters}
    assert (by_name["series_ticker"].style, by_name["series_ticker"].explode) == ("simple", False)
    assert (by_name["cursor"].style, by_name["cursor"].explode) == ("form", True)
    assert (by_name["ids"].style, by_name["ids"].explode) == ("form", False)
    assert (by_name["X-Trace"].location, by_name["X-Trace"].style) == ("header", "simple")


def test_path_level_parameters_are_merged_with_operation_parameters() -> None:
    doc = load_openapi(
        oas(
            {
                "/events/{event_ticker}": {
                    "parameters": [
                        param("event_ticker", "path"),
                        param("limit", schema={"type": "integer"}),
                    ],
                    "get": operation(
                        parameters=[param("limit", schema={"type": "string"}, required=True), param("cursor")]
                    ),
                }
            }
        )
    )
    (op,) = doc.operations
    assert [(p.location, p.name) for p in op.parameters] == [
        ("path", "event_ticker"),
        ("query", "limit"),
        ("query", "cursor"),
    ]
    ticker, limit, _cursor = op.parameters
    assert ticker.pointer == "#/paths/~1events~1{event_ticker}/parameters/0"
    # the operation-level "limit" replaces the path-level one
    assert limit.schema.kind == "string"
    assert limit.required is True
    assert limit.pointer == "#/paths/~1events~1{event_ticker}/get/parameters/0"


def test_parameter_with_the_same_name_in_another_location_is_not_an_override() -> None:
    doc = load_openapi(
        oas(
            {
                "/x": {
                    "parameters": [param("id", "header")],
                    "get": operation(parameters=[param("id", "query")]),
                }
            }
        )
    )
    assert [(p.location, p.name) for p in doc.operations[0].parameters] == [("header", "id"), ("query", "id")]


def test_parameter_ref_to_components_is_resolved() -> None:
    doc = load_openapi(
        oas(
            {"/markets": {"get": operation(parameters=[{"$ref": "#/components/parameters/Limit"}])}},
            components={"parameters": {"Limit": param("limit", schema={"type": "integer", "maximum": 1000})}},
        )
    )
    (limit,) = doc.operations[0].parameters
    assert limit.name == "limit"
    assert limit.pointer == "#/components/parameters/Limit"
    assert limit.schema.location == "#/components/parameters/Limit/schema"
    assert limit.schema.constraints.maximum == 1000


def test_parameter_ref_chain_is_followed_to_the_end() -> None:
    doc = load_openapi(
        oas(
            {"/markets": {"get": operation(parameters=[{"$ref": "#/components/parameters/Alias"}])}},
            components={
                "parameters": {
                    "Alias": {"$ref": "#/components/parameters/Cursor"},
                    "Cursor": param("cursor"),
                }
            },
        )
    )
    (cursor,) = doc.operations[0].parameters
    assert (cursor.name, cursor.pointer) == ("cursor", "#/components/parameters/Cursor")


def test_request_body_ref_with_required_media_type_and_schema() -> None:
    doc = load_openapi(
        oas(
            {
                "/portfolio/orders": {
                    "post": operation(requestBody={"$ref": "#/components/requestBodies/Create"})
                }
            },
            components={
                "requestBodies": {
                    "Create": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
                    }
                },
                "schemas": {"Order": {"type": "object", "properties": {"id": {"type": "string"}}}},
            },
        )
    )
    body = doc.operations[0].request_body
    assert body is not None
    assert body.required is True
    assert body.pointer == "#/components/requestBodies/Create"
    (content,) = body.content
    assert content.media_type == "application/json"
    assert content.schema is not None
    assert (content.schema.kind, content.schema.ref) == ("ref", "Order")
    assert content.schema.location == "#/components/requestBodies/Create/content/application~1json/schema"


def test_inline_request_body_defaults_to_optional() -> None:
    op = load_single_op(
        "/x",
        operation(requestBody={"content": {"application/json": {"schema": {"type": "object"}}}}),
        method="put",
    )
    assert op.request_body is not None
    assert op.request_body.required is False
    assert op.request_body.pointer == "#/paths/~1x/put/requestBody"
    assert [b.schema.kind if b.schema else None for b in op.request_body.content] == ["json_object"]


def test_operation_without_request_body() -> None:
    assert load_single_op("/x", operation()).request_body is None


def test_success_and_error_responses() -> None:
    err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    doc = load_openapi(
        oas(
            {
                "/x": {
                    "post": {
                        "operationId": "Op",
                        "responses": {
                            200: {"description": "yaml may load the status as an int"},
                            "201": {"description": "created"},
                            "400": err,
                            "4XX": err,
                            "500": err,
                            "default": err,
                        },
                    }
                }
            },
            components={"schemas": {"Error": {"type": "object", "properties": {"code": {"type": "string"}}}}},
        )
    )
    (op,) = doc.operations
    assert [r.status for r in op.responses] == ["200", "201", "400", "4XX", "500", "default"]
    assert [r.status for r in op.success_responses] == ["200", "201"]
    assert [r.status for r in op.error_responses] == ["400", "4XX", "500", "default"]
    bad_request = op.error_responses[0]
    assert bad_request.pointer == "#/paths/~1x/post/responses/400"
    assert bad_request.content[0].schema is not None
    assert bad_request.content[0].schema.ref == "Error"


def test_response_ref_is_resolved() -> None:
    doc = load_openapi(
        oas(
            {
                "/x": {
                    "get": {
                        "operationId": "Op",
                        "responses": {"404": {"$ref": "#/components/responses/NotFound"}},
                    }
                }
            },
            components={
                "responses": {
                    "NotFound": {"content": {"application/json": {"schema": {"type": "string"}}}},
                }
            },
        )
    )
    (response,) = doc.operations[0].responses
    assert (response.status, response.pointer) == ("404", "#/components/responses/NotFound")
    assert response.is_success is False
    (body,) = response.content
    assert body.schema is not None
    assert body.schema.kind == "string"
    assert body.schema.location == "#/components/responses/NotFound/content/application~1json/schema"


def test_response_without_content() -> None:
    op = load_single_op("/x", {"operationId": "Op", "responses": {"204": {"description": "no content"}}})
    (response,) = op.responses
    assert response.status == "204"
    assert response.content == ()
    assert response.is_success is True


def test_media_type_without_schema() -> None:
    op = load_single_op(
        "/x", {"operationId": "Op", "responses": {"200": {"content": {"text/plain": {}}}}}, method="head"
    )
    assert op.responses[0].content == (Body(media_type="text/plain", schema=None),)


def test_empty_schema_in_content_is_not_treated_as_no_schema() -> None:
    doc = oas(
        {
            "/x": {
                "get": {
                    "operationId": "Op",
                    "responses": {"200": {"content": {"application/json": {"schema": {}}}}},
                }
            }
        }
    )
    fails(load_openapi, doc, "#/paths/~1x/get/responses/200/content/application~1json/schema", "no type")


def test_security_schemes_are_read() -> None:
    doc = load_openapi(oas(components={"securitySchemes": SECURITY_SCHEMES}))
    assert doc.security_schemes[0] == SecurityScheme(
        key="kalshiAccessKey", type="apiKey", location="header", parameter_name="KALSHI-ACCESS-KEY"
    )
    assert [s.key for s in doc.security_schemes] == list(AUTH_NAMES)


def test_operation_level_security() -> None:
    op = load_single_op(
        "/portfolio/balance",
        operation(
            security=[{"kalshiAccessTimestamp": [], "kalshiAccessKey": [], "kalshiAccessSignature": []}]
        ),
        components={"securitySchemes": SECURITY_SCHEMES},
    )
    assert op.security == (AUTH_NAMES,)  # scheme names sorted within a requirement
    assert op.requires_auth is True


def test_document_level_security_is_the_default() -> None:
    doc = load_openapi(
        oas(
            {
                "/a": {"get": operation("A")},
                "/b": {"get": operation("B", security=[{"kalshiAccessKey": []}])},
            },
            components={"securitySchemes": SECURITY_SCHEMES},
            security=AUTH,
        )
    )
    a, b = doc.operations
    assert a.security == (AUTH_NAMES,)
    assert a.requires_auth is True
    assert b.security == (("kalshiAccessKey",),)


def test_empty_security_list_means_public() -> None:
    op = load_single_op(
        "/exchange/status",
        operation(security=[]),
        components={"securitySchemes": SECURITY_SCHEMES},
        security=AUTH,
    )
    assert op.security == ()
    assert op.requires_auth is False


def test_no_security_anywhere_means_public() -> None:
    op = load_single_op("/exchange/status", operation())
    assert op.security == ()
    assert op.requires_auth is False


def test_empty_security_requirement_makes_auth_optional() -> None:
    op = load_single_op(
        "/markets",
        operation(security=[{}, {"kalshiAccessKey": []}]),
        components={"securitySchemes": SECURITY_SCHEMES},
    )
    assert op.security == ((), ("kalshiAccessKey",))
    assert op.requires_auth is False


def test_servers_with_variable_default_substituted() -> None:
    doc = load_openapi(
        oas(
            servers=[
                {"url": "https://api.elections.kalshi.com/trade-api/v2"},
                {
                    "url": "https://{host}/trade-api/{version}",
                    "variables": {"host": {"default": "demo-api.kalshi.co"}, "version": {"default": "v2"}},
                },
            ]
        )
    )
    assert doc.servers == (
        "https://api.elections.kalshi.com/trade-api/v2",
        "https://demo-api.kalshi.co/trade-api/v2",
    )


def test_no_servers() -> None:
    assert load_openapi(oas()).servers == ()


# --- OpenAPI: schemas ----------------------------------------------------------------------------------


def test_component_schemas_keep_spec_order_and_names() -> None:
    schemas = load_schemas(Zeta={"type": "string"}, Alpha={"type": "integer"})
    assert list(schemas) == ["Zeta", "Alpha"]
    assert (schemas["Zeta"].name, schemas["Zeta"].location) == ("Zeta", "#/components/schemas/Zeta")
    assert schemas["Alpha"].kind == "integer"


def test_object_with_required_and_optional_properties() -> None:
    order = schema_of(
        {
            "type": "object",
            "required": ["order_id", "count"],
            "properties": {
                "order_id": {"type": "string"},
                "client_order_id": {"type": "string"},
                "count": {"type": "integer"},
            },
        }
    )
    assert order.kind == "object"
    assert [(p.name, p.required) for p in order.properties] == [
        ("order_id", True),
        ("client_order_id", False),
        ("count", True),
    ]
    count = order.get_property("count").schema
    assert (count.kind, count.location, count.name) == ("integer", f"{S}/properties/count", None)
    assert order.additional is None


def test_object_without_type_is_inferred_from_properties() -> None:
    schema = schema_of({"properties": {"a": {"type": "boolean"}}})
    assert schema.kind == "object"
    assert schema.get_property("a").schema.kind == "boolean"


def test_string_enum() -> None:
    schema = schema_of({"type": "string", "enum": ["yes", "no"]})
    assert (schema.kind, schema.enum, schema.nullable) == ("string", ("yes", "no"), False)


def test_integer_enum() -> None:
    schema = schema_of({"type": "integer", "enum": [1, 2, 3]})
    assert (schema.kind, schema.enum) == ("integer", (1, 2, 3))


def test_enum_without_type_infers_the_type() -> None:
    assert (schema_of({"enum": ["a", "b"]}).kind, schema_of({"enum": [1, 2]}).kind) == ("string", "integer")


def test_enum_containing_null_makes_the_schema_nullable() -> None:
    schema = schema_of({"type": "string", "enum": ["yes", "no", None]})
    assert schema.enum == ("yes", "no")
    assert schema.nullable is True


def test_nullable_true() -> None:
    schema = schema_of({"type": "string", "nullable": True})
    assert (schema.kind, schema.nullable) == ("string", True)
    assert schema_of({"type": "string"}).nullable is False


@pytest.mark.parametrize("types", [["string", "null"], ["null", "string"]])
def test_type_list_with_null(types: list[str]) -> None:
    schema = schema_of({"type": types, "format": "date-time"})
    assert (schema.kind, schema.nullable, schema.format) == ("string", True, "date-time")


@pytest.mark.parametrize(
    ("type_name", "fmt"),
    [
        ("string", "date-time"),
        ("integer", "int64"),
        ("number", "double"),
        ("string", "uuid"),
        ("string", "date"),
    ],
)
def test_formats(type_name: str, fmt: str) -> None:
    schema = schema_of({"type": type_name, "format": fmt})
    assert (schema.kind, schema.format) == (type_name, fmt)


def test_numeric_constraints() -> None:
    schema = schema_of({"type": "integer", "minimum": 1, "maximum": 99, "multipleOf": 1})
    assert schema.constraints == Constraints(minimum=1, maximum=99, multiple_of=1)


def test_openapi_30_boolean_exclusive_bounds() -> None:
    schema = schema_of(
        {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1.5, "exclusiveMaximum": True}
    )
    assert schema.constraints == Constraints(exclusive_minimum=0, exclusive_maximum=1.5)


def test_openapi_30_false_exclusive_bound_keeps_inclusive_bound() -> None:
    schema = schema_of({"type": "integer", "minimum": 5, "exclusiveMinimum": False})
    assert schema.constraints == Constraints(minimum=5)


def test_json_schema_numeric_exclusive_bounds() -> None:
    schema = schema_of({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 100, "minimum": -1})
    assert schema.constraints == Constraints(minimum=-1, exclusive_minimum=0, exclusive_maximum=100)


def test_string_constraints() -> None:
    schema = schema_of({"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Z]+$"})
    assert schema.constraints == Constraints(min_length=1, max_length=64, pattern="^[A-Z]+$")
    assert schema_of({"type": "string"}).constraints.is_empty()


def test_array_with_items_and_constraints() -> None:
    schema = schema_of(
        {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 20, "uniqueItems": True}
    )
    assert schema.kind == "array"
    assert schema.constraints == Constraints(min_items=1, max_items=20, unique_items=True)
    assert schema.items is not None
    assert (schema.items.kind, schema.items.location) == ("integer", f"{S}/items")


def test_array_of_refs() -> None:
    schema = load_schemas(
        S={"type": "array", "items": {"$ref": "#/components/schemas/T"}}, T={"type": "string"}
    )["S"]
    assert schema.items is not None
    assert (schema.items.kind, schema.items.ref) == ("ref", "T")


def test_additional_properties_schema_is_a_map() -> None:
    schema = schema_of({"type": "object", "additionalProperties": {"type": "integer", "format": "int64"}})
    assert schema.kind == "map"
    assert schema.properties == ()
    assert schema.additional is not None
    assert (schema.additional.kind, schema.additional.format) == ("integer", "int64")
    assert schema.additional.location == f"{S}/additionalProperties"


@pytest.mark.parametrize("node", [{"type": "object"}, {"type": "object", "additionalProperties": True}])
def test_free_form_object_is_json_object(node: dict[str, Any]) -> None:
    schema = schema_of(node)
    assert schema.kind == "json_object"
    assert (schema.properties, schema.additional) == ((), None)


def test_closed_object_without_properties_is_an_empty_object() -> None:
    schema = schema_of({"type": "object", "additionalProperties": False})
    assert schema.kind == "object"
    assert schema.properties == ()


def test_object_with_properties_and_typed_additional_properties() -> None:
    schema = schema_of(
        {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "additionalProperties": {"type": "number"},
        }
    )
    assert schema.kind == "object"
    assert [p.name for p in schema.properties] == ["a"]
    assert schema.additional is not None
    assert schema.additional.kind == "number"


def test_all_of_single_ref_with_default_is_a_ref() -> None:
    schemas = load_schemas(
        Market={
            "type": "object",
            "properties": {
                "exchange_index": {
                    "allOf": [{"$ref": "#/components/schemas/ExchangeIndex"}],
                    "default": 0,
                    "x-go-type-skip-optional-pointer": True,
                }
            },
        },
        ExchangeIndex={"type": "integer", "enum": [0, 1]},
    )
    schema = schemas["Market"].get_property("exchange_index").schema
    assert (schema.kind, schema.ref, schema.default, schema.nullable) == ("ref", "ExchangeIndex", 0, False)
    assert schema.extensions == (("x-go-type-skip-optional-pointer", True),)
    assert schema.location == "#/components/schemas/Market/properties/exchange_index"


def test_all_of_single_ref_with_nullable_is_a_nullable_ref() -> None:
    schemas = load_schemas(
        S={
            "type": "object",
            "properties": {"error": {"allOf": [{"$ref": "#/components/schemas/E"}], "nullable": True}},
        },
        E={"type": "object", "properties": {"code": {"type": "string"}}},
    )
    schema = schemas["S"].get_property("error").schema
    assert (schema.kind, schema.ref, schema.nullable, schema.default) == ("ref", "E", True, MISSING)


def test_all_of_single_ref_component_keeps_its_name() -> None:
    schemas = load_schemas(Alias={"allOf": [{"$ref": "#/components/schemas/T"}]}, T={"type": "string"})
    assert (schemas["Alias"].kind, schemas["Alias"].name, schemas["Alias"].ref) == ("ref", "Alias", "T")


def test_all_of_single_ref_member_with_its_own_keywords_is_not_collapsed() -> None:
    schemas = load_schemas(
        S={"allOf": [{"$ref": "#/components/schemas/T", "nullable": True}]}, T={"type": "string"}
    )
    schema = schemas["S"]
    assert schema.kind == "all_of"
    (part,) = schema.parts
    assert (part.kind, part.ref, part.nullable, part.location) == ("ref", "T", True, f"{S}/allOf/0")


def test_all_of_single_ref_member_keywords_are_still_checked() -> None:
    schema_fails(
        {"allOf": [{"$ref": "#/components/schemas/T", "not": {"type": "string"}}], "nullable": True},
        f"{S}/allOf/0",
        "unsupported schema keyword(s) not",
        T={"type": "string"},
    )


def test_all_of_with_several_parts() -> None:
    schemas = load_schemas(
        S={
            "allOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
            "nullable": True,
        },
        A={"type": "object", "properties": {"a": {"type": "string"}}},
        B={"type": "object", "properties": {"b": {"type": "string"}}},
    )
    schema = schemas["S"]
    assert schema.kind == "all_of"
    assert [(p.kind, p.ref, p.location) for p in schema.parts] == [
        ("ref", "A", f"{S}/allOf/0"),
        ("ref", "B", f"{S}/allOf/1"),
    ]
    assert schema.nullable is True


def test_all_of_with_sibling_properties_adds_an_object_part() -> None:
    schemas = load_schemas(
        S={
            "allOf": [{"$ref": "#/components/schemas/A"}],
            "required": ["extra"],
            "properties": {"extra": {"type": "integer"}},
        },
        A={"type": "object", "properties": {"a": {"type": "string"}}},
    )
    schema = schemas["S"]
    assert schema.kind == "all_of"
    first, second = schema.parts
    assert (first.kind, first.ref) == ("ref", "A")
    assert second.kind == "object"
    assert [(p.name, p.required) for p in second.properties] == [("extra", True)]


def test_required_beside_all_of_without_properties_is_dropped_with_a_note() -> None:
    doc = load_openapi(
        oas(
            components={
                "schemas": {
                    "S": {"allOf": [{"$ref": "#/components/schemas/A"}], "required": ["a"]},
                    "A": {"type": "object", "properties": {"a": {"type": "string"}}},
                }
            }
        )
    )
    (part,) = doc.schemas["S"].parts  # no empty object part for the lost `required`
    assert (part.kind, part.ref) == ("ref", "A")
    assert doc.notes == (f"{S}: required name(s) a have no property: dropped",)


@pytest.mark.parametrize(("keyword", "kind"), [("oneOf", "one_of"), ("anyOf", "any_of")])
def test_one_of_and_any_of(keyword: str, kind: str) -> None:
    schemas = load_schemas(
        S={keyword: [{"$ref": "#/components/schemas/A"}, {"type": "integer"}]}, A={"type": "string"}
    )
    schema = schemas["S"]
    assert schema.kind == kind
    assert [(p.kind, p.ref) for p in schema.parts] == [("ref", "A"), ("integer", None)]
    assert schema.parts[1].location == f"{S}/{keyword}/1"


def test_const() -> None:
    schema = schema_of({"type": "string", "const": "orderbook_delta"})
    assert (schema.kind, schema.const) == ("string", "orderbook_delta")
    assert schema_of({"const": 3}).kind == "integer"  # inferred from the const
    assert schema_of({"type": "string"}).const is MISSING


def test_ref_beside_a_matching_type_is_accepted() -> None:
    schemas = load_schemas(
        S={"type": "object", "properties": {"p": {"$ref": "#/components/schemas/Price", "type": "string"}}},
        Price={"type": "string", "pattern": "^[0-9.]+$"},
    )
    schema = schemas["S"].get_property("p").schema
    assert (schema.kind, schema.ref) == ("ref", "Price")


def test_ref_beside_a_disagreeing_type_is_refused() -> None:
    schema_fails(
        {"type": "object", "properties": {"p": {"$ref": "#/components/schemas/Price", "type": "integer"}}},
        f"{S}/properties/p",
        "$ref with sibling keyword(s) type",
        Price={"type": "string"},
    )


def test_ref_siblings_nullable_deprecated_example_extensions() -> None:
    schemas = load_schemas(
        S={
            "type": "object",
            "properties": {
                "p": {
                    "$ref": "#/components/schemas/T",
                    "nullable": True,
                    "deprecated": True,
                    "example": "0.50",
                    "x-omitempty": False,
                }
            },
        },
        T={"type": "string"},
    )
    schema = schemas["S"].get_property("p").schema
    assert (schema.kind, schema.ref, schema.nullable, schema.deprecated) == ("ref", "T", True, True)
    assert schema.example == "0.50"
    assert schema.extensions == (("x-omitempty", False),)


def test_ref_into_the_middle_of_a_component_is_built_inline() -> None:
    schemas = load_schemas(
        A={"type": "object", "properties": {"b": {"type": "integer", "format": "int32", "maximum": 7}}},
        S={"type": "object", "properties": {"c": {"$ref": "#/components/schemas/A/properties/b"}}},
    )
    schema = schemas["S"].get_property("c").schema
    assert (schema.kind, schema.ref, schema.format) == ("integer", None, "int32")
    assert schema.constraints.maximum == 7
    assert schema.location == "#/components/schemas/A/properties/b"


def test_ref_into_the_middle_of_a_component_keeps_its_sibling_modifiers() -> None:
    schemas = load_schemas(
        A={"type": "object", "properties": {"b": {"type": "integer"}}},
        S={
            "type": "object",
            "properties": {
                "c": {"$ref": "#/components/schemas/A/properties/b", "nullable": True, "default": 3},
                "d": {"allOf": [{"$ref": "#/components/schemas/A/properties/b"}], "deprecated": True},
            },
        },
    )
    c = schemas["S"].get_property("c").schema
    assert (c.kind, c.nullable, c.default) == ("integer", True, 3)
    d = schemas["S"].get_property("d").schema
    assert (d.kind, d.deprecated, d.nullable) == ("integer", True, False)
    # the referenced schema itself is unchanged
    b = schemas["A"].get_property("b").schema
    assert (b.nullable, b.default, b.deprecated) == (False, MISSING, False)


def test_default_example_deprecated_and_extensions_are_kept() -> None:
    schema = schema_of(
        {
            "type": "string",
            "default": "yes",
            "example": "no",
            "deprecated": True,
            "x-go-name": "Side",
            "x-enum-varnames": ["Yes", "No"],
            "description": "prose is dropped",
            "title": "Side",
        }
    )
    assert (schema.default, schema.example, schema.deprecated) == ("yes", "no", True)
    assert schema.extensions == (("x-enum-varnames", ["Yes", "No"]), ("x-go-name", "Side"))


def test_null_default_is_distinct_from_no_default() -> None:
    assert schema_of({"type": "string", "nullable": True, "default": None}).default is None
    assert schema_of({"type": "string"}).default is MISSING
    assert schema_of({"type": "string"}).example is MISSING


def test_json_schema_examples_list_gives_the_first_example() -> None:
    assert schema_of({"type": "integer", "examples": [5, 6]}).example == 5


def test_recursive_schema_reference() -> None:
    node = schema_of({"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": S}}}})
    items = node.get_property("children").schema.items
    assert items is not None
    assert (items.kind, items.ref) == ("ref", "S")


# --- OpenAPI: loud failures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "value"), [("not", {"type": "string"}), ("patternProperties", {"^x": {}}), ("if", {})]
)
def test_unknown_schema_keyword_is_refused(keyword: str, value: Any) -> None:
    err = schema_fails(
        {"type": "object", "properties": {"bar": {"type": "string", keyword: value}}},
        f"{S}/properties/bar",
        f"unsupported schema keyword(s) {keyword}",
    )
    assert str(err) == f"{S}/properties/bar: unsupported schema keyword(s) {keyword}"


def test_unknown_schema_keywords_are_all_named() -> None:
    schema_fails(
        {"type": "string", "readOnly": True, "not": {}, "if": {}}, S, "unsupported schema keyword(s) if, not"
    )


def test_unknown_keyword_at_the_documented_location() -> None:
    doc = oas(
        components={
            "schemas": {"Foo": {"type": "object", "properties": {"bar": {"not": {"type": "string"}}}}}
        }
    )
    with pytest.raises(IRError) as info:
        load_openapi(doc)
    assert str(info.value) == "#/components/schemas/Foo/properties/bar: unsupported schema keyword(s) not"


@pytest.mark.parametrize(
    ("node", "problem"),
    [
        ({"type": "string", "format": "duration"}, "unsupported format 'duration' for a string schema"),
        ({"type": "integer", "format": "double"}, "unsupported format 'double' for a integer schema"),
        ({"type": "boolean", "format": "int32"}, "unsupported format 'int32' for a boolean schema"),
    ],
)
def test_unknown_format_is_refused(node: dict[str, Any], problem: str) -> None:
    schema_fails(node, S, problem)


@pytest.mark.parametrize("node", [{}, {"enum": [1, "a"]}, {"nullable": True}, {"enum": [None]}])
def test_schema_without_inferable_type_is_refused(node: dict[str, Any]) -> None:
    schema_fails(node, S, "schema has no type")


def test_type_list_with_a_non_primitive_type_is_refused() -> None:
    # Two primitive types are a union (tests/test_spec_quirks.py); objects and arrays can't be split by type.
    schema_fails({"type": ["string", "object"]}, S, "may list only primitive types")
    schema_fails({"type": ["array", "integer", "null"]}, S, "may list only primitive types")


def test_unsupported_type_is_refused() -> None:
    schema_fails({"type": "file"}, S, "unsupported type 'file'")


def test_array_without_items_is_refused() -> None:
    schema_fails(
        {"type": "object", "properties": {"xs": {"type": "array"}}}, f"{S}/properties/xs", "without items"
    )


def test_invalid_additional_properties_is_refused() -> None:
    schema_fails({"type": "object", "additionalProperties": "yes"}, S, "additionalProperties must be")


def test_dangling_schema_ref_is_refused() -> None:
    schema_fails(
        {"type": "object", "properties": {"m": {"$ref": "#/components/schemas/Missing"}}},
        f"{S}/properties/m",
        "$ref '#/components/schemas/Missing' does not resolve",
    )


def test_dangling_parameter_ref_is_refused() -> None:
    doc = oas({"/x": {"get": operation(parameters=[{"$ref": "#/components/parameters/Nope"}])}})
    fails(load_openapi, doc, "#/paths/~1x/get/parameters/0", "does not resolve")


def test_external_ref_is_refused() -> None:
    schema_fails({"$ref": "other.yaml#/x"}, S, "external $ref 'other.yaml#/x' is not supported")


def test_parameter_ref_cycle_is_refused() -> None:
    doc = oas(
        {"/x": {"get": operation(parameters=[{"$ref": "#/components/parameters/A"}])}},
        components={
            "parameters": {
                "A": {"$ref": "#/components/parameters/B"},
                "B": {"$ref": "#/components/parameters/A"},
            }
        },
    )
    fails(load_openapi, doc, "#/components/parameters/B", "$ref cycle through '#/components/parameters/A'")


def test_schema_ref_cycle_through_inline_refs_is_refused() -> None:
    schema_fails(
        {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/S/properties/a"}}},
        f"{S}/properties/a",
        "$ref cycle",
    )


def test_required_naming_an_undeclared_property_is_dropped_with_a_note() -> None:
    doc = load_openapi(
        oas(
            components={
                "schemas": {
                    "S": {
                        "type": "object",
                        "required": ["a", "ghost"],
                        "properties": {"a": {"type": "string"}},
                    }
                }
            }
        )
    )
    assert [(p.name, p.required) for p in doc.schemas["S"].properties] == [("a", True)]
    assert doc.notes == (f"{S}: required name(s) ghost have no property: dropped",)


@pytest.mark.parametrize(
    ("node", "problem"),
    [
        ({"type": "integer", "enum": [1, "2"]}, "enum value '2' is not a integer"),
        ({"type": "string", "enum": ["a", 1]}, "enum value 1 is not a string"),
        ({"type": "integer", "enum": [1, True]}, "enum value True is not a integer"),
        ({"type": "string", "enum": []}, "enum must be a non-empty list"),
    ],
)
def test_bad_enum_is_refused(node: dict[str, Any], problem: str) -> None:
    schema_fails(node, S, problem)


def test_number_enum_accepts_integers() -> None:
    assert schema_of({"type": "number", "enum": [1, 2.5]}).enum == (1, 2.5)


def test_duplicate_operation_id_is_refused() -> None:
    doc = oas({"/a": {"get": operation("Same")}, "/b": {"post": operation("Same")}})
    fails(load_openapi, doc, "#/paths/~1b/post", "operationId 'Same' already used at #/paths/~1a/get")


def test_operation_without_operation_id_is_refused() -> None:
    fails(load_openapi, oas({"/a": {"get": {"responses": OK}}}), "#/paths/~1a/get", "without operationId")


def test_path_template_without_path_parameter_is_refused() -> None:
    doc = oas({"/markets/{id}": {"get": operation()}})
    fails(
        load_openapi,
        doc,
        "#/paths/~1markets~1{id}/get",
        "path template names ['id'] but path parameters are []",
    )


def test_path_parameter_missing_from_the_template_is_refused() -> None:
    doc = oas({"/markets": {"get": operation(parameters=[param("id", "path")])}})
    fails(load_openapi, doc, "#/paths/~1markets/get", "path template names [] but path parameters are ['id']")


def test_optional_path_parameter_is_refused() -> None:
    doc = oas({"/m/{id}": {"get": operation(parameters=[param("id", "path", required=False)])}})
    fails(load_openapi, doc, "#/paths/~1m~1{id}/get/parameters/0", "path parameters must be required")


@pytest.mark.parametrize("style", ["deepObject", "pipeDelimited", "spaceDelimited"])
def test_unsupported_parameter_style_is_refused(style: str) -> None:
    doc = oas({"/x": {"get": operation(parameters=[param("filter", style=style)])}})
    fails(load_openapi, doc, "#/paths/~1x/get/parameters/0", f"parameter style {style!r} is not supported")


def test_parameter_without_schema_is_refused() -> None:
    raw = {"name": "q", "in": "query", "content": {"application/json": {"schema": {"type": "object"}}}}
    doc = oas({"/x": {"get": operation(parameters=[raw])}})
    fails(load_openapi, doc, "#/paths/~1x/get/parameters/0", "parameter without a schema")


def test_unsupported_parameter_location_is_refused() -> None:
    doc = oas({"/x": {"get": operation(parameters=[param("q", "body")])}})
    fails(load_openapi, doc, "#/paths/~1x/get/parameters/0", "parameter location 'body' is not supported")


def test_unknown_security_scheme_is_refused() -> None:
    doc = oas(
        {"/x": {"get": operation(security=[{"kalshiAccessKey": [], "oauth": []}])}},
        components={"securitySchemes": SECURITY_SCHEMES},
    )
    fails(load_openapi, doc, "#/paths/~1x/get/security", "unknown security scheme(s) oauth")


def test_unknown_document_level_security_scheme_is_refused() -> None:
    doc = oas({"/x": {"get": operation()}}, security=[{"bearer": []}])
    fails(load_openapi, doc, "#/paths/~1x/get/security", "unknown security scheme(s) bearer")


def test_all_of_combined_with_one_of_is_refused() -> None:
    schema_fails(
        {"allOf": [{"type": "object"}], "oneOf": [{"type": "object"}]},
        S,
        "allOf combined with oneOf is not supported",
    )


def test_properties_beside_one_of_are_refused() -> None:
    schema_fails(
        {"oneOf": [{"type": "string"}], "properties": {"a": {"type": "string"}}},
        S,
        "keyword(s) properties do not apply to a one_of schema",
    )


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "string", "items": {"type": "string"}}, "keyword(s) items do not apply to a string schema"),
        ({"type": "integer", "minLength": 1}, "keyword(s) minLength do not apply to a integer schema"),
        ({"type": "string", "minimum": 1}, "keyword(s) minimum do not apply to a string schema"),
        ({"type": "array", "items": {"type": "string"}, "pattern": "x"}, "keyword(s) pattern do not apply"),
        (
            {"type": "object", "additionalProperties": {"type": "string"}, "required": ["zz"]},
            "keyword(s) required do not apply to a map schema",
        ),
        ({"allOf": [{"type": "object"}], "additionalProperties": False}, "additionalProperties do not apply"),
        ({"type": "string", "enum": [None]}, "enum lists only null"),
    ],
)
def test_keywords_that_cannot_apply_are_refused(schema: dict[str, Any], problem: str) -> None:
    schema_fails(schema, S, problem)


def test_empty_all_of_is_refused() -> None:
    schema_fails({"allOf": []}, S, "allOf must be a non-empty list")


def test_non_numeric_minimum_is_refused() -> None:
    schema_fails({"type": "integer", "minimum": "1"}, S, "minimum must be a number")


def test_server_variable_without_default_is_refused() -> None:
    doc = oas(
        servers=[{"url": "https://x"}, {"url": "https://{env}.x", "variables": {"env": {"enum": ["a"]}}}]
    )
    fails(load_openapi, doc, "#/servers/1/variables/env", "server variable without a default")


@pytest.mark.parametrize(
    ("doc", "found"), [({"swagger": "2.0", "info": {}, "paths": {}}, "''"), ({"openapi": "2.0"}, "'2.0'")]
)
def test_openapi_2_document_is_refused(doc: dict[str, Any], found: str) -> None:
    fails(load_openapi, doc, "#/openapi", f"expected an OpenAPI 3.x document, found {found}")


def test_openapi_31_is_accepted() -> None:
    doc = oas()
    doc["openapi"] = "3.1.0"
    assert load_openapi(doc).operations == ()


def test_loader_does_not_mutate_the_document() -> None:
    doc = oas(
        {"/x": {"get": operation(parameters=[param("q", schema={"allOf": [{"$ref": S}], "default": "a"})])}},
        components={"schemas": {"S": {"type": "string"}}},
    )
    before = copy.deepcopy(doc)
    load_openapi(doc)
    assert doc == before


# --- AsyncAPI ------------------------------------------------------------------------------------------


def asyncapi(**top: Any) -> Any:
    doc: dict[str, Any] = {"asyncapi": "3.0.0", "info": {"title": "Kalshi WS", "version": "2.0.0"}}
    doc.update(top)
    return doc


TICKER_PAYLOAD = {
    "type": "object",
    "required": ["type", "msg"],
    "properties": {"type": {"type": "string", "const": "ticker"}, "msg": {"type": "object"}},
}


def ws_doc() -> Any:
    """Two channels sharing one component message, a command channel with an inline message, operations."""
    return asyncapi(
        defaultContentType="application/json",
        servers={
            "production": {
                "host": "external-api-ws.kalshi.com",
                "pathname": "/trade-api/ws/v2",
                "protocol": "wss",
            },
        },
        channels={
            "ticker": {
                "address": "ticker",
                "messages": {"tickerUpdate": {"$ref": "#/components/messages/ticker"}},
            },
            "ticker_v2": {
                "address": "ticker_v2",
                "messages": {"tick": {"$ref": "#/components/messages/ticker"}},
            },
            "control": {
                "messages": {
                    "subscribe": {
                        "name": "subscribe",
                        "contentType": "text/plain",
                        "payload": {
                            "type": "object",
                            "properties": {"cmd": {"type": "string", "const": "subscribe"}},
                        },
                    }
                }
            },
        },
        operations={
            "receiveTicker": {
                "action": "send",
                "channel": {"$ref": "#/channels/ticker"},
                "messages": [{"$ref": "#/channels/ticker/messages/tickerUpdate"}],
            },
            "subscribe": {
                "action": "receive",
                "channel": {"$ref": "#/channels/control"},
                "messages": [{"$ref": "#/channels/control/messages/subscribe"}],
            },
        },
        components={
            "schemas": {"TickerPayload": TICKER_PAYLOAD},
            "messages": {
                "ticker": {
                    "name": "ticker",
                    "payload": {"$ref": "#/components/schemas/TickerPayload"},
                    "examples": [
                        {"name": "one", "payload": {"type": "ticker", "msg": {"price": 1}}},
                        {"name": "no payload"},
                        {"name": "two", "payload": {"type": "ticker", "msg": {}}},
                    ],
                },
                "error": {"payload": {"type": "object", "properties": {"code": {"type": "integer"}}}},
            },
        },
    )


def test_asyncapi_document_basics_and_servers() -> None:
    doc = load_asyncapi(ws_doc())
    assert isinstance(doc, AsyncAPIDocument)
    assert (doc.title, doc.version) == ("Kalshi WS", "2.0.0")
    assert doc.servers == (
        WsServer(
            key="production", host="external-api-ws.kalshi.com", pathname="/trade-api/ws/v2", protocol="wss"
        ),
    )
    assert list(doc.schemas) == ["TickerPayload"]
    assert doc.schemas["TickerPayload"].kind == "object"


def test_component_message_is_shared_between_channels() -> None:
    doc = load_asyncapi(ws_doc())
    ticker, ticker_v2, control = doc.channels
    assert [c.key for c in doc.channels] == ["ticker", "ticker_v2", "control"]
    assert (ticker.address, ticker_v2.address, control.address) == ("ticker", "ticker_v2", None)
    assert ticker.pointer == "#/channels/ticker"
    (first,) = ticker.messages
    (second,) = ticker_v2.messages
    assert first is second
    assert first is doc.messages["ticker"]
    assert (first.key, first.name, first.pointer) == ("ticker", "ticker", "#/components/messages/ticker")


def test_inline_channel_message_gets_a_channel_scoped_key() -> None:
    doc = load_asyncapi(ws_doc())
    (subscribe,) = doc.channels[2].messages
    assert subscribe.key == "control.subscribe"
    assert subscribe.name == "subscribe"
    assert subscribe.content_type == "text/plain"
    assert subscribe.pointer == "#/channels/control/messages/subscribe"
    assert subscribe.payload.kind == "object"
    assert subscribe.payload.location == "#/channels/control/messages/subscribe/payload"
    assert subscribe.payload.get_property("cmd").schema.const == "subscribe"
    assert "control.subscribe" not in doc.messages


def test_asyncapi_operations_resolve_channel_and_message_keys() -> None:
    doc = load_asyncapi(ws_doc())
    assert doc.operations == (
        ChannelOperation(
            key="receiveTicker",
            action="send",
            channel="ticker",
            messages=("ticker",),  # channel message "tickerUpdate" is component message "ticker"
            pointer="#/operations/receiveTicker",
        ),
        ChannelOperation(
            key="subscribe",
            action="receive",
            channel="control",
            messages=("control.subscribe",),
            pointer="#/operations/subscribe",
        ),
    )


def test_message_name_and_content_type_fallbacks() -> None:
    doc = load_asyncapi(ws_doc())
    error = doc.messages["error"]
    assert (error.key, error.name) == ("error", "error")  # no name: the component key
    assert error.content_type == "application/json"
    custom = ws_doc()
    custom["defaultContentType"] = "application/vnd.kalshi+json"
    assert load_asyncapi(custom).messages["ticker"].content_type == "application/vnd.kalshi+json"
    del custom["defaultContentType"]
    assert load_asyncapi(custom).messages["ticker"].content_type == "application/json"


def test_message_examples_are_the_example_payloads() -> None:
    doc = load_asyncapi(ws_doc())
    assert doc.messages["ticker"].examples == (
        {"type": "ticker", "msg": {"price": 1}},
        {"type": "ticker", "msg": {}},
    )
    assert doc.messages["error"].examples == ()


def test_message_payload_as_ref_and_as_inline_schema() -> None:
    doc = load_asyncapi(ws_doc())
    ref = doc.messages["ticker"].payload
    assert (ref.kind, ref.ref, ref.location) == (
        "ref",
        "TickerPayload",
        "#/components/messages/ticker/payload",
    )
    inline = doc.messages["error"].payload
    assert inline.kind == "object"
    assert inline.get_property("code").schema.kind == "integer"
    assert inline.location == "#/components/messages/error/payload"


def test_channel_message_ref_through_another_channel_reuses_the_component_message() -> None:
    doc = ws_doc()
    doc["channels"]["mirror"] = {"messages": {"m": {"$ref": "#/channels/ticker/messages/tickerUpdate"}}}
    loaded = load_asyncapi(doc)
    assert loaded.channels[-1].messages[0] is loaded.messages["ticker"]


def test_channel_message_ref_cycle_is_refused() -> None:
    doc = ws_doc()
    doc["channels"]["loop"] = {"messages": {"m": {"$ref": "#/channels/loop/messages/m"}}}
    fails(load_asyncapi, doc, "#/channels/loop/messages/m", "$ref cycle")


def test_error_codes_extension() -> None:
    doc = ws_doc()
    doc["x-error-codes"] = {
        "codes": [{"code": 1, "name": "Unable to process message"}, {"code": 8, "name": "Bad"}]
    }
    assert load_asyncapi(doc).error_codes == (
        ErrorCode(code=1, name="Unable to process message"),
        ErrorCode(code=8, name="Bad"),
    )
    assert load_asyncapi(ws_doc()).error_codes == ()


def test_malformed_error_code_is_refused() -> None:
    doc = ws_doc()
    doc["x-error-codes"] = {"codes": [{"code": 1, "name": "ok"}, {"code": "2", "name": "bad"}]}
    fails(load_asyncapi, doc, "#/x-error-codes/codes/1", "an error code needs an integer code and a name")


@pytest.mark.parametrize("action", ["publish", None])
def test_bad_operation_action_is_refused(action: str | None) -> None:
    doc = ws_doc()
    doc["operations"]["subscribe"]["action"] = action
    fails(
        load_asyncapi,
        doc,
        "#/operations/subscribe",
        f"operation action must be send or receive, found {action!r}",
    )


def test_operation_message_outside_its_channel_is_refused() -> None:
    doc = ws_doc()
    doc["operations"]["subscribe"]["messages"] = [{"$ref": "#/channels/ticker/messages/tickerUpdate"}]
    fails(load_asyncapi, doc, "#/operations/subscribe/messages/0", "must be $refs into its channel")


def test_operation_message_pointing_at_components_is_refused() -> None:
    doc = ws_doc()
    doc["operations"]["receiveTicker"]["messages"] = [{"$ref": "#/components/messages/ticker"}]
    fails(load_asyncapi, doc, "#/operations/receiveTicker/messages/0", "#/channels/ticker/messages/")


def test_operation_message_missing_from_its_channel_is_refused() -> None:
    doc = ws_doc()
    doc["operations"]["receiveTicker"]["messages"] = [{"$ref": "#/channels/ticker/messages/nope"}]
    fails(load_asyncapi, doc, "#/operations/receiveTicker/messages/0", "does not resolve")


@pytest.mark.parametrize(
    ("channel", "problem"),
    [
        ({"$ref": "#/channels/nope"}, "$ref '#/channels/nope' does not resolve"),
        ("ticker", "an operation's channel must be a $ref to #/channels/<name>"),
        ({"$ref": "#/components/channels/x"}, "an operation's channel must be a $ref to #/channels/<name>"),
    ],
)
def test_bad_operation_channel_is_refused(channel: Any, problem: str) -> None:
    doc = ws_doc()
    doc["operations"]["subscribe"]["channel"] = channel
    fails(load_asyncapi, doc, "#/operations/subscribe/channel", problem)


def test_message_without_payload_is_refused() -> None:
    doc = ws_doc()
    del doc["components"]["messages"]["error"]["payload"]
    fails(load_asyncapi, doc, "#/components/messages/error", "message without a payload")


def test_bad_payload_schema_is_refused_at_its_location() -> None:
    doc = ws_doc()
    doc["components"]["messages"]["error"]["payload"] = {"type": "object", "not": {"type": "string"}}
    fails(load_asyncapi, doc, "#/components/messages/error/payload", "unsupported schema keyword(s) not")


@pytest.mark.parametrize("version", ["1.2.0", "2.7.0", "4.0.0", None])
def test_other_asyncapi_versions_are_refused(version: str | None) -> None:
    # 2.0-2.6 are read (tests/test_spec_quirks.py); anything else is refused.
    doc = ws_doc()
    doc["asyncapi"] = version
    fails(load_asyncapi, doc, "#/asyncapi", "expected an AsyncAPI 2.x or 3.x document")


def test_openapi_document_is_not_an_asyncapi_document() -> None:
    fails(load_asyncapi, oas(), "#/asyncapi", "expected an AsyncAPI 2.x or 3.x document, found ''")
