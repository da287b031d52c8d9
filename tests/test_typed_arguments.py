"""Required arguments are required to the type checker; ``extra_body`` sends what the pinned spec lacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api import KalshiAuth, KalshiClient, errors
from tests.spec_server import SpecServer

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "typing" / "required_arguments.py"
ORDER = {
    "ticker": "KXHIGHNY-26NOV22-T60",
    "side": "bid",
    "count": "10",
    "price": Decimal("0.56"),
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "taker_at_cross",
}


def test_mypy_flags_exactly_the_calls_missing_a_required_argument() -> None:
    expected = {
        (number, match.group(1))
        for number, line in enumerate(CASES.read_text(encoding="utf-8").splitlines(), start=1)
        if (match := re.search(r"# error: ([a-z-]+)", line))
    }
    # from the project root: its mypy settings (strict) and cache (warm after `make types`)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--show-error-codes", str(CASES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    found = {
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r":(\d+): error: .*\[([a-z-]+)\]$", result.stdout, re.MULTILINE)
    }
    assert found == expected, result.stdout + result.stderr
    assert len(expected) >= 6


def test_extra_body_is_merged_into_the_sent_body(server: SpecServer, key: rsa.RSAPrivateKey) -> None:
    with KalshiClient(auth=KalshiAuth("k", key), base_url=server.base_url) as client:
        client.orders.create_v2(**ORDER, extra_body={"newer_flag": True, "newer_cap": Decimal("12.50")})
    sent = json.loads(server.calls("CreateOrderV2")[-1].body)
    assert sent["newer_flag"] is True and sent["newer_cap"] == "12.50"
    assert sent["ticker"] == ORDER["ticker"] and sent["price"] == "0.56" and sent["client_order_id"]


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"ticker": "OTHER"}, r"extra_body\['ticker'\] is a field of CreateOrderV2Request"),
        ({"newer": object()}, "extra_body can't be sent as JSON: object value"),
        ({"newer": Decimal("NaN")}, "extra_body can't be sent as JSON"),
        ({"newer": float("inf")}, "extra_body can't be sent as JSON"),
    ],
)
def test_a_bad_extra_body_is_refused_before_anything_is_sent(
    server: SpecServer, key: rsa.RSAPrivateKey, extra: dict[str, object], named: str
) -> None:
    with KalshiClient(auth=KalshiAuth("k", key), base_url=server.base_url) as client:
        with pytest.raises(errors.ConfigurationError, match=named):
            client.orders.create_v2(**ORDER, extra_body=extra)
    assert server.calls("CreateOrderV2") == []
