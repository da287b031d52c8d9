"""kalshi-api benchmarks against the peer SDKs and msgspec/orjson floors (the future ``make bench``).

Run through ``bash bench/setup.sh [options]`` (it builds bench/.venv312 with the pinned peers), or directly
with that venv's python. Every workload interleaves its implementations and rotates their order each round;
each timed run uses ``time.perf_counter_ns`` with the garbage collector disabled (collected and re-enabled
between runs). Prints markdown tables and, for a full run, writes bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import gc
import importlib.metadata
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import floors
import ours
import peers
import workloads
from peers import Impl

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OURS = ours.NAME
SIGN_PATH = "/trade-api/v2/portfolio/balance"
STATUS_PATH = "/trade-api/v2/exchange/status"
KEY_ID = "bench-key-id"


@dataclass(frozen=True)
class Target:
    """A goal: ``value`` (computed from the results) compared with ``bound``."""

    id: str
    goal: str
    workload: str
    versus: str | None  # the other implementation, for ratios
    metric: str  # time_ratio | throughput_ratio | overhead_ratio | value_ratio | rss_ratio | absolute_ms
    bound: float
    at_most: bool = True  # value <= bound (else value >= bound)


TARGETS: tuple[Target, ...] = (
    *(
        Target(
            f"decode-{key}-vs-sdk",
            f"decode {key} page <= 0.33x kalshi-sdk's time",
            f"decode_{key}",
            "kalshi-sdk",
            "time_ratio",
            0.33,
        )
        for key in workloads.PAGES
    ),
    *(
        Target(
            f"decode-{key}-vs-msgspec",
            f"decode {key} page <= 1.6x msgspec's time",
            f"decode_{key}",
            "msgspec",
            "time_ratio",
            1.6,
        )
        for key in workloads.PAGES
    ),
    Target(
        "book-vs-sdk",
        "order book >= 3x kalshi-sdk's frames/s",
        "book",
        "kalshi-sdk",
        "throughput_ratio",
        3.0,
        at_most=False,
    ),
    Target(
        "sign-vs-raw",
        "signing <= 1.05x raw cryptography's time",
        "sign",
        "cryptography (raw)",
        "time_ratio",
        1.05,
    ),
    Target(
        "call-sync-vs-sdk",
        "sync per-call overhead <= 0.5x kalshi-sdk's",
        "call_sync",
        "kalshi-sdk",
        "overhead_ratio",
        0.5,
    ),
    Target(
        "call-async-vs-sdk",
        "async per-call overhead <= 0.5x kalshi-sdk's",
        "call_async",
        "kalshi-sdk",
        "overhead_ratio",
        0.5,
    ),
    Target("import", "import kalshi_api <= 100 ms", "import", None, "absolute_ms", 100.0),
    Target("regen", "make regen <= 15 s", "regen", None, "absolute_ms", 15_000.0),
    Target(
        "memory-vs-sdk",
        "decode memory (1,000 markets) <= kalshi-sdk's",
        "memory",
        "kalshi-sdk",
        "value_ratio",
        1.0,
    ),
    Target(
        "memory-rss-vs-sdk",
        "decode memory as peak-RSS growth (1,000 markets) <= kalshi-sdk's",
        "memory",
        "kalshi-sdk",
        "rss_ratio",
        1.0,
    ),
)

WORKLOADS = ("decode", "book", "sign", "calls", "import", "regen", "memory")


# --- timing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    """A result that carries its own measurement (e.g. a subprocess that timed its import)."""

    ns: int


def _run_once(fn: Callable[[], Any]) -> tuple[int, Any]:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        result = fn()
        elapsed = time.perf_counter_ns() - start
    finally:
        gc.enable()
    if isinstance(result, Timed):
        elapsed = result.ns
    return elapsed, result


def _verify(impl: Impl, entry: dict[str, Any], call: Callable[[], Any]) -> bool:
    """Run ``call`` and check its result; an implementation that fails is marked unavailable (ours: fatal)."""
    result: Any = None
    try:
        result = call()
        problem = impl.check(result) if impl.check else None
    except Exception as exc:
        problem = peers.describe(exc)
    if problem is not None:
        if impl.name == OURS:
            raise SystemExit(f"FATAL: {OURS} gave a wrong result: {problem}")
        entry["unavailable"] = f"failed its check: {problem}"
        return False
    if impl.probe is not None:
        try:
            entry["types"] = impl.probe(result)
        except Exception as exc:  # a description only: never a reason to drop the implementation
            entry["types"] = {"money": f"? ({peers.describe(exc)})", "datetime": "?"}
    return True


def measure(impls: list[Impl], rounds: int, log: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """Warm up and check each implementation, then time ``rounds`` interleaved rounds, rotating the order.

    An implementation with ``max_runs`` (one too slow to repeat) skips the warm-up: its first timed run is
    checked instead, and it sits out the rounds after its last run."""
    out: dict[str, dict[str, Any]] = {}
    live: list[Impl] = []
    for impl in impls:
        entry: dict[str, Any] = {"payload": impl.payload, "notes": list(impl.notes)}
        out[impl.name] = entry
        if impl.fn is None:
            entry["unavailable"] = impl.unavailable or "unavailable"
        elif impl.max_runs is not None or _verify(impl, entry, impl.warmup or impl.fn):
            live.append(impl)
    runs: dict[str, list[int]] = {impl.name: [] for impl in live}
    for r in range(rounds):
        shift = r % len(live) if live else 0
        for impl in live[shift:] + live[:shift]:
            assert impl.fn is not None
            done = runs[impl.name]
            if impl.max_runs is not None and len(done) >= impl.max_runs:
                continue
            elapsed, result = _run_once(impl.fn)
            if (
                impl.max_runs is not None
                and not done
                and not _verify(impl, out[impl.name], lambda r=result: r)
            ):
                live.remove(impl)
                continue
            done.append(elapsed)
            del result
        log(f"  round {r + 1}/{rounds} done")
    for impl in live:
        times = runs[impl.name]
        out[impl.name].update(
            median_ns=int(statistics.median(times)), min_ns=min(times), runs_ns=times, per_run=impl.per_run
        )
        if impl.max_runs is not None:
            out[impl.name]["notes"].append(f"timed {len(times)} time(s) only: too slow to repeat every round")
    ours_median = out.get(OURS, {}).get("median_ns")
    for entry in out.values():
        if ours_median and "median_ns" in entry:
            entry["x_ours"] = round(entry["median_ns"] / ours_median, 3)
    for impl in impls:
        if impl.close is not None:
            impl.close()
    return out


# --- workloads ----------------------------------------------------------------------------------------


@dataclass
class Context:
    args: argparse.Namespace
    keys: Any
    log: Callable[[str], None]
    results: dict[str, Any]


_MONEY_FIELD = {"markets": "yes_bid_dollars", "orders": "yes_price_dollars", "fills": "yes_price_dollars"}


def decode_impls(key: str, body: dict[str, Any], raw: bytes, key_path: str) -> list[Impl]:
    """Every implementation of one page's decode: ours, the peers, the msgspec and orjson floors."""
    page = workloads.PAGES[key]
    expected = len(body[page.items])
    probe = peers.probe_types(_MONEY_FIELD[key], "created_time")
    msgspec_decode = floors.msgspec_page(key)
    return [
        Impl(
            OURS,
            ours.decode(key, raw),
            check=peers.length_check(expected, lambda p: p.items),
            probe=lambda p: probe(p.items[0]),
            notes=[f"{page.operation.replace(':', '.')}: op.decode(op.validate(raw, None))"],
        ),
        *peers.decode_impls(key, body, raw, key_path),
        Impl(
            "msgspec",
            lambda: msgspec_decode(raw),
            check=peers.length_check(expected, lambda r: getattr(r, page.items)),
            probe=lambda r: probe(getattr(r, page.items)[0]),
            notes=["msgspec.json.decode into hand-written Structs mirroring the spec (floors.py)"],
        ),
        Impl(
            "orjson",
            lambda: floors.orjson_page(raw),
            check=peers.length_check(expected, lambda r: r[page.items]),
            notes=["orjson.loads alone: dicts and str, no types (reference)"],
        ),
    ]


