"""``make demo``: README.md's quick start and its perps quick start, run exactly as written, against a
FakeKalshi on 127.0.0.1.

The quick start gets its client from ``KalshiClient.from_env()``. This script starts a fake exchange that
verifies signatures, gives it other traders' quotes, and runs the README's first Python block in a fresh
interpreter whose environment points ``from_env()`` at the fake (KALSHI_BASE_URL, KALSHI_WS_URL) with a key
made for the occasion (KALSHI_KEY_ID, KALSHI_PRIVATE_KEY); then the first Python block of "### Perps
(margin)" the same way (``PerpsClient.from_env()``; the fake answers perps operations with schema-valid
samples). Nothing reaches the network.

    python examples/readme_quickstart.py [README.md]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_api.testing import FakeKalshi

README = Path(__file__).resolve().parent.parent / "README.md"
TICKER = "KXHIGHNY-26NOV22-T60"  # the market the quick start trades in
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def quick_start(readme: str) -> str:
    """The first Python code block of the README's "## Use it" section."""
    return _first_block(readme, "## Use it")


def perps_quick_start(readme: str) -> str:
    """The first Python code block of the README's "### Perps (margin)" section."""
    return _first_block(readme, "### Perps (margin)")


def _first_block(readme: str, heading: str) -> str:
    _, found, section = readme.partition(f"\n{heading}\n")
    level = heading.split(" ", 1)[0]
    # the section ends at the next heading of its level or above
    ends = [section.find(f"\n{'#' * n} ") for n in range(2, len(level) + 1)]
    section = section[: min([e for e in ends if e >= 0], default=len(section))]
    block = _BLOCK.search(section) if found else None
    if block is None:
        raise SystemExit(f'README.md has no ```python block under "{heading}"')
    return block.group(1)


def main(argv: list[str]) -> int:
    readme = Path(argv[0] if argv else README).read_text(encoding="utf-8")
    code = quick_start(readme)
    perps_code = perps_quick_start(readme)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with FakeKalshi(private_key=key) as fake:
        fake.seed_order(TICKER, "bid", "0.55", "20")  # other traders' quotes, so prices aren't empty
        fake.seed_order(TICKER, "ask", "0.58", "20")
        env = {
            **os.environ,
            "KALSHI_KEY_ID": "demo-key",
            "KALSHI_PRIVATE_KEY": pem,
            "KALSHI_BASE_URL": fake.rest_url,
            "KALSHI_WS_URL": fake.ws_url,
        }
        for clashing in ("KALSHI_PRIVATE_KEY_PATH", "KALSHI_PRIVATE_KEY_PASSPHRASE"):  # your own key's
            env.pop(clashing, None)
        print(f"# README.md quick start, against a FakeKalshi at {fake.rest_url}", flush=True)
        done = subprocess.run([sys.executable, "-c", code], env=env, check=False)
        if done.returncode != 0:
            return done.returncode
        print("# README.md perps quick start, against the same FakeKalshi", flush=True)
        return subprocess.run([sys.executable, "-c", perps_code], env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
