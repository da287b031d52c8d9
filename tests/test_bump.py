"""A spec bump end to end in a scratch copy of the project, and the CI check that the pins match upstream."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "specs"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/specs is not beside this checkout")


def _scratch(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for name in ("codegen", "templates", "overrides", "openapi", "asyncapi", "generated"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


def _codegen(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "codegen", *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def bumped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("bump")
    project = _scratch(tmp)
    upstream = tmp / "upstream"  # an older release laid out like the upstream source
    upstream.mkdir()
    shutil.copy(SHARED / "history" / "openapi-3.22.0-20260622.yaml", upstream / "openapi.yaml")
    shutil.copy(SHARED / "history" / "asyncapi-20260428.yaml", upstream / "asyncapi.yaml")
    return project, upstream, _codegen(project, "bump", "--source", str(upstream))


def test_bump_pins_regenerates_and_reports(
    bumped: tuple[Path, Path, subprocess.CompletedProcess[str]],
) -> None:
    project, upstream, result = bumped
    assert result.returncode == 0, result.stderr
    lock = json.loads((project / "openapi" / "spec.lock").read_text())
    assert lock["source"] == str(upstream / "openapi.yaml") and lock["version"] == "3.22.0"
    changes = (project / "openapi" / "CHANGES.md").read_text()
    assert changes.startswith("# Spec drift: Kalshi Trade API Manual Endpoints 3.22.0 -> 3.22.0")
    assert "| operation | added | DELETE /portfolio/orders/{order_id} (CancelOrder) |" in changes
    assert "| channel | removed | channel cfbenchmarks_value |" in changes or "cfbenchmarks_value" in changes
    # the regenerated package: the V1 writes the older spec lists are left out, and say so
    client = (project / "generated" / "kalshi_api" / "client.py").read_text()
    assert '"CancelOrder": "DELETE /portfolio/orders/{order_id}: V1 order writes' in client
    assert "note: left out CancelOrder" in result.stdout
    assert (
        "def subscribe_cfbenchmarks_value" not in (project / "generated/kalshi_api/ws/session.py").read_text()
    )
    assert _codegen(project, "check-regen").returncode == 0


def test_a_second_bump_prepends_its_report(
    bumped: tuple[Path, Path, subprocess.CompletedProcess[str]],
) -> None:
    project, _, _ = bumped
    result = _codegen(project, "bump", "--source", str(SHARED))
    assert result.returncode == 0, result.stderr
    changes = (project / "openapi" / "CHANGES.md").read_text()
    newest, older = changes.split("\n---\n", 1)
    assert "CancelOrder" in newest and "| operation | removed |" in newest
    assert "| operation | added | DELETE /portfolio/orders/{order_id} (CancelOrder) |" in older
    assert (project / "openapi" / "openapi.yaml").read_text() == (
        ROOT / "openapi" / "openapi.yaml"
    ).read_text()


def test_check_upstream_fails_with_the_report_when_upstream_moved(tmp_path: Path) -> None:
    project = _scratch(tmp_path)
    assert _codegen(project, "check-upstream", "--source", str(SHARED)).returncode == 0
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(SHARED / "history" / "openapi-3.22.0-20260622.yaml", moved / "openapi.yaml")
    shutil.copy(SHARED / "asyncapi.yaml", moved / "asyncapi.yaml")
    result = _codegen(project, "check-upstream", "--source", str(moved))
    assert result.returncode == 1
    assert "openapi: pinned sha256" in result.stderr and "asyncapi:" not in result.stderr.split("\n")[0]
    assert "# Spec drift:" in result.stderr and "DecreaseOrder" in result.stderr
    assert "make bump" in result.stderr


def _upstream_with_perps(tmp_path: Path, change_perps: bool) -> Path:
    """An upstream source laid out like Kalshi's: the trade specs, and the perps ones under perps/; with
    ``change_perps`` the perps REST spec loses its fee-tiers operation."""
    upstream = tmp_path / "upstream"
    shutil.copytree(SHARED / "perps", upstream / "perps")
    for name in ("openapi.yaml", "asyncapi.yaml"):
        shutil.copy(SHARED / name, upstream / name)
    if change_perps:
        path = upstream / "perps" / "openapi.yaml"
        text = path.read_text(encoding="utf-8")
        start = text.index("  /margin/fee_tiers:\n")
        end = text.index("\n  /", start + 1) + 1
        path.chmod(0o644)
        path.write_text(text[:start] + text[end:], encoding="utf-8")
    return upstream


def test_specs_pins_every_family_each_with_its_own_lock(tmp_path: Path) -> None:
    project = _scratch(tmp_path)
    for kind in ("openapi", "asyncapi"):
        shutil.rmtree(project / kind / "perps")
    result = _codegen(project, "specs", "--source", str(SHARED))
    assert result.returncode == 0, result.stderr
    assert "openapi/perps/openapi.yaml: Kalshi Trade API Manual Endpoints 0.0.1" in result.stdout
    for kind in ("openapi", "asyncapi"):
        assert (project / kind / "perps" / f"{kind}.yaml").read_bytes() == (
            ROOT / kind / "perps" / f"{kind}.yaml"
        ).read_bytes()
        lock = json.loads((project / kind / "perps" / "spec.lock").read_text())
        assert lock["source"] == str(SHARED / "perps" / f"{kind}.yaml")
    # a source without a perps/ directory keeps the perps pins, and says so
    trade_only = tmp_path / "trade-only"
    trade_only.mkdir()
    for name in ("openapi.yaml", "asyncapi.yaml"):
        shutil.copy(SHARED / name, trade_only / name)
    result = _codegen(project, "specs", "--source", str(trade_only))
    assert result.returncode == 0, result.stderr
    assert "has no perps specs (perps/): kept the pinned ones" in result.stdout
    assert (project / "openapi" / "perps" / "openapi.yaml").is_file()


def test_a_perps_change_fails_check_upstream_and_bump_applies_it(tmp_path: Path) -> None:
    project = _scratch(tmp_path)
    assert (
        _codegen(project, "check-upstream", "--source", str(_upstream_with_perps(tmp_path, False))).returncode
        == 0
    )
    shutil.rmtree(tmp_path / "upstream")
    upstream = _upstream_with_perps(tmp_path, True)
    checked = _codegen(project, "check-upstream", "--source", str(upstream))
    assert checked.returncode == 1
    assert "perps/openapi: pinned sha256" in checked.stderr
    assert (
        "GetMarginFeeTiers" in checked.stderr and "openapi: pinned" not in checked.stderr.split("perps/")[0]
    )
    drift = subprocess.run(
        [sys.executable, "-m", "codegen.drift", "--new", str(upstream)],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert drift.returncode == 1  # a removed operation is breaking
    assert "perps OpenAPI: 1 breaking" in drift.stdout and "OpenAPI: 0 breaking, 0 additive" in drift.stdout
    bumped = _codegen(project, "bump", "--source", str(upstream))
    assert bumped.returncode == 0, bumped.stderr
    fees = project / "generated" / "kalshi_api" / "perps" / "resources" / "fees.py"
    assert not fees.exists()  # the tag's only operation is gone, and its resource with it
    assert "GetMarginFeeTiers" in (project / "openapi" / "CHANGES.md").read_text()
    assert _codegen(project, "check-regen").returncode == 0
    assert _codegen(project, "check-upstream", "--source", str(upstream)).returncode == 0


def test_specs_from_a_single_file_pins_that_spec_only(tmp_path: Path) -> None:
    project = _scratch(tmp_path)
    older = SHARED / "history" / "asyncapi-20260428.yaml"
    before = (project / "openapi" / "openapi.yaml").read_bytes()
    result = _codegen(project, "specs", "--source", str(older))
    assert result.returncode == 0, result.stderr
    assert json.loads((project / "asyncapi" / "spec.lock").read_text())["source"] == str(older)
    assert (project / "openapi" / "openapi.yaml").read_bytes() == before
    assert "has no perps specs" in result.stdout  # a single file is a trade spec: perps pins kept
