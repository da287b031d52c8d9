"""Which schemas are sent and which are received: one rule for the model pass, drift and the contract tests.

A component schema reachable from what the client sends (request bodies and parameters; WebSocket commands)
is a request schema; reachable from what the server sends (responses; every other WebSocket message) it is a
response schema; reachable from both, it is both (and gets a model per direction). A component nothing
reaches keeps the direction its name announces: ``...Request`` is sent, anything else received.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Literal

from codegen.ir import AsyncAPIDocument, OpenAPIDocument, Operation, Schema

Direction = Literal["request", "response"]
Directions = Mapping[str, frozenset[Direction]]  # component name -> the directions it travels in


def referenced_components(schema: Schema | None, schemas: Mapping[str, Schema]) -> set[str]:
    """Names of every component schema reachable from ``schema``."""
    found: set[str] = set()
    stack = [schema] if schema is not None else []
    while stack:
        current = stack.pop()
        if current.kind == "ref" and current.ref is not None:
            if current.ref not in found:
                found.add(current.ref)
                stack.append(schemas[current.ref])
            continue
        stack.extend(p.schema for p in current.properties)
        stack.extend(current.parts)
        stack.extend(s for s in (current.items, current.additional) if s is not None)
    return found


def request_roots(op: Operation) -> Iterator[Schema | None]:
    """What the client sends for ``op``: its parameters and request bodies."""
    yield from (param.schema for param in op.parameters)
    if op.request_body is not None:
        yield from (body.schema for body in op.request_body.content)


def response_roots(op: Operation) -> Iterator[Schema | None]:
    """What the server sends for ``op``: every response body, errors included."""
    for response in op.responses:
        yield from (body.schema for body in response.content)


def _directions(
    schemas: Mapping[str, Schema], sent: Iterable[Schema | None], received: Iterable[Schema | None]
) -> dict[str, frozenset[Direction]]:
    found: dict[str, set[Direction]] = {}
    for direction, roots in (("request", sent), ("response", received)):
        for root in roots:
            names = referenced_components(root, schemas)
            if root is not None and root.name is not None:
                names.add(root.name)
            for name in names:
                found.setdefault(name, set()).add(direction)  # type: ignore[arg-type]
    result: dict[str, frozenset[Direction]] = {}
    for name in schemas:
        by_name: Direction = "request" if name.endswith("Request") else "response"
        result[name] = frozenset(found.get(name) or {by_name})
    return result


def openapi_directions(doc: OpenAPIDocument) -> dict[str, frozenset[Direction]]:
    """The direction(s) of every component schema of a REST spec."""
    sent = [root for op in doc.operations for root in request_roots(op)]
    received = [root for op in doc.operations for root in response_roots(op)]
    return _directions(doc.schemas, sent, received)


def sent_messages(doc: AsyncAPIDocument) -> set[str]:
    """Keys of the WebSocket messages the client sends: those of the server's ``receive`` operations (AsyncAPI
    names actions from the server's side), and any message whose payload carries a ``cmd`` (the spec lists
    some command variants under no operation)."""
    sent = {key for op in doc.operations if op.action == "receive" for key in op.messages}
    return sent | {key for key, message in doc.messages.items() if _is_command(message.payload, doc.schemas)}


def message_direction(doc: AsyncAPIDocument, key: str, sent: set[str] | None = None) -> Direction:
    return "request" if key in (sent_messages(doc) if sent is None else sent) else "response"


def asyncapi_directions(doc: AsyncAPIDocument) -> dict[str, frozenset[Direction]]:
    """The direction(s) of every component schema of a WebSocket spec."""
    sent_keys = sent_messages(doc)
    sent = [m.payload for key, m in doc.messages.items() if key in sent_keys]
    received = [m.payload for key, m in doc.messages.items() if key not in sent_keys]
    return _directions(doc.schemas, sent, received)


def _is_command(payload: Schema, schemas: Mapping[str, Schema]) -> bool:
    target = schemas.get(payload.ref or "", payload) if payload.kind == "ref" else payload
    return any(p.name == "cmd" for p in target.properties)