def run_decode(ctx: Context) -> None:
    for key, page in workloads.PAGES.items():
        body = workloads.build_page(key, ctx.args.items)
        raw = workloads.dumps(body)
        expected = len(body[page.items])
        ctx.log(f"decode {page.response}: {expected:,} items, {len(raw):,} bytes")
        section = measure(decode_impls(key, body, raw, ctx.keys.path), ctx.args.rounds, ctx.log)
        ctx.results["workloads"][f"decode_{key}"] = {
            "title": f"decode {page.response} ({expected:,} items, {len(raw) / 1e6:.2f} MB) from bytes",
            "unit": "one page",
            "payload_bytes": len(raw),
            "items": expected,
            "impls": section,
        }


def run_book(ctx: Context) -> None:
    ctx.log(f"book: building 1 snapshot + {ctx.args.deltas:,} deltas")
    work = workloads.build_book(ctx.args.deltas)
    run, final = ours.book(work.frames, work.ticker)
    impls = [
        Impl(
            OURS,
            run,
            check=workloads.book_check(final, work.reference),
            notes=[
                "PROTOCOL.data_frames.validate_json + OrderBookManager.apply_* (BookFeed._apply's calls); "
                "builds the BookView the feed yields after every frame"
            ],
        ),
        *peers.book_impls(work.frames, work.ticker, work.reference),
        Impl(
            "msgspec + dict",
            lambda: floors.msgspec_book(work.frames),
            check=workloads.book_check(lambda b: b, work.reference),
            notes=["msgspec tagged-union decode into Structs (Decimal, aware datetime) + a dict book"],
        ),
        Impl(
            "orjson + dict",
            lambda: floors.orjson_book(work.frames),
            check=workloads.book_check(lambda b: b, work.reference),
            notes=["orjson.loads + Decimal() of price and delta + a dict book (floor)"],
        ),
    ]
    section = measure(impls, ctx.args.rounds, ctx.log)
    for entry in section.values():
        if "median_ns" in entry:
            entry["frames_per_s"] = round(len(work.frames) / (entry["median_ns"] / 1e9))
    ctx.results["workloads"]["book"] = {
        "title": f"order book: 1 snapshot + {ctx.args.deltas:,} orderbook_delta frames from bytes",
        "unit": "the whole stream",
        "frames": len(work.frames),
        "payload_bytes": sum(map(len, work.frames)),
        "levels_touched": work.levels_seen,
        "final_levels": {side: len(levels) for side, levels in work.reference.items()},
        "impls": section,
    }


