"""Every real Kalshi spec regenerates: each older spec of ../shared/specs/history (paired with the pinned spec
of the other kind) and the perps pair, normalized as `make specs` does, regenerated into a scratch project,
then imported, type-checked with mypy --strict and held to its own contract tests.

A spec bump must never be blocked by the generator: this is the test that a maintainer's `make bump` to any
of these (or to the next one Kalshi publishes, which looks like them) works.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import spec
from codegen.facades import FACADES
from codegen.render import Project, write_package

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "specs"
HISTORY = sorted((SHARED / "history").glob("*.yaml")) if SHARED.is_dir() else []


def _pairs() -> list[tuple[str, Path | None, Path | None]]:
    """(label, openapi, asyncapi): None keeps the pinned spec of that kind."""
    pairs: list[tuple[str, Path | None, Path | None]] = []
    for path in HISTORY:
        kind = "openapi" if path.name.startswith("openapi") else "asyncapi"
        pairs.append((path.stem, path if kind == "openapi" else None, path if kind == "asyncapi" else None))
    if (SHARED / "perps").is_dir():
        pairs.append(("perps", SHARED / "perps" / "openapi.yaml", SHARED / "perps" / "asyncapi.yaml"))
    return pairs


PAIRS = _pairs()
# The generated modules that re-export the application layer, and the command line's entry point.
APPLICATION_MODULES = sorted(
    {f.module for f in FACADES if any(s.module.startswith("kalshi_api_app") for s in f.sources)}
    | {"kalshi_api.testing", "kalshi_api.__main__"}
)
pytestmark = pytest.mark.skipif(not PAIRS, reason=f"no upstream specs at {SHARED}")

# Run in the scratch project's interpreter: the regenerated package is `kalshi_api` there.
_CONTRACT = """
import json, sys
from codegen.load import load_asyncapi, load_openapi, read_yaml
from codegen.overrides import load_type_overrides
from codegen.render import Project
from tests.contract import check_asyncapi, check_openapi
import importlib, pkgutil, kalshi_api
# Every generated module imports, but those of the application layer (the fake exchange, the command line,
# the order helper, limiter seeding): it is written against the pinned spec's models (V2 orders, the
# account's endpoint costs), which older specs don't have.
for module in pkgutil.walk_packages(kalshi_api.__path__, "kalshi_api."):
    if module.name not in json.loads(sys.argv[2]):
        importlib.import_module(module.name)
project = Project(__import__("pathlib").Path(sys.argv[1]))
config = project.override_config
rest, ws = load_openapi(read_yaml(project.openapi)), load_asyncapi(read_yaml(project.asyncapi))
problems = check_openapi(rest, load_type_overrides(config, "openapi"))
problems += check_asyncapi(ws, load_type_overrides(config, "asyncapi"))
print(json.dumps(problems))
"""


def _scratch(tmp: Path, openapi: Path | None, asyncapi: Path | None) -> Project:
    """A project beside the real one: its own pinned specs, the same generator, templates and overrides."""
    for part in ("codegen", "templates", "overrides", "pyproject.toml", "tests"):
        os.symlink(ROOT / part, tmp / part)
    for kind, source in (("openapi", openapi), ("asyncapi", asyncapi)):
        if source is None:
            shutil.copytree(ROOT / kind, tmp / kind)
        else:
            spec.write_pinned(str(source), kind, tmp / kind)
    return Project(tmp)


@pytest.mark.parametrize(("label", "openapi", "asyncapi"), PAIRS, ids=[label for label, _, _ in PAIRS])
def test_a_real_spec_regenerates_imports_type_checks_and_meets_its_contract(
    tmp_path: Path, label: str, openapi: Path | None, asyncapi: Path | None
) -> None:
    project = _scratch(tmp_path, openapi, asyncapi)
    rendered = write_package(project, tmp_path / "generated")
    assert rendered.files, label
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "generated"), str(ROOT / "overrides"), str(tmp_path)]),
    }
    checked = subprocess.run(
        [sys.executable, "-c", _CONTRACT, str(tmp_path), json.dumps(APPLICATION_MODULES)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert json.loads(checked.stdout.splitlines()[-1]) == [], f"{label}: the contract tests fail"
    # mypy shares one cache across the specs (the runtime and pydantic are checked once)
    cache = ROOT / ".mypy_cache" / "history"
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache)]
    command += ["--config-file", str(ROOT / "pyproject.toml"), str(tmp_path / "generated" / "kalshi_api")]
    typed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**env, "MYPYPATH": env["PYTHONPATH"]},
        cwd=tmp_path,
        check=False,
    )
    assert typed.returncode == 0, f"{label}: mypy --strict fails:\n{typed.stdout[-3000:]}"
