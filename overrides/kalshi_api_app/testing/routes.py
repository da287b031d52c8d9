"""Which operation a request is for, and its validated parameters and body.

The route table comes from the generated package (``kalshi_api.testing``): every ``Operation`` with the
models that validate its path and query parameters and its body, and the spec's success status.
"""

from __future__ import annotations

import re
import reprlib
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin
from urllib.parse import unquote

from pydantic import BaseModel, TypeAdapter, ValidationError

from kalshi_api_app.testing.problems import ApiProblem, bad_request
from kalshi_api_core.transport import Operation

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Route:
    """One operation the fake serves (generated into ``kalshi_api.testing.ROUTES``)."""

    operation: Operation[Any]
    status: int = 200  # the spec's success status
    params: type[BaseModel] | None = None  # the <OperationId>Params model: path and query parameters
    body: Any = None  # the request body model, or the alias of a free-form JSON object body


@dataclass(frozen=True)
class Request:
    """A routed, validated request."""

    route: Route
    params: BaseModel | None
    body: Any

    @property
    def operation_id(self) -> str:
        return self.route.operation.operation_id

    def params_as(self, model: type[M]) -> M:
        if not isinstance(self.params, model):
            raise TypeError(f"{self.operation_id} has no {model.__name__} parameters")
        return self.params

    def body_as(self, model: type[M]) -> M:
        if not isinstance(self.body, model):
            raise TypeError(f"{self.operation_id} has no {model.__name__} body")
        return self.body


class Router:
    """Matches ``METHOD /path`` to a route; literal segments win over parameters (``/markets/trades``
    before ``/markets/{ticker}``)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        ordered = sorted(routes, key=lambda r: r.operation.path.count("{"))
        self._routes = [(_template(r.operation.path), r) for r in ordered]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = False
        for pattern, route in self._routes:
            found = pattern.fullmatch(path)
            if found is None:
                continue
            if route.operation.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
            allowed = True
        if allowed:
            raise ApiProblem(405, "method_not_allowed", f"{method} is not allowed on {path}")
        raise ApiProblem(404, "not_found", f"no operation at {method} {path}")


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"\{([^}]+)\}", path)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(regex)


def parse(
    route: Route,
    path_values: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    body: bytes,
) -> Request:
    """Validate the request's parameters and body with the generated request models (400 otherwise)."""
    params = _params(route, path_values, query) if route.params is not None else None
    return Request(route, params, _body(route, body))


def _params(route: Route, path_values: Mapping[str, str], query: Sequence[tuple[str, str]]) -> BaseModel:
    model = route.params
    assert model is not None
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    values: dict[str, Any] = {}
    for wire, info in fields.items():
        given = [v for k, v in query if k == wire]
        if wire in path_values:
            given = [path_values[wire]]
        if not given:
            continue
        kinds = _kinds(info.annotation)
        if list in kinds:
            explode = route.operation.array_query.get(wire, True)
            items = given if explode else [p for v in given for p in v.split(",") if p]
            values[wire] = [_coerce(item, kinds) for item in items]
        else:
            values[wire] = _coerce(given[-1], kinds)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise bad_request(f"invalid parameters: {describe(exc)}") from None


def _body(route: Route, body: bytes) -> Any:
    target = route.body
    if target is None:
        return None
    if isinstance(target, type) and issubclass(target, BaseModel):
        if not body:
            raise bad_request(f"{route.operation.operation_id} needs a JSON body ({target.__name__})")
        try:
            return target.model_validate_json(body)
        except ValidationError as exc:
            raise bad_request(f"invalid body: {describe(exc)}") from None
    try:
        return TypeAdapter(target).validate_json(body or b"{}")
    except ValidationError as exc:
        raise bad_request(f"invalid body: {describe(exc)}") from None


def describe(exc: ValidationError, most: int = 3) -> str:
    """The first validation errors as ``field: message (got value)``."""
    parts = []
    for error in exc.errors()[:most]:
        where = ".".join(str(p) for p in error["loc"]) or "value"
        parts.append(f"{where}: {error['msg']} (got {reprlib.repr(error.get('input'))})")
    more = len(exc.errors()) - most
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _kinds(annotation: Any) -> set[Any]:
    """The Python types a field accepts, through Annotated, unions, Literal and list."""
    origin = get_origin(annotation)
    if origin in (Annotated, Union, types.UnionType):
        args = get_args(annotation)[:1] if origin is Annotated else get_args(annotation)
        return set().union(*(_kinds(arg) for arg in args))
    if origin is list:
        return {list} | _kinds(get_args(annotation)[0])
    if origin is Literal:
        return {type(value) for value in get_args(annotation)}
    return {annotation}


def _coerce(text: str, kinds: set[Any]) -> Any:
    """A query string value as the JSON value it stands for, so the strict models accept it; anything that
    does not convert is passed as given and the model reports it."""
    if bool in kinds and text in ("true", "false"):
        return text == "true"
    if int in kinds and str not in kinds:
        try:
            return int(text)
        except ValueError:
            return text
    return text
