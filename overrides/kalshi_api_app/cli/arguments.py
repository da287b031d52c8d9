"""Argument types and usage errors: bad input is refused, naming the option and the value, before any I/O.

Options are named after the SDK parameters they feed (``--event-ticker`` -> ``event_ticker``), so an error
the SDK's own validation raises maps back to the option the user typed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from kalshi_api_core.decimals import DecimalInputError, to_decimal
from kalshi_api_core.errors import KalshiError

# SDK parameters whose option has another name.
_RENAMED = {"limit": "--page-size"}


class UsageError(KalshiError, ValueError):
    """A command line the SDK can't act on. Printed argparse-style; the exit status is 2."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        super().__init__(f"argument {option}: {message}")


def option_for(parameter: str) -> str:
    """The command-line option that feeds SDK parameter ``parameter``."""
    return _RENAMED.get(parameter, "--" + parameter.replace("_", "-"))


def from_validation(error: ValidationError, options: Mapping[str, str] | None = None) -> UsageError:
    """The first problem the SDK's validation found, as a usage error naming the option and the value.
    ``options`` names the option of parameters that don't follow the naming rule."""
    problem = error.errors(include_url=False)[0]
    location = problem["loc"]
    parameter = str(location[0]) if location else error.title
    option = (options or {}).get(parameter) or option_for(parameter)
    if problem["type"] == "missing":
        return UsageError(option, "required")
    return UsageError(option, f"{problem['msg']}, got {problem['input']!r}")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _decimal(text: str) -> Decimal:
    try:
        return to_decimal(text)
    except DecimalInputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def price(text: str) -> Decimal:
    """A price in dollars, as the SDK's ``Dollars`` reads it: a plain decimal strictly between 0 and 1."""
    value = _decimal(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a price in dollars between 0 and 1, got {text!r}")
    return value


def count(text: str) -> Decimal:
    """A contract count, as the SDK's ``Count`` reads it: a plain decimal above 0."""
    value = _decimal(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of contracts, got {text!r}")
    return value


def parameter(text: str) -> tuple[str, Any]:
    """``NAME=VALUE``; the value as JSON when it parses (``true``, ``3``), else as the text itself."""
    name, sep, raw = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return name, value