def run_sign(ctx: Context) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    count = ctx.args.signs
    ctx.log(f"sign: {count:,} request signatures per run")
    key = ctx.keys.key
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    sha256 = hashes.SHA256()

    def raw() -> Any:
        import base64

        signature = ""
        for _ in range(count):
            message = f"{int(time.time() * 1000)}GET{SIGN_PATH}".encode()
            signature = base64.b64encode(key.sign(message, pss, sha256)).decode()
        return signature

    impls = [
        Impl(
            OURS,
            ours.signer(KEY_ID, key, SIGN_PATH, count),
            per_run=count,
            notes=['KalshiAuth(key_id, key).headers("GET", path)'],
        ),
        Impl(
            "cryptography (raw)",
            raw,
            per_run=count,
            notes=["key.sign(ts+method+path, PSS(MGF1(SHA256), 32), SHA256) + base64: the floor"],
        ),
        *peers.sign_impls(KEY_ID, key, ctx.keys.pem, ctx.keys.path, SIGN_PATH, count),
    ]
    ctx.results["workloads"]["sign"] = {
        "title": f"sign {count:,} requests (RSA-PSS 2048, GET {SIGN_PATH})",
        "unit": f"{count:,} signatures",
        "impls": measure(impls, ctx.args.rounds, ctx.log),
    }


