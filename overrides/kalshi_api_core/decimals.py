"""Fixed-point money and count types: exact ``Decimal`` values that travel as strings on the wire.

Kalshi sends prices (``*_dollars``) and contract counts (``*_fp``) as decimal strings. A float can't hold
0.1 exactly, so floats are refused outright rather than rounded; so are bools (an ``int`` subclass that is
never a price), NaN and infinities.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AllowInfNan, BeforeValidator, PlainSerializer, Strict

# Plain decimal notation only: no exponents, no whitespace, no thousands separators.
_DECIMAL_STRING = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class DecimalInputError(ValueError):
    """A value that can't be an exact fixed-point decimal. Names the field (when known) and the value."""

    def __init__(self, value: object, reason: str, *, field: str | None = None) -> None:
        self.field = field
        self.value = value
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{reason}, got {type(value).__name__} {value!r}")


def to_decimal(value: object, *, field: str | None = None) -> Decimal:
    """Coerce Decimal, int or a plain decimal string into a finite ``Decimal``; refuse everything else."""
    if isinstance(value, bool):
        raise DecimalInputError(value, "expected a decimal amount, not a bool", field=field)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
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


def _validate(value: Any) -> Decimal:
    # Inside a model pydantic adds the field location to the error; the message carries the value.
    return to_decimal(value)


_PARSE = BeforeValidator(_validate)
_SERIALIZE = PlainSerializer(to_wire, return_type=str, when_used="json")

Dollars = Annotated[Decimal, _PARSE, _SERIALIZE]
"""US dollars as an exact Decimal (wire: fixed-point string such as ``"0.5600"``)."""

Count = Annotated[Decimal, _PARSE, _SERIALIZE]
"""Contract count as an exact Decimal (wire: fixed-point string such as ``"10.00"``)."""

StrictInt = Annotated[int, Strict()]
"""An integer field: ``True`` is not 1 and ``"1"`` is not 1."""

StrictBool = Annotated[bool, Strict()]

StrictFloat = Annotated[float, Strict(), AllowInfNan(False)]
"""A non-money number: ints are accepted, bools, NaN and infinities are not."""

PriceLevel = tuple[Dollars, Count]
"""One order-book level: ``(price in dollars, contract count)``; on the wire ``["0.1500", "100.00"]``."""
