"""The siren program installs alone: its wheel needs paho-mqtt and nothing of the service.

A board at a siren runs ``pip install ./siren``; it must not pull FastAPI,
SQLAlchemy, psycopg, numpy or scipy (issue 14). The wheel is built from
``siren/`` as pip builds it, and its metadata and every module it ships are read.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICE_DEPENDENCIES = ("fastapi", "sqlalchemy", "psycopg", "scipy", "numpy", "uvicorn", "pydantic", "httpx")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel --no-deps ./siren`` (built in isolation, as on the board)."""
    out = tmp_path_factory.mktemp("siren-wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO / "siren")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if build.returncode != 0 and "satisfies the requirement setuptools" in build.stderr:
        pytest.skip("no package index to fetch the build backend from: " + build.stderr.strip()[-200:])
    assert build.returncode == 0, build.stdout + build.stderr
    (found,) = out.glob("nadhir_siren-*.whl")
    return found


def test_the_siren_wheel_requires_only_paho(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        (meta_name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(zf.read(meta_name).decode())
        entry_points = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert meta["Name"] == "nadhir-siren"
    requires = meta.get_all("Requires-Dist") or []
    assert requires == ["paho-mqtt==2.2.0"]
    for name in SERVICE_DEPENDENCIES:
        assert not any(name in r.lower() for r in requires)
    assert "nadhir-siren = nadhir_siren.cli:main" in entry_points


def _imported_roots(source: str) -> set[str]:
    """The top-level packages a module imports (relative imports are its own package)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            roots.add("<dynamic import>")
    return roots


def test_the_siren_modules_import_only_the_standard_library_and_paho(wheel: Path) -> None:
    allowed = set(sys.stdlib_module_names) | {"paho", "nadhir_siren"}
    with zipfile.ZipFile(wheel) as zf:
        modules = {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".py")}
    assert {"nadhir_siren/protocol.py", "nadhir_siren/controller.py", "nadhir_siren/outputs.py",
            "nadhir_siren/cli.py", "nadhir_siren/__main__.py"} <= set(modules)  # fmt: skip
    for name, source in modules.items():
        assert name.startswith("nadhir_siren/")
        outside = _imported_roots(source) - allowed
        assert not outside, f"{name} imports {sorted(outside)}"


def test_the_scan_catches_a_service_import() -> None:
    # The scan itself bites: a module that reaches for the service or numpy is caught.
    assert _imported_roots("import numpy as np\nfrom nadhir.domain import Alert\nimport json\n") == {
        "numpy",
        "nadhir",
        "json",
    }
    assert "<dynamic import>" in _imported_roots("import importlib\nimportlib.import_module('nadhir')\n")