def _start_server(body: bytes) -> tuple[subprocess.Popen[bytes], int, Path]:
    directory = Path(tempfile.mkdtemp(prefix="kalshi-bench-"))
    path = directory / "status.json"
    path.write_bytes(body)
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "loopback.py"), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, port, path


def _stop_server(proc: subprocess.Popen[bytes], path: Path) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    path.unlink(missing_ok=True)
    path.parent.rmdir()


def _calls_section(section: dict[str, Any], floor: str, count: int) -> None:
    floor_ns = section.get(floor, {}).get("median_ns")
    for entry in section.values():
        if "median_ns" not in entry:
            continue
        entry["per_call_us"] = round(entry["median_ns"] / count / 1000, 2)
        if floor_ns is not None:
            entry["overhead_us"] = round((entry["median_ns"] - floor_ns) / count / 1000, 2)


def run_calls(ctx: Context) -> None:
    count = ctx.args.calls
    status = workloads.exchange_status()
    proc, port, body_path = _start_server(workloads.dumps(status))
    sdk_proc, sdk_port, sdk_body_path = _start_server(workloads.dumps(peers.status_variant(status)))
    base_url = f"http://127.0.0.1:{port}/trade-api/v2"
    sdk_url = f"http://127.0.0.1:{sdk_port}/trade-api/v2"
    ctx.log(f"calls: {count:,} GET /exchange/status per run against {base_url} (loopback.py, own process)")
    try:
        ours_run, ours_close = ours.sync_calls(base_url, count)
        sock_run, sock_close = floors.socket_calls("127.0.0.1", port, STATUS_PATH)
        httpx_run, httpx_close = floors.httpx_calls(base_url + "/exchange/status")
        status_ok = peers.status_check(lambda r: r.exchange_active)
        impls = [
            Impl(
                OURS,
                ours_run,
                close=ours_close,
                check=status_ok,
                per_run=count,
                notes=["KalshiClient(base_url=..., max_retries=0).exchange.status()"],
            ),
            *peers.sync_call_impls(base_url, sdk_url, count, ctx.keys.path),
            Impl(
                "httpx (raw GET)",
                lambda: httpx_run(count),
                close=httpx_close,
                per_run=count,
                warmup=lambda: httpx_run(200),
                notes=["httpx.Client.get(url).content: no signing, no decoding"],
            ),
            Impl(
                "socket (raw)",
                lambda: sock_run(count),
                close=sock_close,
                per_run=count,
                warmup=lambda: sock_run(200),
                notes=["a blocking socket writing a prebuilt request: round trip + server time (floor)"],
            ),
        ]
        for impl in impls:
            if impl.fn is not None and impl.warmup is None:
                impl.warmup = lambda fn=impl.fn: fn(200)
        section = measure(impls, ctx.args.rounds, ctx.log)
        _calls_section(section, "socket (raw)", count)
        ctx.results["workloads"]["call_sync"] = {
            "title": f"sync client: {count:,} sequential GET /exchange/status over loopback",
            "unit": f"{count:,} calls",
            "overhead_floor": "socket (raw)",
            "impls": section,
        }

        loop = asyncio.new_event_loop()
        try:
            a_run, a_close = ours.async_calls(base_url, count, loop)
            s_run, s_close = floors.asyncio_calls("127.0.0.1", port, STATUS_PATH, loop)
            impls = [
                Impl(
                    OURS,
                    a_run,
                    close=a_close,
                    check=status_ok,
                    per_run=count,
                    warmup=lambda: a_run(200),
                    notes=["await AsyncKalshiClient(...).exchange.status(), one at a time (sequential)"],
                ),
                *peers.async_call_impls(base_url, sdk_url, count, ctx.keys.path, loop),
                Impl(
                    "asyncio streams (raw)",
                    lambda: s_run(count),
                    close=s_close,
                    per_run=count,
                    warmup=lambda: s_run(200),
                    notes=["asyncio streams writing a prebuilt request: the async round-trip floor"],
                ),
            ]
            for impl in impls:
                if impl.fn is not None and impl.warmup is None:
                    impl.warmup = lambda fn=impl.fn: fn(200)
            section = measure(impls, ctx.args.rounds, ctx.log)
            _calls_section(section, "asyncio streams (raw)", count)
            ctx.results["workloads"]["call_async"] = {
                "title": f"async client: {count:,} sequential awaited GET /exchange/status over loopback",
                "unit": f"{count:,} calls",
                "overhead_floor": "asyncio streams (raw)",
                "impls": section,
            }
        finally:
            loop.close()
    finally:
        _stop_server(proc, body_path)
        _stop_server(sdk_proc, sdk_body_path)


