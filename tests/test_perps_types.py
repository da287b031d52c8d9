"""What the perps client needed of the runtime: exact Decimals from JSON doubles (rates, ratios, leverage),
and Kalshi's environments mapped onto another family's servers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from kalshi_api.perps import models as perps_models
from kalshi_api.perps._spec import SERVERS
from kalshi_api_core import DecimalNumber
from kalshi_api_core.config import DEMO, PRODUCTION, environment, environment_of, environments_for
from kalshi_api_core.errors import ConfigurationError


class Rated(BaseModel):
    rate: DecimalNumber


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (b'{"rate": 0.1}', "0.1"),
        (b'{"rate": 12.5}', "12.5"),
        (b'{"rate": 3}', "3"),
        (b'{"rate": -0.0001}', "-0.0001"),
    ],
)
def test_a_json_double_decodes_as_the_exact_decimal_of_its_digits(wire: bytes, expected: str) -> None:
    value = Rated.model_validate_json(wire).rate
    assert isinstance(value, Decimal) and value == Decimal(expected) and str(value) == expected


def test_a_double_round_trips_as_a_json_number() -> None:
    assert Rated(rate=Decimal("0.25")).model_dump_json() == '{"rate":0.25}'


@pytest.mark.parametrize("bad", [True, float("nan"), float("inf"), "ten", None])
def test_what_is_not_a_number_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError, match="rate"):
        Rated(rate=bad)  # type: ignore[arg-type]


def test_perps_leverage_and_rates_are_decimals() -> None:
    risk = perps_models.GetMarginRiskResponse.model_validate_json(
        b'{"account_leverage": 4.75, "positions": [], "total_maintenance_margin": "12.5000",'
        b' "total_position_notional": "59.3750"}'
    )
    assert risk.account_leverage == Decimal("4.75") and risk.total_maintenance_margin == Decimal("12.5")


def test_environments_for_the_perps_servers() -> None:
    found = environments_for(SERVERS)
    assert found["production"].rest_url == "https://external-api.kalshi.com/trade-api/v2"
    assert found["production"].ws_url == "wss://external-api-margin-ws.kalshi.com/trade-api/ws/v2/margin"
    assert found["demo"].rest_url == "https://external-api.demo.kalshi.co/trade-api/v2"
    assert found["demo"].ws_url == "wss://external-api-margin-ws.demo.kalshi.co/trade-api/ws/v2/margin"
    # names and the trade Environment objects both map onto the family's; a custom one stays itself
    assert environment("demo", family=found) == found["demo"]
    assert environment(PRODUCTION, family=found) == found["production"]
    assert environment("prod") == PRODUCTION  # the trade exchange's without a family
    with pytest.raises(ConfigurationError, match="unknown Kalshi environment 'paper'"):
        environment("paper", family=found)


def test_every_host_under_an_environments_domain_is_that_environments() -> None:
    assert environment_of("wss://external-api-margin-ws.kalshi.com/x") == PRODUCTION
    assert environment_of("wss://external-api-margin-ws.demo.kalshi.co/x") == DEMO
    assert environment_of("https://notkalshi.com/x") is None
    assert environment_of("http://127.0.0.1:8080") is None
