"""The ``kalshi-api`` command line, run for real: in-process through ``main(argv)`` (stdout and stderr
captured), and as ``python -m kalshi_api`` and the installed console script. It talks to ``FakeKalshi``:
its own one (``--fake``), or a running one at ``--base-url``/``--ws-url`` with credentials from the
environment (a real RSA key the fake verifies)."""

from __future__ import annotations

import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api.testing import FakeKalshi
from kalshi_api_app.cli.app import main

T = "KXHIGHNY-26NOV22-T60"
KEY_ID = "cli-test-key"
KALSHI_VARIABLES = (
    "KALSHI_KEY_ID",
    "KALSHI_PRIVATE_KEY",
    "KALSHI_PRIVATE_KEY_PATH",
    "KALSHI_PRIVATE_KEY_PASSPHRASE",
    "KALSHI_ENV",
    "KALSHI_BASE_URL",
    "KALSHI_WS_URL",
)
CONSOLE_SCRIPT = shutil.which("kalshi-api", path=str(Path(sys.executable).parent))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def no_kalshi_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own Kalshi variables must not leak into these runs."""
    for name in KALSHI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake(key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKalshi]:
    """A running fake that verifies signatures with ``key``; the CLI signs with it from the environment."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    monkeypatch.setenv("KALSHI_KEY_ID", KEY_ID)
    monkeypatch.setenv("KALSHI_PRIVATE_KEY", pem.decode())
    with FakeKalshi(private_key=key, key_id=KEY_ID) as running:
        yield running


def at(fake: FakeKalshi) -> list[str]:
    return ["--base-url", fake.rest_url, "--ws-url", fake.ws_url]


def header_columns(header: str) -> dict[str, tuple[int, int]]:
    """Each header's (start, end) offsets in the header line."""
    return {m.group(): (m.start(), m.end()) for m in re.finditer(r"\S+", header)}


def field_lines(out: str) -> dict[str, str]:
    """A ``name  value`` listing as a dict."""
    return dict(line.split(None, 1) for line in out.splitlines())


def calls(fake: FakeKalshi, operation_id: str) -> int:
    return sum(1 for call in fake.calls if call.operation_id == operation_id)


# --- every command, against its own fake (--fake) ------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "first_line"),
    [
        (["status"], "exchange_active "),
        (["markets", "list"], "TICKER "),
        (["markets", "get", T], "can_close_early "),
        (["orderbook", T], "SIDE "),
        (["series", "list"], "TICKER "),
        (["series", "get", "KXHIGHNY"], "additional_prohibitions "),
        (["events", "list"], "EVENT_TICKER "),
        (["events", "get", "KXHIGHNY-26NOV22"], "available_on_brokers "),
        (["balance"], "balance "),
        (["positions"], "TICKER "),
        (["fills"], "TRADE_ID "),
        (["orders", "list"], "ORDER_ID "),
    ],
)
def test_every_command_runs_against_the_fake(
    capsys: pytest.CaptureFixture[str], argv: list[str], first_line: str
) -> None:
    code, out, err = cli(capsys, "--fake", *argv)
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith(first_line)


def test_global_options_work_after_the_command_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "balance", "--json", "--fake")
    assert (code, err) == (0, "")
    assert json.loads(out)["balance_dollars"] == "1000.0000"


def test_json_keeps_decimals_as_the_wire_strings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--fake", "--json", "orderbook", T)
    assert code == 0
    # The fake's house liquidity (HOUSE_ORDERS): a bid at 0.44 and an ask at 0.56, a NO bid at 0.44.
    assert json.loads(out) == {"yes_dollars": [["0.4400", "10.00"]], "no_dollars": [["0.4400", "10.00"]]}