def _child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}


def run_import(ctx: Context) -> None:
    ctx.log("import: fresh interpreters, the import statement timed inside the child")
    impls = []
    workdir = tempfile.mkdtemp(prefix="kalshi-bench-import-")
    for name, (dist, statement) in peers.IMPORTS.items():
        reason = peers.unavailable_reason(dist) if dist else None
        if reason is not None:
            impls.append(Impl(name, unavailable=reason))
            continue
        code = f"import time\nt = time.perf_counter_ns()\n{statement}\nprint(time.perf_counter_ns() - t)"

        def child(code: str = code) -> Timed:
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, check=True, cwd=workdir, env=_child_env()
            )
            return Timed(int(done.stdout))

        impls.append(Impl(name, child, notes=[statement]))
    ctx.results["workloads"]["import"] = {
        "title": "top-level import in a fresh interpreter (bytecode cached; interpreter start-up excluded)",
        "unit": "one import",
        "impls": measure(impls, ctx.args.rounds, ctx.log),
    }
    os.rmdir(workdir)


def run_regen(ctx: Context) -> None:
    python = ROOT / ".venv" / "bin" / "python"
    runs = ctx.args.regen_runs or ctx.args.rounds
    ctx.log(f"regen: python -m codegen regen --out <tmp> x{runs} with {python}")
    if not python.exists():
        impls = [
            Impl(OURS, unavailable=f"{python} is missing: run `make install` first (codegen needs dev tools)")
        ]
    else:

        def regen() -> Any:
            with tempfile.TemporaryDirectory(prefix="kalshi-bench-regen-") as out:
                subprocess.run(
                    [str(python), "-m", "codegen", "regen", "--out", out],
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    env=_child_env(),
                )
                return (Path(out) / "kalshi_api" / "models.py").exists()

        impls = [
            Impl(
                OURS,
                regen,
                check=lambda ok: None if ok else "no models.py was written",
                notes=["python -m codegen regen --out <tmpdir> (the project .venv), wall time"],
            )
        ]
    ctx.results["workloads"]["regen"] = {
        "title": "make regen (python -m codegen regen into a temporary directory)",
        "unit": "one regen",
        "impls": measure(impls, runs, ctx.log),
    }


def _memory_impl(name: str, raw: bytes, key_path: str, expected: int) -> Impl:
    """One implementation of the markets decode from ``raw`` alone (the memory child's view)."""
    if name == OURS:
        return Impl(OURS, ours.decode("markets", raw))
    if name == "msgspec":
        decode = floors.msgspec_page("markets")
        return Impl(name, lambda: decode(raw))
    if name == "orjson":
        return Impl(name, lambda: floors.orjson_page(raw))
    return peers.decode_impl(name, "markets", None, raw, key_path, expected)


