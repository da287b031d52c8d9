"""The wheel carries the three packages (runtime, generated, application layer) and works on its own, entry
points included; the editable install serves them from the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("kalshi_api-*.whl")
    return built


def test_wheel_holds_generated_and_hand_written_packages(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "kalshi_api/__init__.py",
        "kalshi_api/models.py",
        "kalshi_api/ws/models.py",
        "kalshi_api/py.typed",
        "kalshi_api/errors.py",
        "kalshi_api/orders.py",
        "kalshi_api/testing.py",
        "kalshi_api_core/__init__.py",
        "kalshi_api_core/decimals.py",
        "kalshi_api_core/py.typed",
        "kalshi_api_app/__init__.py",
        "kalshi_api_app/orders.py",
        "kalshi_api_app/cli/app.py",
        "kalshi_api_app/testing/pytest_plugin.py",
        "kalshi_api_app/py.typed",
    ):
        assert required in names
    assert not any(
        n.startswith(("codegen/", "tests/", "openapi/", "generated/", "overrides/")) for n in names
    )
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Name: kalshi-api" in text and "Requires-Python: >=3.10" in text
    runtime = sorted(
        line.split(":", 1)[1].split(">")[0].split("<")[0].split(";")[0].strip()
        for line in text.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    )
    assert runtime == ["cryptography", "httpx", "pydantic", "websockets"]


def test_wheel_imports_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    code = (
        "import kalshi_api, kalshi_api_core, kalshi_api_app, kalshi_api.orders, kalshi_api.testing, sys;"
        "roots = (kalshi_api, kalshi_api_core, kalshi_api_app);"
        "assert all(m.__file__.startswith(sys.argv[1]) for m in roots), roots;"
        "assert kalshi_api.orders.place_order.__module__ == 'kalshi_api_app.orders';"
        "print(kalshi_api.OPENAPI_VERSION)"
    )
    site = str(tmp_path / "site")
    result = subprocess.run(
        [sys.executable, "-c", code, site],
        env={"PYTHONPATH": site, "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3.22.0"


def test_wheel_entry_points_resolve_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    """The console script and the pytest plugin, read from the wheel's own metadata and loaded from it."""
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    (entry_points,) = (tmp_path / "site").glob("kalshi_api-*.dist-info/entry_points.txt")
    code = (
        "import configparser, importlib, sys\n"
        "points = configparser.ConfigParser(); points.read(sys.argv[2])\n"
        "module, _, attr = points['console_scripts']['kalshi-api'].partition(':')\n"
        "main = getattr(importlib.import_module(module), attr)\n"
        "plugin = importlib.import_module(points['pytest11']['kalshi_api'])\n"
        "assert all(m.__file__.startswith(sys.argv[1]) for m in (sys.modules[module], plugin))\n"
        "assert callable(plugin.fake_kalshi)\n"
        "sys.exit(main(['--fake', '--json', 'balance']))"
    )
    site = str(tmp_path / "site")
    result = subprocess.run(
        [sys.executable, "-c", code, site, str(entry_points)],
        env={"PYTHONPATH": site, "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"balance_dollars"' in result.stdout  # the command ran against an in-process fake, from the wheel


def test_editable_install_serves_all_three_packages() -> None:
    import kalshi_api
    import kalshi_api_app
    import kalshi_api_core

    assert Path(kalshi_api.__file__).is_relative_to(ROOT / "generated")
    assert Path(kalshi_api_core.__file__).is_relative_to(ROOT / "overrides")
    assert Path(kalshi_api_app.__file__).is_relative_to(ROOT / "overrides")


def test_import_is_lazy_but_every_name_resolves() -> None:
    code = (
        "import sys, kalshi_api;"
        "assert 'kalshi_api.models' not in sys.modules and 'kalshi_api.client' not in sys.modules;"
        "names = [getattr(kalshi_api, n) for n in kalshi_api.__all__];"
        "assert 'kalshi_api.models' in sys.modules and kalshi_api.KalshiClient.__name__ == 'KalshiClient';"
        "assert kalshi_api.errors.KalshiError and kalshi_api.ws.KalshiWebSocket;"
        "print(len(names))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(__import__("kalshi_api").__all__)
    missing = subprocess.run(
        [sys.executable, "-c", "import kalshi_api; kalshi_api.NoSuchThing"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "has no attribute 'NoSuchThing'" in missing.stderr
