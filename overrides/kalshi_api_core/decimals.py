"""Fixed-point money and count types: exact ``Decimal`` values that travel as strings on the wire.

Kalshi sends prices (``*_dollars``) and contract counts (``*_fp``) as decimal strings. A float can't hold
0.1 exactly, so floats are refused outright rather than rounded; so are bools (an ``int`` subclass that is
never a price), NaN and infinities.
"""

from __future__ import annotations

import re
import reprlib
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AllowInfNan, Field, GetCoreSchemaHandler, Strict
from pydantic_core import CoreSchema, core_schema

from kalshi_api_core.errors import KalshiError

# Plain decimal notation only: no exponents, no whitespace, no thousands separators.
_DECIMAL_STRING = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

# A Decimal's exponent can make its plain notation far longer than the object (Decimal("1E+999999999") is
# a gigabyte of zeros), so a Decimal may pad its digits with at most this many zeros. Strings can't (the
# pattern has no exponent) and ints don't.
MAX_PADDING = 1000
# int -> Decimal takes quadratic time, so, like Python's own int <-> str limit (4300 digits), ints over
# this many bits (2**14284 < 10**4300) are refused.
MAX_INT_BITS = 14_284

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class _Repr(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        # repr() of an int of over 4300 digits raises; a long one is cut to maxlong anyway
        return f"<int of {x.bit_length()} bits>" if x.bit_length() > 1000 else super().repr_int(x, level)


_REPR = _Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 80
_REPR.maxlevel = 3


def _describe(value: object) -> str:
    """``repr(value)`` cut to a readable length; never raises (deep nesting, huge ints, bad __repr__)."""
    try:
        return _REPR.repr(value)
    except Exception:
        return f"<{type(value).__name__} object>"


class DecimalInputError(KalshiError, ValueError):
    """A value that can't be an exact fixed-point decimal. Names the field (when known) and the value."""

    def __init__(self, value: object, reason: str, *, field: str | None = None) -> None:
        self.field = field
        self.value = value
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{reason}, got {type(value).__name__} {_describe(value)}")


def _pads_too_much(value: Decimal) -> bool:
    """Would plain notation pad ``value`` with over MAX_PADDING zeros? Cheap unless the value is huge."""
    if not value.is_finite():
        return False  # refused on its own
    adjusted = value.adjusted()  # the exponent of the leading digit
    if adjusted < -MAX_PADDING:
        return True  # 0.000...ddd
    return adjusted > MAX_PADDING and int(value.as_tuple().exponent) > MAX_PADDING  # ddd000...0


def to_decimal(value: object, *, field: str | None = None) -> Decimal:
    """Coerce Decimal, int or a plain decimal string into a finite ``Decimal``; refuse everything else."""
    if isinstance(value, bool):
        raise DecimalInputError(value, "expected a decimal amount, not a bool", field=field)
    if isinstance(value, Decimal):
        result = value
        if _pads_too_much(result):
            raise DecimalInputError(
                value, f"exponent out of range (plain notation pads over {MAX_PADDING} zeros)", field=field
            )
    elif isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise DecimalInputError(
                value, f"int too large for an amount (over {MAX_INT_BITS} bits)", field=field
            )
        result = Decimal(value)
    elif isinstance(value, str):
        if not _DECIMAL_STRING.fullmatch(value):
            raise DecimalInputError(value, "expected a plain decimal string such as '0.56'", field=field)
        try:
            result = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
            raise DecimalInputError(value, "expected a plain decimal string", field=field) from None
    elif isinstance(value, float):
        raise DecimalInputError(
            value, "floats are not exact; pass a Decimal or a decimal string such as '0.56'", field=field
        )
    else:
        raise DecimalInputError(value, "expected a Decimal, int or decimal string", field=field)
    if not result.is_finite():
        raise DecimalInputError(value, "expected a finite amount (NaN and infinity are refused)", field=field)
    return result


def to_wire(value: Decimal) -> str:
    """The wire form: plain notation (never ``1E+2``), keeping the caller's or server's scale."""
    return format(value, "f")


class _FixedPoint:
    """The core schema of a fixed-point field. Python input (keyword arguments, dicts) goes through
    ``to_decimal``. JSON input, the hot path of every response, is checked against the wire pattern and
    handed to ``Decimal`` inside pydantic-core: no Python frame per field. Both refuse the same things."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from_string = core_schema.no_info_after_validator_function(
            Decimal, core_schema.str_schema(pattern=_WIRE_PATTERN, strict=True)
        )
        from_int = core_schema.no_info_after_validator_function(
            to_decimal, core_schema.int_schema(strict=True)
        )
        return core_schema.json_or_python_schema(
            json_schema=core_schema.union_schema(
                [from_string, from_int],
                mode="left_to_right",
                custom_error_type="decimal_wire",
                custom_error_message=_JSON_ERROR,
            ),
            # inside a model pydantic adds the field's location to the error; the message carries the value
            python_schema=core_schema.no_info_plain_validator_function(to_decimal),
            serialization=core_schema.plain_serializer_function_ser_schema(
                to_wire, return_schema=core_schema.str_schema(), when_used="json"
            ),
        )


# The JSON form of _DECIMAL_STRING, for pydantic-core's regex engine ("$" there never matches before "\n").
_WIRE_PATTERN = "^" + _DECIMAL_STRING.pattern + "$"
_JSON_ERROR = "expected a plain decimal string such as '0.56' or an integer (floats are not exact)"
_FIXED_POINT = _FixedPoint()

Dollars = Annotated[Decimal, _FIXED_POINT]
"""US dollars as an exact Decimal (wire: fixed-point string such as ``"0.5600"``)."""

Count = Annotated[Decimal, _FIXED_POINT]
"""Contract count as an exact Decimal (wire: fixed-point string such as ``"10.00"``)."""


def _number_to_decimal(value: object) -> Decimal:
    """A JSON number as the Decimal of the digits the server wrote: a float's shortest repr is exactly those
    digits (for up to 17 significant ones), so nothing float-shaped leaks into the result."""
    if isinstance(value, float) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            raise DecimalInputError(value, "expected a finite number (NaN and infinity are refused)")
        return Decimal(repr(value))
    return to_decimal(value)


class _DecimalNumber:
    """The core schema of a number the spec types as a JSON double (rates, ratios, leverage): decoded into
    an exact Decimal, sent back as a JSON number."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _number_to_decimal,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _number_for_json, return_schema=core_schema.float_schema(), when_used="json"
            ),
        )


def _number_for_json(value: Decimal) -> float:
    return float(value)


DecimalNumber = Annotated[Decimal, _DecimalNumber()]
"""A JSON number (a rate, a ratio, leverage) as the exact Decimal of its digits; ints, Decimals and decimal
strings are taken too. Not for money: money travels as fixed-point strings (``Dollars``)."""

StrictInt = Annotated[int, Strict(), Field(ge=INT64_MIN, le=INT64_MAX)]
"""An integer field: ``True`` is not 1 and ``"1"`` is not 1. Every integer of the API is a 64-bit one; a
bigger int could not be sent (Python won't even print an int of over 4300 digits into a query string)."""

StrictBool = Annotated[bool, Strict()]

StrictFloat = Annotated[float, Strict(), AllowInfNan(False)]
"""A non-money number: ints are accepted, bools, NaN and infinities are not."""

PriceLevel = tuple[Dollars, Count]
"""One order-book level: ``(price in dollars, contract count)``; on the wire ``["0.1500", "100.00"]``."""