def _peak_rss_bytes() -> int:
    """This process's peak resident set: VmHWM (reset by exec, unlike ru_maxrss, which a child started
    from a big parent inherits), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_child(name: str, path: str, warm_path: str, key_path: str, expected: int) -> None:
    """Child process: peak-RSS growth of one decode; catches native allocations tracemalloc doesn't see
    (pydantic-core's Rust heap, orjson's parse buffer). The one-item page at ``warm_path`` is decoded first,
    so one-time set-up (lazy imports, validators built on first use) is not counted as the page's memory, for
    any of them."""
    warm = _memory_impl(name, Path(warm_path).read_bytes(), key_path, 1)
    assert warm.fn is not None, warm.unavailable
    warm.fn()
    impl = _memory_impl(name, Path(path).read_bytes(), key_path, expected)
    assert impl.fn is not None, impl.unavailable
    gc.collect()
    before = _peak_rss_bytes()
    result = impl.fn()
    after = _peak_rss_bytes()
    print(json.dumps({"rss_growth_bytes": after - before, "ok": result is not None}))


def run_memory(ctx: Context) -> None:
    body = workloads.build_page("markets", ctx.args.items)
    raw = workloads.dumps(body)
    expected = len(body["markets"])
    ctx.log(f"memory: tracemalloc peak and peak-RSS growth while decoding {expected:,} markets")
    impls = decode_impls("markets", body, raw, ctx.keys.path)
    section: dict[str, dict[str, Any]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="kalshi-bench-memory-"))
    for impl in impls:
        entry: dict[str, Any] = {"payload": impl.payload}
        section[impl.name] = entry
        if impl.fn is None:
            entry["unavailable"] = impl.unavailable or "unavailable"
            continue
        impl.fn()  # warm: first-use caches are not part of a page's cost
        peaks = []
        for _ in range(3):
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            result = impl.fn()
            peaks.append(tracemalloc.get_traced_memory()[1] - base)
            tracemalloc.stop()
            del result
        entry.update(peak_bytes=int(statistics.median(peaks)), runs_bytes=peaks)
        data = (
            raw
            if impl.name in (OURS, "msgspec", "orjson")
            else peers.payload_for(impl.name, "markets", body, raw)[0]
        )
        path = workdir / "payload.json"
        path.write_bytes(data)
        one_item = json.loads(data)
        one_item["markets"] = one_item["markets"][:1]
        warm_path = workdir / "warm.json"
        warm_path.write_bytes(workloads.dumps(one_item))
        growth = []
        for _ in range(3):
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--memory-child",
                    impl.name,
                    str(path),
                    str(warm_path),
                    ctx.keys.path,
                    str(expected),
                ],
                capture_output=True,
                text=True,
                check=True,
                env=_child_env(),
                cwd=BENCH,
            )
            growth.append(json.loads(done.stdout.strip().splitlines()[-1])["rss_growth_bytes"])
        entry.update(rss_growth_bytes=int(statistics.median(growth)), rss_runs_bytes=growth)
        path.unlink()
        warm_path.unlink()
    workdir.rmdir()
    ours_entry = section[OURS]
    for entry in section.values():
        for field, ratio in (("peak_bytes", "x_ours"), ("rss_growth_bytes", "rss_x_ours")):
            if ours_entry.get(field) and field in entry:
                entry[ratio] = round(entry[field] / ours_entry[field], 3)
    ctx.results["workloads"]["memory"] = {
        "title": f"memory while decoding {expected:,} markets ({len(raw) / 1e6:.2f} MB): tracemalloc peak "
        "(Python allocations, warm) and peak-RSS growth of a fresh process (all allocations, after a "
        "one-item page)",
        "unit": "bytes",
        "impls": section,
    }


RUNNERS: dict[str, Callable[[Context], None]] = {
    "decode": run_decode,
    "book": run_book,
    "sign": run_sign,
    "calls": run_calls,
    "import": run_import,
    "regen": run_regen,
    "memory": run_memory,
}


# --- targets and reporting ----------------------------------------------------------------------------


def evaluate(target: Target, results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": target.id, "goal": target.goal, "bound": target.bound}
    section = results["workloads"].get(target.workload)
    if section is None:
        return {**out, "met": None, "value": None, "why": "workload not run"}
    ours_entry = section["impls"].get(OURS, {})
    other = section["impls"].get(target.versus or "", {})
    value: float | None = None
    why = None
    if target.metric == "absolute_ms":
        value = ours_entry["median_ns"] / 1e6 if "median_ns" in ours_entry else None
    elif "unavailable" in other or not other:
        why = f"{target.versus} unavailable: {other.get('unavailable', 'not measured')}"
    elif target.metric == "time_ratio":
        value = ours_entry["median_ns"] / other["median_ns"]
    elif target.metric == "throughput_ratio":
        value = other["median_ns"] / ours_entry["median_ns"]
    elif target.metric == "overhead_ratio":
        value = ours_entry["overhead_us"] / other["overhead_us"]
    elif target.metric == "value_ratio":
        value = ours_entry["peak_bytes"] / other["peak_bytes"]
    elif target.metric == "rss_ratio":
        value = ours_entry["rss_growth_bytes"] / other["rss_growth_bytes"]
    if value is None:
        return {**out, "met": None, "value": None, "why": why or f"{OURS} not measured"}
    met = value <= target.bound if target.at_most else value >= target.bound
    return {**out, "value": round(value, 3), "met": met, "shown": _shown(target, value)}


_RATIO_OF = {
    "time_ratio": "ours ÷ {v} median time",
    "throughput_ratio": "ours ÷ {v} frames/s",
    "overhead_ratio": "ours ÷ {v} overhead above the floor",
    "value_ratio": "ours ÷ {v} tracemalloc peak",
    "rss_ratio": "ours ÷ {v} peak-RSS growth",
}


def _shown(target: Target, value: float) -> str:
    if target.metric == "absolute_ms":
        return _fmt_ns(value * 1e6)
    return f"{value:.2f}x ({_RATIO_OF[target.metric].format(v=target.versus)})"


def _fmt_ns(ns: float) -> str:
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e3:.1f} µs"


def _fmt_bytes(n: float) -> str:
    return f"{n / 2**20:.2f} MiB"


def _cells(wid: str, e: dict[str, Any]) -> list[str]:
    """The extra columns of a workload's table, for one measured implementation."""
    if wid == "book":
        return [f"{e['frames_per_s']:,}"]
    if wid.startswith("call_"):
        return [f"{e['per_call_us']} µs", f"{e['overhead_us']} µs" if "overhead_us" in e else ""]
    if wid == "sign":
        return [_fmt_ns(e["median_ns"] / e["per_run"])]
    return []


