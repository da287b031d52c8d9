#!/usr/bin/env bash
# Builds bench/.venv312 (Python 3.12) with kalshi-api (editable, from this checkout), the pinned peer SDKs and
# the msgspec/orjson floors, then runs the benchmark: `bash bench/setup.sh [run.py options]` (e.g. --quick).
# A peer that fails to install is skipped here; run.py then reports it as "unavailable: <reason>".
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
VENV="$BENCH/.venv312"

pick_python() {
    if [[ -n "${PYTHON312:-}" ]]; then
        echo "$PYTHON312"
    elif [[ -x /root/.pyenv/versions/3.12.1/bin/python ]]; then
        echo /root/.pyenv/versions/3.12.1/bin/python
    elif command -v python3.12 >/dev/null 2>&1; then
        command -v python3.12
    else
        echo "setup.sh: no Python 3.12 found (set PYTHON312=/path/to/python3.12)" >&2
        exit 1
    fi
}

if [[ ! -x "$VENV/bin/python" ]]; then
    "$(pick_python)" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)

# Ours and the floors must install: without them there is nothing to compare with.
"${PIP[@]}" -e "$ROOT"
"${PIP[@]}" orjson msgspec pyyaml  # pyyaml: the spec sampler (codegen.load) reads the pinned YAML

# Peers: pinned, one at a time, so one failure doesn't take the others with it.
PEERS=(kalshi-sdk==22.4.0 kalshi-python-sync==3.2.0 pykalshi==2.0.0)
FAILED=()
for spec in "${PEERS[@]}"; do
    if ! "${PIP[@]}" "$spec" >"$BENCH/.pip-$$.log" 2>&1; then
        echo "setup.sh: could not install $spec (run.py will report it unavailable):" >&2
        tail -n 5 "$BENCH/.pip-$$.log" >&2
        FAILED+=("$spec")
    fi
    rm -f "$BENCH/.pip-$$.log"
done
if ((${#FAILED[@]})); then
    export KALSHI_BENCH_INSTALL_FAILED="${FAILED[*]}"
fi

cd "$ROOT"
exec "$VENV/bin/python" "$BENCH/run.py" "$@"
