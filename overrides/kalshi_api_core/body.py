"""Request bodies on the wire: a request model's JSON, plus fields newer than the pinned spec (extra_body=).

A model can only hold the fields the pinned spec lists; Kalshi may accept one a newer spec adds before the
SDK is regenerated. ``extra_body`` sends such fields as given, merged into the model's JSON. It may not
repeat a field the model has (pass that as its keyword), and its values must be JSON: ``Decimal`` becomes the
wire's string, datetimes ISO 8601; anything else is refused before any I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from kalshi_api_core.decimals import to_wire
from kalshi_api_core.errors import ConfigurationError


def model_json(model: BaseModel, extra: Mapping[str, Any] | None) -> bytes:
    """The body of ``model`` (only the fields set), with ``extra`` merged in."""
    if not extra:
        return model.model_dump_json(by_alias=True, exclude_unset=True).encode()
    fields = type(model).model_fields
    known = {info.alias or name for name, info in fields.items()} | set(fields)
    for key in extra:
        if not isinstance(key, str) or not key:
            raise ConfigurationError(f"extra_body keys must be non-empty strings, got {key!r}")
        if key in known:
            raise ConfigurationError(
                f"extra_body[{key!r}] is a field of {type(model).__name__}: pass it as its keyword argument"
            )
    payload = {**model.model_dump(mode="json", by_alias=True, exclude_unset=True), **extra}
    try:
        return json.dumps(payload, separators=(",", ":"), allow_nan=False, default=_wire).encode()
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"extra_body can't be sent as JSON: {exc}") from None


def _wire(value: Any) -> Any:
    if isinstance(value, Decimal) and value.is_finite():
        return to_wire(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} value {value!r} is not JSON")