_EXTRA = {
    "book": ["frames/s"],
    "sign": ["per signature"],
    "call_sync": ["per call", "overhead vs floor"],
    "call_async": ["per call", "overhead vs floor"],
}


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    for wid, section in results["workloads"].items():
        if wid == "memory":
            columns = ["implementation", "tracemalloc peak", "x ours", "peak RSS growth", "x ours", "payload"]
        else:
            columns = ["implementation", "median", "min", "x ours", *_EXTRA.get(wid, []), "notes"]
        lines += [f"#### {wid}: {section['title']}", "", "| " + " | ".join(columns) + " |"]
        lines.append("|---|" + "---:|" * (len(columns) - 2) + "---|")
        for name, e in section["impls"].items():
            if "unavailable" in e:
                cells = [name, f"unavailable: {e['unavailable']}"] + [""] * (len(columns) - 2)
            elif wid == "memory":
                cells = [name, _fmt_bytes(e["peak_bytes"]), str(e.get("x_ours", ""))]
                cells += [_fmt_bytes(e["rss_growth_bytes"]), str(e.get("rss_x_ours", "")), e["payload"]]
            else:
                notes = "; ".join(e["notes"])
                if e.get("payload", "spec") != "spec":
                    notes += "; VARIANT payload (see results.json)"
                if e.get("types"):
                    notes += f" [money: {e['types']['money']}, time: {e['types']['datetime']}]"
                cells = [name, _fmt_ns(e["median_ns"]), _fmt_ns(e["min_ns"]), str(e.get("x_ours", ""))]
                cells += [*_cells(wid, e), notes]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["#### targets", "", "| target | goal | measured | met |", "|---|---|---:|---|"]
    for t in results["targets"]:
        met = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
        lines.append(f"| {t['id']} | {t['goal']} | {t.get('shown') or t.get('why', '')} | {met} |")
    return "\n".join(lines) + "\n"


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": sys.version,
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        info["git_commit"] = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def versions() -> dict[str, str | None]:
    names = [
        "kalshi-api",
        *peers.PEERS,
        "pydantic",
        "pydantic-core",
        "httpx",
        "orjson",
        "msgspec",
        "cryptography",
        "urllib3",
        "websockets",
    ]
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


