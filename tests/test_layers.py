"""Three one-way layers: the runtime (``kalshi_api_core``) never imports generated code, not even lazily; the
generated package builds on it; the application layer (``kalshi_api_app``) builds on both."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "overrides" / "kalshi_api_core"
ABOVE = ("kalshi_api", "kalshi_api_app")  # the generated package and the application layer


def _is_above(module: str) -> bool:
    return module.split(".")[0] in ABOVE


def generated_imports(path: Path) -> list[str]:
    """Every import of the layers above the runtime in a file, wherever it is (functions and TYPE_CHECKING
    blocks too):
    ``import``/``from`` statements, and ``importlib.import_module``/``__import__`` of a literal name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [f"{path}:{node.lineno}: {name}" for name in names if _is_above(name)]
    return found


def test_no_runtime_module_imports_generated_code() -> None:
    modules = sorted(RUNTIME.rglob("*.py"))
    assert len(modules) > 20  # the whole runtime is scanned, subpackages too
    offenders = [line for path in modules for line in generated_imports(path)]
    assert offenders == []


def test_the_scan_sees_imports_hidden_in_functions_and_type_checking(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\nimport importlib\nimport kalshi_api_core.errors\n"
        "if TYPE_CHECKING:\n    from kalshi_api.client import KalshiClient\n"
        "def f():\n    import kalshi_api\n    return importlib.import_module('kalshi_api_app.testing')\n",
        encoding="utf-8",
    )
    assert generated_imports(sample) == [
        f"{sample}:5: kalshi_api.client",
        f"{sample}:7: kalshi_api",
        f"{sample}:8: kalshi_api_app.testing",
    ]


def _loaded_after_importing(packages: list[str], code: str) -> list[str]:
    """The modules of ``packages`` a fresh interpreter holds after running ``code``."""
    listing = f"sorted(m for m in sys.modules if m.split('.')[0] in {packages!r})"
    check = f"{code}\nimport sys\nprint('\\n'.join({listing}))"
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_importing_every_runtime_module_loads_no_generated_code() -> None:
    code = (
        "import importlib, pkgutil, kalshi_api_core\n"
        "names = [m.name for m in pkgutil.walk_packages(kalshi_api_core.__path__, 'kalshi_api_core.')]\n"
        "assert len(names) > 20, names\n"
        "for name in names: importlib.import_module(name)"
    )
    assert _loaded_after_importing(list(ABOVE), code) == []


def test_the_generated_package_loads_no_application_code_until_asked() -> None:
    """The client, models, resources and WebSocket package stand on the runtime alone; only the re-export
    modules of the application layer's names (``kalshi_api.testing``, ``.orders``, ...) load it."""
    code = (
        "import importlib, pkgutil, kalshi_api.resources, kalshi_api.ws\n"
        "import kalshi_api.client, kalshi_api.models, kalshi_api.errors, kalshi_api.record_replay\n"
        "for m in pkgutil.walk_packages(kalshi_api.resources.__path__, 'kalshi_api.resources.'):\n"
        "    importlib.import_module(m.name)\n"
        "for m in pkgutil.walk_packages(kalshi_api.ws.__path__, 'kalshi_api.ws.'):\n"
        "    importlib.import_module(m.name)"
    )
    assert _loaded_after_importing(["kalshi_api_app"], code) == []
    assert "kalshi_api_app.orders" in _loaded_after_importing(["kalshi_api_app"], "import kalshi_api.orders")


def test_a_resource_loads_its_own_module_only_and_raw_responses_on_first_use() -> None:
    """``client.orders`` loads the orders module alone (not every resource of the package, nor the
    raw-response classes); ``client.with_raw_response.orders`` adds just ``orders_raw``."""
    resources = "','.join(sorted(m for m in sys.modules if m.startswith('kalshi_api.resources')))"
    code = (
        "import sys\n"
        "from kalshi_api import KalshiClient\n"
        "client = KalshiClient(base_url='http://127.0.0.1:9')\n"
        "client.orders\n"
        f"print({resources})\n"
        "client.with_raw_response.orders\n"
        f"print({resources})"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    first, then = done.stdout.split()
    assert first.split(",") == ["kalshi_api.resources", "kalshi_api.resources.orders"]
    assert then.split(",") == [
        "kalshi_api.resources",
        "kalshi_api.resources.orders",
        "kalshi_api.resources.orders_raw",
    ]
