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