@dataclass(frozen=True)
class Keys:
    key: Any
    pem: bytes
    path: str


def make_keys(directory: str) -> Keys:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = Path(directory) / "bench-key.pem"
    path.write_bytes(pem)
    path.chmod(0o600)
    return Keys(key, pem, str(path))


def profile_decode(key: str, items: int) -> str:
    """cProfile of our decode path for one page: the functions that dominate."""
    raw = workloads.dumps(workloads.build_page(key, items))
    fn = ours.decode(key, raw)
    fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        fn()
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(15)
    return stream.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds per workload (default 9)")
    parser.add_argument("--quick", action="store_true", help="a 3-round smoke run; writes no results file")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(WORKLOADS)}")
    parser.add_argument("--out", help="results path (default bench/results.json for a full run)")
    parser.add_argument("--items", type=int, default=workloads.PAGE_ITEMS, help="items per decoded page")
    parser.add_argument("--deltas", type=int, default=workloads.BOOK_DELTAS, help="order book deltas")
    parser.add_argument("--signs", type=int, default=1000, help="signatures per signing run")
    parser.add_argument("--calls", type=int, default=10_000, help="GETs per per-call run")
    parser.add_argument("--regen-runs", type=int, default=0, help="regen runs (default: --rounds)")
    parser.add_argument(
        "--profile", choices=sorted(workloads.PAGES), help="profile our decode of a page, exit"
    )
    parser.add_argument("--memory-child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument(
        "--report", metavar="RESULTS_JSON", help="re-render the tables of a results file, exit"
    )
    args = parser.parse_args(argv)
    if args.report:
        path = Path(args.report)
        saved = json.loads(path.read_text(encoding="utf-8"))
        saved["targets"] = [evaluate(t, saved) for t in TARGETS]
        saved["markdown"] = markdown(saved)
        path.write_text(json.dumps(saved, indent=1, default=str) + "\n", encoding="utf-8")
        print(saved["markdown"])
        return 0
    if args.memory_child:
        name, path, warm_path, key_path, expected = args.memory_child
        memory_child(name, path, warm_path, key_path, int(expected))
        return 0
    if args.profile:
        print(profile_decode(args.profile, args.items))
        return 0
    if args.quick:
        args.rounds = 3
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")
    chosen = WORKLOADS if not args.only else tuple(w.strip() for w in args.only.split(","))
    unknown = set(chosen) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    full = not args.quick and not args.only and args.rounds >= 9
    out_path = Path(args.out) if args.out else (BENCH / "results.json" if full else None)

    problems = floors.check_mirrors_spec()
    if problems:
        raise SystemExit("FATAL: floors.py Structs no longer mirror the spec: " + "; ".join(problems))

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "rounds": args.rounds,
        "machine": machine_info(),
        "versions": versions(),
        "peers": {dist: peers.unavailable_reason(dist) or "available" for dist in peers.PEERS},
        "variants": {
            **{f"{peer}/{page}": text for (peer, page), (text, _) in peers.VARIANTS.items()},
            "kalshi-sdk/exchange_status": peers.STATUS_VARIANT,
        },
        "workloads": {},
    }
    with tempfile.TemporaryDirectory(prefix="kalshi-bench-keys-") as key_dir:
        ctx = Context(args, make_keys(key_dir), log, results)
        for name in chosen:
            log(f"== {name}")
            RUNNERS[name](ctx)
    results["targets"] = [evaluate(t, results) for t in TARGETS]
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    text = markdown(results)
    print(text)
    print(
        f"({results['elapsed_s']} s, {args.rounds} rounds; machine: {results['machine']['platform']}, "
        f"{results['machine']['cpu_count']} CPUs, Python {platform.python_version()})"
    )
    if out_path is not None:
        results["markdown"] = text
        out_path.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
