"""Schema-valid, deterministic instances of any generated model, built by introspecting its fields.

The fake answers the operations it keeps no state for with these: every field set (optional ones too, so a
client decoding them exercises its whole model), values derived from the field's type, constraints and name.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import annotated_types
from pydantic import AwareDatetime, BaseModel, JsonValue

M = TypeVar("M", bound=BaseModel)

SAMPLE_TIME = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
_PRICE = Decimal("0.5600")
_COUNT = Decimal("10.00")


def sample(model: type[M], overrides: dict[str, Any] | None = None) -> M:
    """A valid ``model`` with every field set; ``overrides`` (by field name) replace sampled values."""
    values = dict(_values(model, ()))
    values.update(overrides or {})
    return model.model_validate(values)


@functools.cache
def sample_json(model: type[BaseModel]) -> bytes:
    """The wire form of ``sample(model)``, computed once per model."""
    return sample(model).model_dump_json(by_alias=True).encode()


def _values(model: type[BaseModel], seen: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        value = _value(info.annotation, tuple(info.metadata), name, (*seen, model))
        if value is not _SKIP:
            result[name] = value
        elif info.is_required():  # a required field of a cyclic model: the cycle has to end somewhere
            result[name] = None
    return result


_SKIP = object()


def _value(annotation: Any, metadata: Sequence[Any], name: str, seen: tuple[type[BaseModel], ...]) -> Any:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return _value(base, (*metadata, *extra), name, seen)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        literals = [a for a in options if get_origin(a) is Literal]
        return _value((literals or options)[0], metadata, name, seen)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin is list:
        item = _value(get_args(annotation)[0], (), name, seen)
        return [] if item is _SKIP else [item]
    if origin is tuple:
        return tuple(_value(arg, (), name, seen) for arg in get_args(annotation))
    if origin is dict:
        return {"sample": _value(get_args(annotation)[1], (), name, seen)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _SKIP if annotation in seen else _values(annotation, seen)
    return _scalar(annotation, metadata, name)


def _scalar(annotation: Any, metadata: Sequence[Any], name: str) -> Any:
    if annotation is JsonValue:
        return "sample"
    if annotation is bool:
        return True
    if annotation is int:
        return _bounded(metadata)
    if annotation is float:
        return 0.5
    if annotation is Decimal:
        return _COUNT if "count" in name or name.endswith("_fp") else _PRICE
    if annotation in (datetime, AwareDatetime):
        return SAMPLE_TIME
    if annotation is date:
        return SAMPLE_TIME.date()
    if annotation is str:
        return _string(metadata, name)
    raise TypeError(f"no sample for field {name!r} of type {annotation!r}")


def _string(metadata: Sequence[Any], name: str) -> str:
    """``sample-<name>``, or the first of a few plain strings that fits the field's pattern."""
    patterns = [
        getattr(constraint, "pattern", None)
        for item in metadata
        for constraint in getattr(item, "metadata", [item])
    ]
    pattern = next((p for p in patterns if isinstance(p, str)), None)
    candidates = [f"sample-{name.rstrip('_')}", "sample", "sample1", "SAMPLE", "1", "a"]
    if pattern is None:
        return candidates[0]
    return next((c for c in candidates if re.search(pattern, c)), candidates[0])


def _bounded(metadata: Sequence[Any]) -> int:
    """A small int that satisfies the field's bounds."""
    low = high = None
    for item in metadata:
        for constraint in getattr(item, "metadata", [item]):
            if isinstance(constraint, annotated_types.Ge):
                low = int(constraint.ge)  # type: ignore[call-overload]
            elif isinstance(constraint, annotated_types.Gt):
                low = int(constraint.gt) + 1  # type: ignore[call-overload]
            elif isinstance(constraint, annotated_types.Le):
                high = int(constraint.le)  # type: ignore[call-overload]
            elif isinstance(constraint, annotated_types.Lt):
                high = int(constraint.lt) - 1  # type: ignore[call-overload]
    value = 1 if low is None else max(low, 1) if high is None or high >= 1 else low
    return value if high is None else min(value, high)
