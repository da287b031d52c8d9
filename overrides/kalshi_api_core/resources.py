"""Helpers the generated resource methods call: argument validation happens here, before any I/O."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from kalshi_api_core.transport import AsyncTransport, SyncTransport

M = TypeVar("M", bound=BaseModel)

DecimalInput = Decimal | int | str
"""What a money or count argument accepts: exact values only (floats are refused when validated)."""


class SyncResource:
    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport


class AsyncResource:
    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport


def build_params(model: type[M], **values: Any) -> M:
    """Validate path and query arguments; None means "not given"."""
    return model.model_validate({k: v for k, v in values.items() if v is not None})


def build_body(model: type[M], request: M | None, **fields: Any) -> M:
    """The request body from ``request=`` or from keyword arguments: never both, never a stray type."""
    given = {k: v for k, v in fields.items() if v is not None}
    if request is not None:
        if given:
            names = ", ".join(sorted(given))
            raise TypeError(
                f"pass either request={model.__name__}(...) or keyword arguments ({names}), not both"
            )
        if not isinstance(request, model):
            raise TypeError(f"request must be a {model.__name__}, got {type(request).__name__}")
        return request
    return model.model_validate(given)


def json_body(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A free-form JSON object body (the spec declares no fields): ``{}`` unless the caller gives one."""
    return dict(value or {})
