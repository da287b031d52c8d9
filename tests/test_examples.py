"""The programs in examples/ and `make demo`, run as a user runs them: separate processes against a FakeKalshi
(``--fake``), checked by what they print."""

from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TIMEOUT = 120  # seconds for one program: generous, the machine is shared
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def example(name: str, *args: str, env: dict[str, str] | None = None, status: int = 0) -> list[str]:
    """The lines ``examples/<name>.py <args>`` printed; it must exit with ``status``."""
    done = run([sys.executable, str(EXAMPLES / f"{name}.py"), *args], env)
    assert done.returncode == status, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout.splitlines()


def rows(lines: list[str]) -> list[list[str]]:
    return [line.split() for line in lines]


def test_market_scan_pages_through_every_market_and_ranks_by_spread() -> None:
    lines = example("market_scan", "--fake", "--page-size", "2")  # six markets: three pages
    assert lines[0] == "6 open markets, 5 quoted on both sides; by spread:"
    assert rows(lines[2:]) == [
        ["KXINX-26NOV22-T6100", "0.6200", "0.8100", "0.1900", "3.00"],
        ["KXHIGHNY-26NOV22-T65", "0.3100", "0.4000", "0.0900", "12.00"],
        ["KXINX-26NOV22-T6200", "0.2000", "0.2600", "0.0600", "0.00"],
        ["KXHIGHNY-26NOV22-T60", "0.5500", "0.5800", "0.0300", "40.00"],
        ["KXHIGHNY-26NOV22-T70", "0.0800", "0.1000", "0.0200", "75.00"],
    ]


def test_market_scan_by_volume_and_within_max_pages() -> None:
    lines = example("market_scan", "--fake", "--sort", "volume", "--top", "2")
    assert [row[0] for row in rows(lines[2:])] == ["KXHIGHNY-26NOV22-T70", "KXHIGHNY-26NOV22-T60"]
    lines = example("market_scan", "--fake", "--page-size", "2", "--max-pages", "1")
    assert lines[0] == "2 open markets, 2 quoted on both sides; by spread:"


def test_place_and_cancel_walks_an_order_from_create_to_confirmed_cancel() -> None:
    lines = example("place_and_cancel", "--fake")
    assert lines[0] == "market    KXHIGHNY-26NOV22-T60: bid 0.4000 ask 0.6000"
    assert re.fullmatch(f"placed    order_id={UUID} client_order_id={UUID}", lines[1]), lines[1]
    assert lines[2:] == [
        "resting   status=resting 2.00 @ 0.3500",  # post-only, 5 cents under the best bid
        "amended   status=resting 2.00 @ 0.3600",
        "decreased remaining 1.00",
        "canceled  1.00 contracts taken off the book",
        "confirmed status=canceled 0.00 @ 0.3600",
    ]


def test_place_and_cancel_reports_a_refused_order_and_stops() -> None:
    lines = example("place_and_cancel", "--fake", "--price", "0.355", status=1)
    assert lines == [
        "rejected: [invalid_price] price 0.355 must be between 0 and 1 (exclusive) in steps of 0.01"
    ]


def test_place_and_cancel_without_credentials_says_what_to_set() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("KALSHI_")}
    # Loopback URLs that nothing answers: were a request sent after all, it could not reach Kalshi.
    env |= {"KALSHI_BASE_URL": "http://127.0.0.1:9/trade-api/v2", "KALSHI_WS_URL": "ws://127.0.0.1:9/ws"}
    lines = example("place_and_cancel", "--price", "0.30", env=env, status=2)
    assert lines == [
        "placing orders needs an API key: set KALSHI_KEY_ID and KALSHI_PRIVATE_KEY_PATH (or --fake)"
    ]


def test_stream_book_prints_the_top_of_the_local_book_as_it_moves() -> None:
    lines = example("stream_book", "--fake", "--updates", "6")
    top = re.compile(r"seq (\d+) +bid (\S+) @ (\S+) +ask (\S+) @ (\S+) +spread (\S+)")
    tops = [top.fullmatch(line) for line in lines]
    assert all(tops), lines
    assert [m.groups() for m in tops if m] == [
        ("1", "10.00", "0.4000", "10.00", "0.6000", "0.2000"),  # the snapshot
        ("2", "5.00", "0.4500", "10.00", "0.6000", "0.1500"),  # a better bid
        ("3", "5.00", "0.4500", "5.00", "0.5500", "0.1000"),  # a better ask
        ("4", "5.00", "0.4500", "10.00", "0.6000", "0.1500"),  # that ask taken
        ("5", "10.00", "0.4000", "10.00", "0.6000", "0.2000"),  # that bid hit
        ("6", "5.00", "0.4500", "10.00", "0.6000", "0.1500"),
    ]