def test_json_of_a_market_is_the_sdk_models_dump(
    capsys: pytest.CaptureFixture[str], fake: FakeKalshi
) -> None:
    fake.seed_order(T, "bid", "0.4", "7")
    code, out, _ = cli(capsys, *at(fake), "--json", "markets", "get", T)
    assert code == 0
    printed = json.loads(out)
    with fake.client() as client:
        assert printed == client.markets.get(T).model_dump(mode="json", by_alias=True)
    assert (printed["yes_bid_dollars"], printed["yes_bid_size_fp"]) == ("0.4000", "7.00")


def test_tables_align_text_left_and_numbers_right(
    capsys: pytest.CaptureFixture[str], fake: FakeKalshi
) -> None:
    fake.seed_order(T, "bid", "0.05", "7")
    fake.seed_order(T, "bid", "0.4", "120")
    fake.seed_order(T, "ask", "0.9", "1250")
    code, out, _ = cli(capsys, *at(fake), "markets", "list")
    assert code == 0
    header, *rows = out.splitlines()
    offsets = header_columns(header)
    with fake.client() as client:
        markets = list(client.markets.list_all())
    assert len(rows) == len(markets) == 4
    for row, market in zip(rows, markets, strict=True):
        for name, text in (("TICKER", market.ticker), ("STATUS", market.status)):
            start = offsets[name][0]
            assert row[start:].split("  ")[0] == text and row[start - 1 : start] in ("", " ")
        for name, amount in (("YES_BID", market.yes_bid_dollars), ("YES_ASK", market.yes_ask_dollars)):
            end = offsets[name][1]
            assert row[:end].split(" ")[-1] == f"{amount:f}" and row[end] == " "
    code, out, _ = cli(capsys, *at(fake), "orderbook", T)
    assert out.splitlines() == [
        "SIDE   PRICE    COUNT",
        "yes   0.4000   120.00",
        "yes   0.0500     7.00",
        "no    0.1000  1250.00",
    ]


def test_paging_follows_cursors_within_limit_and_max_pages(
    capsys: pytest.CaptureFixture[str], fake: FakeKalshi
) -> None:
    code, out, _ = cli(capsys, *at(fake), "--json", "markets", "list", "--page-size", "1", "--max-pages", "3")
    assert code == 0 and len(json.loads(out)) == 3
    assert calls(fake, "GetMarkets") == 3
    code, out, _ = cli(capsys, *at(fake), "--json", "markets", "list", "--limit", "2", "--page-size", "1")
    assert code == 0 and [m["ticker"] for m in json.loads(out)] == [T, "KXHIGHNY-26NOV22-T65"]
    assert calls(fake, "GetMarkets") == 5  # two more: no page past the limit is asked for
    code, out, _ = cli(capsys, *at(fake), "--json", "markets", "list", "--limit", "3")
    assert code == 0 and len(json.loads(out)) == 3
    assert calls(fake, "GetMarkets") == 6  # one request, cut to 3 rows
    code, out, _ = cli(capsys, *at(fake), "--json", "events", "list", "--page-size", "1")
    assert code == 0 and len(json.loads(out)) == 2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stderr", terminal)
        code, out, _ = cli(capsys, "--fake", "markets", "list", "--page-size", "1")
    assert code == 0 and len(out.splitlines()) == 5
    assert terminal.getvalue().startswith("\r\x1b[Kmarkets: 1 fetched")
    assert terminal.getvalue().endswith("\r\x1b[K")  # erased before the table is printed
    assert cli(capsys, "--fake", "markets", "list", "--page-size", "1")[2] == ""


# --- orders ------------------------------------------------------------------------------------------


