"""The architecture rules in pyproject.toml ([tool.importlinter]) hold, and they bite.

``lint-imports`` checks the contracts (docs/architecture.md, "Rules CI checks"):
the product never imports the lab, and the product's layers only import down.
The second and third tests plant a forbidden import in a copy of the sources and
check that the contracts catch it, so that a contract that checks nothing fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    """The ``lint-imports`` of the Python running the tests (the dev extra installs it)."""
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.is_file() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports not found: install the dev extra (pip install -e '.[dev]')")
    return found


def _run(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on ``root`` (pyproject.toml, src/ and the siren program's siren/src/), its sources
    first on the path."""
    paths = [str(root / "src"), str(root / "siren" / "src"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    return subprocess.run(
        [_lint_imports(), "--no-cache", "--no-logo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_hold() -> None:
    result = _run(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "never imports the lab" in result.stdout and "layers" in result.stdout
    assert "siren program" in result.stdout and "wire protocol" in result.stdout


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the Python sources and pyproject.toml, with ``line`` added to ``module``'s file."""
    root = tmp_path / "repo"
    shutil.copytree(
        REPO / "src",
        root / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "data", "console", "migrations"),
    )
    shutil.copytree(REPO / "siren" / "src", root / "siren" / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))  # fmt: skip
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    base = root / "siren" / "src" if module.startswith("nadhir_siren") else root / "src"
    target = base / Path(*module.split(".")).with_suffix(".py")
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("nadhir.geo.distance", "import nadhir_lab", "nadhir.geo.distance -> nadhir_lab"),
        (
            "nadhir.engine.pipeline",
            "from nadhir_lab.scoring import score",
            "nadhir.engine.pipeline -> nadhir_lab.scoring",
        ),
        (
            "nadhir.domain.timefmt",
            "from nadhir.service import live",
            "nadhir.domain.timefmt -> nadhir.service",
        ),
        ("nadhir.tracking.track", "import nadhir.threat.assessor", "nadhir.tracking.track -> nadhir.threat"),
        ("nadhir_siren.outputs", "from nadhir.domain import Alert", "nadhir_siren.outputs -> nadhir.domain"),
        (
            "nadhir.delivery.router",
            "from nadhir_siren.controller import SirenController",
            "nadhir.delivery.router -> nadhir_siren.controller",
        ),
    ],
    ids=[
        "product-imports-lab",
        "product-imports-lab-module",
        "domain-imports-service",
        "tracking-up",
        "siren-program-imports-product",
        "product-imports-siren-controller",
    ],
)
def test_a_planted_import_breaks_a_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    result = _run(_copy_with(tmp_path, module, line))
    assert result.returncode != 0, result.stdout
    assert " broken." in result.stdout and "0 broken" not in result.stdout
    assert broken in result.stdout, result.stdout
