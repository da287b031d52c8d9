"""The intermediate representation: plain dataclasses built from a normalized spec, every ``$ref`` resolved.

The IR knows nothing about Python output. A construct it cannot represent stops generation with an
``IRError`` naming the spec location, so the generated code never falls back to a silent ``Any``. A quirk
the loader can represent faithfully (constraints beside a ``$ref``, a ``required`` name without a property,
an AsyncAPI 2.x document) is read, and the document's ``notes`` say what was done, naming the pointer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SchemaKind = Literal[
    "ref",  # a named component schema (``ref`` holds its name)
    "object",  # properties, optionally with typed additional properties
    "map",  # an object of arbitrary keys whose values share one schema
    "json_object",  # a free-form JSON object, declared as such by the spec
    "array",
    "string",
    "integer",
    "number",
    "boolean",
    "all_of",
    "one_of",
    "any_of",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class _Missing:
    """Marks an absent ``default``/``const``/``example`` (``None`` is a legitimate value of each)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class IRError(Exception):
    """The spec holds something the IR cannot represent. The message names the spec location."""

    def __init__(self, location: str, problem: str) -> None:
        self.location = location
        self.problem = problem
        super().__init__(f"{location}: {problem}")


@dataclass(frozen=True)
class Constraints:
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    multiple_of: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    min_properties: int | None = None
    max_properties: int | None = None

    def is_empty(self) -> bool:
        return self == Constraints()


@dataclass(frozen=True)
class Property:
    name: str  # the wire name
    schema: Schema
    required: bool

    @property
    def read_only(self) -> bool:
        """Sent by the server only: not a field of request models (``readOnly`` on the schema or its $ref)."""
        return self.schema.read_only

    @property
    def write_only(self) -> bool:
        """Sent by the client only: not a field of response models (``writeOnly``)."""
        return self.schema.write_only


@dataclass(frozen=True)
class Discriminator:
    """The property whose value says which member of a one_of/any_of (or which subtype) a value is."""

    property_name: str
    # value -> component schema name, in spec order; () means the values are the members' component names
    mapping: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Schema:
    location: str  # JSON pointer of the schema in the normalized spec
    kind: SchemaKind
    name: str | None = None  # component name, for schemas declared under components/schemas
    ref: str | None = None  # target component name, for kind "ref"
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    const: Any = MISSING
    nullable: bool = False
    default: Any = MISSING
    deprecated: bool = False
    properties: tuple[Property, ...] = ()
    additional: Schema | None = None  # value schema of "map" (and of "object" with typed extra keys)
    items: Schema | None = None
    parts: tuple[Schema, ...] = ()  # members of all_of / one_of / any_of
    constraints: Constraints = field(default_factory=Constraints)
    example: Any = MISSING
    extensions: tuple[tuple[str, Any], ...] = ()  # x-* keys, sorted
    # OpenAPI readOnly/writeOnly: a readOnly property belongs in response models only, writeOnly in requests.
    read_only: bool = False
    write_only: bool = False
    discriminator: Discriminator | None = None
    # additionalProperties: false on an "object": no keys beyond ``properties`` (``additional`` is then None;
    # an object that is neither closed nor has ``additional`` accepts extra keys of any type).
    closed: bool = False

    def get_property(self, name: str) -> Property:
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(name)


@dataclass(frozen=True)
class Parameter:
    name: str
    location: Literal["path", "query", "header", "cookie"]
    required: bool
    schema: Schema
    style: str  # the effective serialization style (spec value or the OpenAPI default for the location)
    explode: bool
    deprecated: bool
    pointer: str


@dataclass(frozen=True)
class Body:
    media_type: str
    schema: Schema | None  # None: the spec declares a media type without a schema


@dataclass(frozen=True)
class RequestBody:
    required: bool
    content: tuple[Body, ...]
    pointer: str


@dataclass(frozen=True)
class Response:
    status: str  # "200", "4XX", "default"
    content: tuple[Body, ...]
    pointer: str

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # lower case
    path: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: tuple[Response, ...]
    security: tuple[tuple[str, ...], ...]  # alternatives, each a set of scheme names; () means public
    deprecated: bool
    pointer: str

    @property
    def tag(self) -> str:
        return self.tags[0] if self.tags else "default"

    @property
    def success_responses(self) -> tuple[Response, ...]:
        return tuple(r for r in self.responses if r.is_success)

    @property
    def error_responses(self) -> tuple[Response, ...]:
        return tuple(r for r in self.responses if not r.is_success)

    @property
    def requires_auth(self) -> bool:
        return bool(self.security) and () not in self.security


@dataclass(frozen=True)
class SecurityScheme:
    key: str
    type: str
    location: str | None  # "header" for apiKey schemes
    parameter_name: str | None  # e.g. KALSHI-ACCESS-KEY


@dataclass(frozen=True)
class OpenAPIDocument:
    title: str
    version: str
    servers: tuple[str, ...]
    operations: tuple[Operation, ...]
    schemas: dict[str, Schema]  # component schemas by name, in spec order
    security_schemes: tuple[SecurityScheme, ...]
    notes: tuple[str, ...] = ()  # regen notes: each quirk the loader handled, naming its pointer


@dataclass(frozen=True)
class Message:
    key: str  # component key, e.g. "orderbookSnapshot"
    name: str  # the name the spec gives the message (the wire "type" for data messages)
    content_type: str
    payload: Schema
    examples: tuple[Any, ...]  # example payloads
    pointer: str


@dataclass(frozen=True)
class Channel:
    key: str  # the channel id (AsyncAPI 2.x has none: there the key is the address)
    address: str | None
    messages: tuple[Message, ...]
    pointer: str


@dataclass(frozen=True)
class ChannelOperation:
    key: str
    # From the server's point of view, as AsyncAPI 3 defines it: "send" = the server sends (AsyncAPI 2.x
    # `subscribe`), "receive" = the client sends (2.x `publish`).
    action: Literal["send", "receive"]
    channel: str
    messages: tuple[str, ...]  # message keys
    pointer: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ErrorCode:
    code: int
    name: str


@dataclass(frozen=True)
class WsServer:
    key: str
    host: str
    pathname: str
    protocol: str


@dataclass(frozen=True)
class AsyncAPIDocument:
    title: str
    version: str
    servers: tuple[WsServer, ...]
    channels: tuple[Channel, ...]
    messages: dict[str, Message]  # by component key
    operations: tuple[ChannelOperation, ...]
    schemas: dict[str, Schema]
    error_codes: tuple[ErrorCode, ...]
    notes: tuple[str, ...] = ()  # regen notes, e.g. that an AsyncAPI 2.x document was read
