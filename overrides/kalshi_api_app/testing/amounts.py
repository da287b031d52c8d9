"""Prices and contract counts as the fake exchange checks and writes them: exact ``Decimal`` values."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")


def fixed(value: Decimal, places: int) -> Decimal:
    """``value`` with at least ``places`` decimals, as Kalshi writes amounts ("0.5600", "10.00"); a value
    with more decimals keeps them, so nothing is ever rounded away."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -places:
        return value.quantize(Decimal(1).scaleb(-places))
    return value


def dollars(value: Decimal) -> Decimal:
    """A dollar amount in Kalshi's wire form: four decimals."""
    return fixed(value, 4)


def count(value: Decimal) -> Decimal:
    """A contract count in Kalshi's wire form: two decimals."""
    return fixed(value, 2)


def round_dollars(value: Decimal) -> Decimal:
    """A computed share of a dollar amount (an average cost), rounded to Kalshi's four decimals."""
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


def cents(value: Decimal) -> int:
    """Whole cents of a dollar amount, rounded toward zero (the integer balance fields)."""
    return int((value * 100).to_integral_value(rounding=ROUND_DOWN))