def test_fills_to_dataframe_gathers_every_page_and_sums_exactly() -> None:
    lines = example("fills_to_dataframe", "--fake", "--page-size", "2")  # six fills: three pages
    assert lines[0] == "6 fills, 42.00 contracts, fees 0.0000"
    assert rows(lines[1:]) == [
        ["fills", "contracts", "notional", "fees", "avg_yes_price"],
        ["market_ticker", "book_side"],
        ["KXHIGHNY-26NOV22-T60", "ask", "1", "5.00", "2.850000", "0.0000", "0.5700"],
        ["bid", "3", "14.00", "7.920000", "0.0000", "0.5657"],  # 7.92 / 14, to the 1/100 of a cent
        ["KXINX-26NOV22-T6000", "bid", "2", "23.00", "2.010000", "0.0000", "0.0874"],
        ["net", "YES", "contracts:"],
        ["market_ticker"],
        ["KXHIGHNY-26NOV22-T60", "9.00"],
        ["KXINX-26NOV22-T6000", "23.00"],
    ]


def test_make_demo_runs_the_readme_quick_start_verbatim() -> None:
    code = runpy.run_path(str(EXAMPLES / "readme_quickstart.py"))["quick_start"](
        (ROOT / "README.md").read_text(encoding="utf-8")
    )
    assert "KalshiClient.from_env()" in code and "FakeKalshi" not in code  # the code for a real account
    done = run(["make", "-s", "demo", f"BIN={Path(sys.executable).parent}"])
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    lines = done.stdout.splitlines()
    header = r"# README.md quick start, against a FakeKalshi at http://127\.0\.0\.1:\d+/trade-api/v2"
    assert re.fullmatch(header, lines[0]), lines[0]
    assert lines[1:6] == [
        "KXHIGHNY-26NOV22-T60 0.5500 0.5800",  # the market, with the demo's seeded quotes
        "KXHIGHNY-26NOV22-T60 0.5500",  # every open market, over the cursor
        "KXHIGHNY-26NOV22-T65 0.0000",
        "KXHIGHNY-26NOV22-T70 0.0000",
        "KXINX-26NOV22-T6000 0.0000",
    ]
    assert re.fullmatch(f"{UUID} 10.00 resting", lines[6]), lines[6]
    assert lines[7] == "1000.0000"  # canceled: nothing held back
    # the perps block, answered with the fake's schema-valid samples: Decimals printed as the wire has them
    assert lines[8:] == [
        "# README.md perps quick start, against the same FakeKalshi",
        "sample-ticker 0.5600 0.56",
        "sample-order_id 10.00",
        "10.0 0.5600",
    ]


def test_the_perps_quick_start_is_a_perps_client_for_a_real_account() -> None:
    code = runpy.run_path(str(EXAMPLES / "readme_quickstart.py"))["perps_quick_start"](
        (ROOT / "README.md").read_text(encoding="utf-8")
    )
    assert "PerpsClient.from_env()" in code and "FakeKalshi" not in code


def test_the_demo_refuses_a_readme_without_a_quick_start(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# kalshi-api\n\n## Use it\n\nNo code here.\n\n## Next\n\n```python\nprint(1)\n```\n")
    done = run([sys.executable, str(EXAMPLES / "readme_quickstart.py"), str(readme)])
    assert done.returncode == 1
    assert 'README.md has no ```python block under "## Use it"' in done.stderr


@pytest.mark.parametrize("name", ["market_scan", "place_and_cancel", "stream_book", "fills_to_dataframe"])
def test_every_example_documents_both_ways_to_run_it(name: str) -> None:
    lines = example(name, "--help")
    assert "--fake" in "\n".join(lines) and f"python examples/{name}.py --fake" in "\n".join(lines)


def user_sources() -> dict[str, str]:
    """What users read and copy: README.md's Python blocks, and every example program."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", readme, flags=re.S | re.M)
    sources = {f"README.md block {n}": block for n, block in enumerate(blocks, 1)}
    sources |= {path.name: path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.py"))}
    return sources


def test_readme_and_examples_never_name_the_runtime_package() -> None:
    files = [ROOT / "README.md", *sorted(EXAMPLES.glob("*.py"))]
    assert [f.name for f in files if "kalshi_api_core" in f.read_text(encoding="utf-8")] == []


def test_readme_and_examples_import_only_kalshi_api_and_every_import_works() -> None:
    imports: list[str] = []
    for where, source in user_sources().items():
        for node in ast.walk(ast.parse(source, where)):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules, line = (
                    [node.module],
                    f"from {node.module} import {', '.join(a.name for a in node.names)}",
                )
            elif isinstance(node, ast.Import):
                modules, line = (
                    [a.name for a in node.names],
                    f"import {', '.join(a.name for a in node.names)}",
                )
            else:
                continue
            ours = [m for m in modules if m.split(".")[0].startswith("kalshi_api")]
            assert all(m.split(".")[0] == "kalshi_api" for m in ours), f"{where}: {line}"
            imports += [line] if ours else []
    assert "from kalshi_api.orders import place_order" in imports  # the README's and place_and_cancel's
    assert "from kalshi_api.ratelimit import Budget, RateLimiter, seed_from_account" in imports
    done = run([sys.executable, "-c", "\n".join(sorted(set(imports)))])
    assert done.returncode == 0, done.stderr