def test_order_create_then_list_then_cancel(capsys: pytest.CaptureFixture[str], fake: FakeKalshi) -> None:
    code, out, err = cli(
        capsys, *at(fake), "--json", "orders", "create", T, "--side", "bid", "--price", "0.45", "--count", "3"
    )
    assert (code, err) == (0, "")
    created = json.loads(out)
    uuid.UUID(created["client_order_id"])  # generated before sending: known even if the answer is lost
    assert (created["fill_count"], created["remaining_count"]) == ("0.00", "3.00")

    code, out, _ = cli(capsys, *at(fake), "--json", "orders", "list")
    (order,) = json.loads(out)
    assert order["client_order_id"] == created["client_order_id"]
    assert (order["order_id"], order["status"]) == (created["order_id"], "resting")
    assert (order["yes_price_dollars"], order["remaining_count_fp"]) == ("0.4500", "3.00")
    code, out, _ = cli(capsys, *at(fake), "orders", "list")
    _, row = out.splitlines()
    assert row.startswith(created["order_id"]) and row.endswith("resting")
    assert fake.balance == Decimal("998.65")  # 3 x 0.45 held by the resting bid

    code, out, err = cli(capsys, *at(fake), "orders", "cancel", created["order_id"])
    assert (code, err) == (0, "")
    assert field_lines(out)["order_id"] == created["order_id"]
    code, out, _ = cli(capsys, *at(fake), "--json", "orders", "list")
    assert [o["status"] for o in json.loads(out)] == ["canceled"]
    assert fake.balance == 1000


def test_order_create_prints_the_client_order_id_and_places_it_once(
    capsys: pytest.CaptureFixture[str], fake: FakeKalshi
) -> None:
    argv = [*at(fake), "orders", "create", T, "--side", "ask", "--price", "0.7", "--count", "2"]
    code, out, _ = cli(capsys, *argv, "--client-order-id", "my-order-1")
    first = field_lines(out)
    assert code == 0 and first["client_order_id"] == "my-order-1" and first["remaining_count"] == "2.00"
    # Again with the same id: the exchange refuses a duplicate (409) and the order placed first is shown.
    code, out, _ = cli(capsys, "--json", *argv, "--client-order-id", "my-order-1")
    assert code == 0 and calls(fake, "CreateOrderV2") == 2
    again = json.loads(out)
    assert (again["order_id"], again["client_order_id"]) == (first["order_id"], "my-order-1")
    code, out, _ = cli(capsys, *at(fake), "--json", "orders", "list")
    assert [o["client_order_id"] for o in json.loads(out)] == ["my-order-1"]


def test_a_crossing_order_shows_in_fills_positions_and_balance(
    capsys: pytest.CaptureFixture[str], fake: FakeKalshi
) -> None:
    fake.seed_order(T, "ask", "0.56", "10")
    code, out, _ = cli(
        capsys, *at(fake), "--json", "orders", "create", T, "--side", "bid", "--price", "0.60", "--count", "2"
    )
    assert code == 0
    assert (json.loads(out)["fill_count"], json.loads(out)["average_fill_price"]) == ("2.00", "0.5600")
    code, out, _ = cli(capsys, *at(fake), "--json", "fills")
    (fill,) = json.loads(out)
    assert (fill["ticker"], fill["count_fp"], fill["yes_price_dollars"]) == (T, "2.00", "0.5600")
    code, out, _ = cli(capsys, *at(fake), "fills")
    assert out.splitlines()[1].startswith(fill["trade_id"])
    code, out, _ = cli(capsys, *at(fake), "--json", "positions")
    assert [(p["ticker"], p["position_fp"]) for p in json.loads(out)] == [(T, "2.00")]
    code, out, _ = cli(capsys, *at(fake), "--json", "balance")
    assert json.loads(out)["balance_dollars"] == "998.8800"


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--price", "abc", "plain decimal string"),
        ("--price", "0.5e1", "plain decimal string"),
        ("--price", "1.5", "between 0 and 1"),
        ("--price", "0", "between 0 and 1"),
        ("--count", "-2", "positive number of contracts"),
        ("--count", "1,000", "plain decimal string"),
        ("--side", "buy", "'bid' or 'ask'"),
        ("--time-in-force", "gtc", "'good_till_canceled'"),
    ],
)
def test_a_bad_order_is_refused_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], fake: FakeKalshi, option: str, value: str, reason: str
) -> None:
    given = {"--side": "bid", "--price": "0.45", "--count": "3", option: value}
    argv = [*at(fake), "orders", "create", T, *(part for item in given.items() for part in item)]
    code, out, err = cli(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("usage: kalshi-api orders create")
    last = err.splitlines()[-1]
    assert last.startswith(f"kalshi-api orders create: error: argument {option}: ")
    assert repr(value) in last and reason in last
    assert fake.calls == []


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["markets", "get", "NOPE-1"],
        ["events", "get", "NOPE-1"],
        ["orderbook", "NOPE-1"],
        ["orders", "cancel", "NOPE-1"],
    ],
)
def test_an_unknown_ticker_or_id_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = cli(capsys, "--fake", *argv)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith("kalshi-api: error: ") and "NOPE-1" in err


