"""Base classes of the generated models: strict on the way out, tolerant on the way in.

Requests forbid unknown fields, so a misspelt keyword fails before it reaches the exchange. Responses keep
fields the spec does not list yet, so a new server field never breaks decoding.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


def check_encodable(value: Any) -> Any:
    """Refuse text that can't be sent: a lone surrogate (``"\\ud800"``) has no UTF-8 form, so the request
    body or query string could not be written. Looks into lists, tuples, sets and dicts."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise ValueError(
                        f"text must be valid Unicode: lone surrogate {item[exc.start]!r} at index {exc.start}"
                    ) from None
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
    return value


def exact_offset(value: Any) -> Any:
    """An aware datetime whose UTC offset has seconds (``+00:19:32``, historical zones) in UTC instead: JSON
    keeps only whole minutes of an offset, which would move the instant sent. Also inside a list."""
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset is None or not offset % timedelta(minutes=1):
            return value
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+00:00:30
            raise ValueError(f"{value.isoformat()} is out of range in UTC") from None
    if isinstance(value, list) and any(isinstance(item, datetime) for item in value):
        return [exact_offset(item) for item in value]
    return value


class RequestModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        # Validators are built on a model's first use, not at import: most programs use few of the models.
        defer_build=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        protected_namespaces=(),
    )

    @field_validator("*", mode="after")
    @classmethod
    def _sendable(cls, value: Any) -> Any:
        return exact_offset(check_encodable(value))


# Decoding responses: keys repeat on every item and are worth caching; values (ids, timestamps) rarely repeat,
# so caching them (pydantic's default) costs more than it saves. Also used by TypeAdapters of responses.
RESPONSE_PARSING = ConfigDict(cache_strings="keys")


class ResponseModel(BaseModel):
    model_config = ConfigDict(
        **RESPONSE_PARSING,
        extra="allow",
        defer_build=True,  # as for requests
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        protected_namespaces=(),
    )
