"""The fixed-point Decimal types: exact in, exact out, and every inexact or non-numeric input refused."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from kalshi_api_core import (
    Count,
    DecimalInputError,
    Dollars,
    PriceLevel,
    StrictBool,
    StrictFloat,
    StrictInt,
    to_decimal,
    to_wire,
)


class Quote(BaseModel):
    price: Dollars
    size: Count
    level: PriceLevel | None = None
    sequence: StrictInt = 0
    ratio: StrictFloat = 0.0
    live: StrictBool = False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (Decimal("0.5600"), Decimal("0.5600")),
        (3, Decimal(3)),
        ("0.56", Decimal("0.56")),
        ("10.00", Decimal("10.00")),
        ("-1.25", Decimal("-1.25")),
        ("+2", Decimal(2)),
        (".5", Decimal("0.5")),
        ("12345678901234567890.123456", Decimal("12345678901234567890.123456")),
    ],
)
def test_accepts_decimals_ints_and_decimal_strings(given: Any, expected: Decimal) -> None:
    quote = Quote(price=given, size=given)
    assert quote.price == expected and isinstance(quote.price, Decimal)
    assert str(quote.price) == str(expected)  # the scale is kept: "0.5600" stays 0.5600


BAD_INPUTS = [
    0.56,
    1.0,
    True,
    False,
    float("nan"),
    float("inf"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    "NaN",
    "inf",
    "-Infinity",
    "1e3",
    "1E-2",
    "0x10",
    "1_000",
    "1,000",
    " 1",
    "1 ",
    "",
    "abc",
    "٣",  # a non-ASCII digit: Decimal() would take it, the wire format doesn't
    None,
    [1],
    {"amount": 1},
    b"1",
]


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=repr)
@pytest.mark.parametrize("field", ["price", "size"])
def test_rejects_bad_input_naming_field_and_value(bad: Any, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        Quote.model_validate({"price": "1", "size": "1", field: bad})
    (error,) = err.value.errors()
    assert error["loc"] == (field,)
    assert error["input"] is bad or error["input"] == bad
    assert repr(bad) in str(err.value)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=repr)
def test_to_decimal_raises_a_typed_error_with_field_and_value(bad: Any) -> None:
    with pytest.raises(DecimalInputError) as err:
        to_decimal(bad, field="yes_price_dollars")
    assert err.value.field == "yes_price_dollars"
    assert err.value.value is bad
    assert str(err.value).startswith("yes_price_dollars: ")
    assert repr(bad) in str(err.value)
    assert isinstance(err.value, ValueError)


JSON_BAD_INPUTS = [b for b in BAD_INPUTS if isinstance(b, str | bool | list | dict) or b is None]


@pytest.mark.parametrize("bad", JSON_BAD_INPUTS)
def test_json_input_refuses_what_python_input_refuses(bad: Any) -> None:
    # Responses take the JSON path, which never runs to_decimal: it must refuse exactly the same strings.
    raw = json.dumps({"price": "1", "size": "1", "level": ["0.1", bad]})
    with pytest.raises(ValidationError) as err:
        Quote.model_validate_json(raw)
    (error,) = err.value.errors()
    assert error["loc"] == ("level", 1)
    assert error["input"] == bad
    assert "plain decimal string" in str(err.value)


@pytest.mark.parametrize("text", ["0.5600", "-1.25", "+2", ".5", "7.", "12345678901234567890.123456"])
def test_json_strings_keep_their_digits_and_scale(text: str) -> None:
    quote = Quote.model_validate_json(json.dumps({"price": text, "size": 3}))
    assert str(quote.price) == str(Decimal(text)) and quote.size == Decimal(3)


def test_floats_are_refused_with_a_hint() -> None:
    with pytest.raises(DecimalInputError, match=r"floats are not exact.*Decimal"):
        to_decimal(0.1)


def test_json_round_trip_keeps_the_wire_string() -> None:
    raw = b'{"price":"0.5600","size":"10.00","level":["0.1500","100.00"]}'
    quote = Quote.model_validate_json(raw)
    assert quote.level == (Decimal("0.1500"), Decimal("100.00"))
    assert quote.model_dump_json(exclude_unset=True).encode() == raw
    # Python-mode dumps keep Decimal objects for arithmetic
    assert quote.model_dump()["price"] == Decimal("0.5600")


def test_json_numbers_are_refused_for_money() -> None:
    with pytest.raises(ValidationError) as err:
        Quote.model_validate_json(b'{"price":0.56,"size":"1"}')
    assert err.value.errors()[0]["loc"] == ("price",)


def test_wire_form_never_uses_exponents() -> None:
    assert to_wire(Decimal("1E+2")) == "100"
    assert to_wire(Decimal("1E-7")) == "0.0000001"
    assert Quote(price=Decimal("5E+1"), size=1).model_dump_json(include={"price"}) == '{"price":"50"}'


@pytest.mark.parametrize("bad", [("0.15",), ("0.15", "1", "2"), (0.15, "1"), ("x", "1")], ids=repr)
def test_price_levels_are_exact_pairs(bad: Any) -> None:
    with pytest.raises(ValidationError) as err:
        Quote(price=1, size=1, level=bad)
    assert err.value.errors()[0]["loc"][0] == "level"


@pytest.mark.parametrize("bad", [True, "1", 1.0, 1.5, None])
def test_strict_int_rejects_bool_strings_and_floats(bad: Any) -> None:
    with pytest.raises(ValidationError) as err:
        Quote(price=1, size=1, sequence=bad)
    assert err.value.errors()[0]["loc"] == ("sequence",)


@pytest.mark.parametrize("bad", [True, "1.5", float("nan"), float("inf"), float("-inf")])
def test_strict_float_rejects_bool_strings_nan_and_infinity(bad: Any) -> None:
    with pytest.raises(ValidationError) as err:
        Quote(price=1, size=1, ratio=bad)
    assert err.value.errors()[0]["loc"] == ("ratio",)


def test_strict_float_accepts_ints_and_bool_accepts_only_bools() -> None:
    assert Quote(price=1, size=1, ratio=2).ratio == 2.0
    with pytest.raises(ValidationError):
        Quote(price=1, size=1, live=1)
    with pytest.raises(ValidationError):
        Quote(price=1, size=1, live="true")


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_finite_decimal_round_trips_exactly_through_json(value: Decimal) -> None:
    quote = Quote(price=value, size=value)
    decoded = Quote.model_validate_json(quote.model_dump_json())
    assert decoded.price == value and decoded.size == value
    assert "e" not in to_wire(value).lower()


@given(st.floats())
def test_every_float_is_refused(value: float) -> None:
    with pytest.raises(DecimalInputError):
        to_decimal(value, field="price")


@given(st.text())
def test_arbitrary_text_is_either_a_plain_decimal_or_refused(text: str) -> None:
    try:
        result = to_decimal(text)
    except DecimalInputError as err:
        assert err.value == text
    else:
        assert result.is_finite() and result == Decimal(text)
        assert all(ch in "+-.0123456789" for ch in text)