def test_credentials_are_needed_for_the_account_and_must_be_complete(
    capsys: pytest.CaptureFixture[str], fake: FakeKalshi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KALSHI_PRIVATE_KEY")
    code, _, err = cli(capsys, *at(fake), "balance")
    assert code == 1 and err.count("\n") == 1 and "KALSHI_PRIVATE_KEY_PATH" in err
    monkeypatch.delenv("KALSHI_KEY_ID")
    code, _, err = cli(capsys, *at(fake), "balance")
    assert code == 1 and err.count("\n") == 1 and "requires authentication" in err
    assert fake.calls == []


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["markets"], "the following arguments are required: COMMAND"),
        (["markets", "list", "--limit", "0"], "argument --limit: expected a positive integer, got '0'"),
        (["events", "list", "--page-size", "500"], "argument --page-size: Input should be less than or"),
        (["markets", "list", "--status", "shut"], "argument --status: Input should be 'unopened'"),
        (["--env", "staging", "status"], "argument --env: invalid choice: 'staging'"),
        (["--demo", "--env", "production", "status"], "argument --env: not allowed with argument --demo"),
        (["--base-url", "http://127.0.0.1:1", "status"], "argument --base-url: not allowed with --fake"),
    ],
)
def test_bad_arguments_are_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], complaint: str
) -> None:
    code, out, err = cli(capsys, "--fake", *argv)
    assert (code, out) == (2, "")
    assert err.startswith("usage: kalshi-api") and complaint in err.splitlines()[-1]


def test_both_urls_or_neither(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "--base-url", "http://127.0.0.1:1", "status")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == "kalshi-api status: error: argument --ws-url: required with --base-url"


# --- streaming ---------------------------------------------------------------------------------------


def test_stream_prints_the_snapshot_of_its_own_fake(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "--fake", "stream", "orderbook_delta", "--market", T, "--limit", "1")
    assert (code, err) == (0, "")
    assert out.startswith("orderbook_snapshot seq=1 market_id=") and f" market_ticker={T} " in out
    code, out, _ = cli(capsys, "--fake", "--json", "stream", "orderbook_delta", "--market", T, "--limit", "1")
    (line,) = out.splitlines()
    message = json.loads(line)
    assert (message["type"], message["seq"]) == ("orderbook_snapshot", 1)
    assert message["msg"]["yes_dollars_fp"] == [["0.4400", "10.00"]]


def _read_line(stream: IO[str]) -> str:
    ready, _, _ = select.select([stream], [], [], 30)  # a safety bound for a hung child, not a timing check
    assert ready, "no line from the CLI"
    return stream.readline()


def _stream_process(fake: FakeKalshi, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kalshi_api", *at(fake), "stream", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_stream_orderbook_delta_follows_orders_placed_on_a_running_fake(fake: FakeKalshi) -> None:
    process = _stream_process(fake, "orderbook_delta", "--market", T, "--limit", "3")
    assert process.stdout is not None
    first = _read_line(process.stdout)
    assert first.startswith("orderbook_snapshot seq=1 ") and first.endswith(f" market_ticker={T}\n")  # empty
    with fake.client() as client:
        for price in ("0.45", "0.47"):
            client.orders.create_v2(
                ticker=T, side="bid", price=price, count="3",
                time_in_force="good_till_canceled", self_trade_prevention_type="taker_at_cross",
            )  # fmt: skip
    out, err = process.communicate(timeout=30)
    assert (process.returncode, err) == (0, "")
    deltas = out.splitlines()
    assert len(deltas) == 2
    for seq, (line, price) in enumerate(zip(deltas, ("0.4500", "0.4700"), strict=True), start=2):
        assert line.startswith(f"orderbook_delta seq={seq} ")
        assert f" price_dollars={price} " in line and " delta_fp=3.00 " in line and " side=yes" in line


def test_stream_a_private_channel_as_json(fake: FakeKalshi) -> None:
    process = _stream_process(fake, "user_orders", "--market", T, "--limit", "1", "--json")
    assert process.stdout is not None
    with fake.client() as client:
        # The subscription may start after the first order: place orders until the stream has its message.
        for _ in range(100):
            client.orders.create_v2(
                ticker=T, side="ask", price="0.81", count="1",
                time_in_force="good_till_canceled", self_trade_prevention_type="taker_at_cross",
            )  # fmt: skip
            if select.select([process.stdout], [], [], 0.3)[0]:
                break
    out, err = process.communicate(timeout=30)
    assert (process.returncode, err) == (0, "")
    (line,) = out.splitlines()
    message = json.loads(line)
    assert message["type"] == "user_order" and message["msg"]["ticker"] == T


def test_ctrl_c_ends_a_stream_quietly(fake: FakeKalshi) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kalshi_api", *at(fake), "stream", "orderbook_delta", "--market", T],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a shell may have ignored it
    )
    assert process.stdout is not None
    assert _read_line(process.stdout).startswith("orderbook_snapshot seq=1 ")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (130, "", "")


@pytest.mark.parametrize(
    ("argv", "code", "complaint"),
    [
        (["nope"], 2, "argument CHANNEL: unknown channel 'nope' (choose from cfbenchmarks_value,"),
        (["communications", "--market", T], 2, "argument --market: channel 'communications' takes no"),
        (["ticker", "--param", "use_yes_price=true"], 2, "argument --param: channel 'ticker' takes no"),
        (["orderbook_delta", "--param", "use_yes_price=3", "--market", T], 2, "argument --param: Input"),
        (["orderbook_delta", "--param", "x"], 2, "argument --param: expected NAME=VALUE, got 'x'"),
        (["orderbook_delta"], 1, "kalshi-api: error: subscribe failed"),
    ],
)
def test_stream_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], code: int, complaint: str
) -> None:
    got, out, err = cli(capsys, "--fake", "stream", *argv)
    assert (got, out) == (code, "")
    assert complaint in err.splitlines()[-1]


# --- as a program --------------------------------------------------------------------------------------


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in KALSHI_VARIABLES}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_python_dash_m_kalshi_api() -> None:
    result = _run([sys.executable, "-m", "kalshi_api", "--fake", "status"])
    assert (result.returncode, result.stderr) == (0, "")
    assert "trading_active                   true" in result.stdout.splitlines()


def test_the_console_script() -> None:
    assert CONSOLE_SCRIPT is not None, "kalshi-api is not installed: run make install"
    result = _run([CONSOLE_SCRIPT, "--fake", "--json", "balance"])
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["balance_dollars"] == "1000.0000"
    result = _run([CONSOLE_SCRIPT, "--fake", "markets", "get", "NOPE-1"])
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_closed_pipe_ends_quietly() -> None:
    assert CONSOLE_SCRIPT is not None
    env = {k: v for k, v in os.environ.items() if k not in KALSHI_VARIABLES}
    argv = [CONSOLE_SCRIPT, "--fake", "markets", "list"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # like `| head` that has read enough, before the table is written
        err = process.stderr.read()
        code = process.wait(timeout=60)
    assert (code, err) == (1, b"")
