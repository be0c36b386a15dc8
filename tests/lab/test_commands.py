"""The lab's commands reach ``nadhir`` through entry points, never through an import by the product.

pyproject.toml declares them (groups ``nadhir.commands`` and ``nadhir.scoring``);
the product's CLI and ``nadhir demo`` read whatever the installed metadata says.
Most tests here hand the CLI the entry points pyproject.toml declares, so that they
check the declaration and the discovery; one checks that the installed metadata is
current (a stale editable install lacks the lab's commands).
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nadhir.service import cli
from nadhir.service.commands import demo
from nadhir_lab.scoring import score_summary

REPO = Path(__file__).resolve().parents[2]
LAB_COMMANDS = {"score", "simulate", "train-threat"}


def declared(group: str) -> list[importlib.metadata.EntryPoint]:
    """The entry points pyproject.toml declares in ``group``."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [
        importlib.metadata.EntryPoint(name, value, group)
        for name, value in project["entry-points"].get(group, {}).items()
    ]


def _lookup(
    table: dict[str, list[importlib.metadata.EntryPoint]],
) -> Callable[..., importlib.metadata.EntryPoints]:
    """A stand-in for ``importlib.metadata.entry_points`` that answers from ``table``."""

    def entry_points(*, group: str, name: str | None = None) -> importlib.metadata.EntryPoints:
        found = [e for e in table.get(group, []) if name is None or e.name == name]
        return importlib.metadata.EntryPoints(found)

    return entry_points


@pytest.fixture
def as_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI and the demo see the entry points pyproject.toml declares."""
    table = {group: declared(group) for group in ("nadhir.commands", "nadhir.scoring")}
    monkeypatch.setattr(importlib.metadata, "entry_points", _lookup(table))
    monkeypatch.setattr(demo, "entry_points", _lookup(table))


def test_pyproject_declares_the_lab_commands_and_scorer() -> None:
    commands = declared("nadhir.commands")
    assert {e.name for e in commands} == LAB_COMMANDS
    assert all(e.value.startswith("nadhir_lab.commands.") for e in commands)
    assert all(callable(e.load()) for e in commands)
    (scorer,) = declared("nadhir.scoring")
    assert scorer.name == "summary" and scorer.load() is score_summary


@pytest.mark.usefixtures("as_declared")
def test_help_lists_the_lab_commands_in_their_own_panel() -> None:
    result = CliRunner().invoke(cli.build_app(), ["--help"])
    assert result.exit_code == 0, result.output
    product, lab = result.output.split("Lab (nadhir_lab)")
    assert all(name in lab for name in LAB_COMMANDS)
    assert "serve" in product and "simulate" not in product


@pytest.mark.usefixtures("as_declared")
def test_a_lab_command_is_built_alone_and_runs() -> None:
    app = cli.build_app("simulate")
    result = CliRunner().invoke(app, ["simulate", "unused", "--list-regions"])
    assert result.exit_code == 0, result.output
    assert "wadi-karam" in result.output.split()
    helped = CliRunner().invoke(app, ["--help"])
    assert "simulate" in helped.output and "score" not in helped.output and "serve" not in helped.output


def test_without_the_lab_the_product_has_no_lab_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", _lookup({}))
    result = CliRunner().invoke(cli.build_app(), ["--help"])
    assert result.exit_code == 0, result.output
    assert "serve" in result.output and "simulate" not in result.output and "Lab" not in result.output


def test_a_plugin_cannot_replace_a_product_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rogue = importlib.metadata.EntryPoint("serve", "nadhir_lab.commands.score:register", "nadhir.commands")
    monkeypatch.setattr(importlib.metadata, "entry_points", _lookup({"nadhir.commands": [rogue]}))
    assert cli.plugin_commands() == []
    assert "'serve' is a nadhir command" in capsys.readouterr().err


@pytest.mark.usefixtures("as_declared")
def test_demo_prints_the_lab_score(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.build_app("demo"), ["demo", "--out-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warned share" in result.output and "OSPA" in result.output


def test_demo_without_a_scorer_says_so_and_still_stores_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(demo, "entry_points", _lookup({}))
    result = CliRunner().invoke(cli.build_app("demo"), ["demo", "--out-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "not scored" in result.output and "warned share" not in result.output
    assert "stored:  run 1" in result.output


def test_the_installed_metadata_is_current() -> None:
    """``nadhir simulate`` exists only if the install's metadata has the entry points: reinstall if not."""
    for group in ("nadhir.commands", "nadhir.scoring"):
        installed = {(e.name, e.value) for e in importlib.metadata.entry_points(group=group)}
        wanted = {(e.name, e.value) for e in declared(group)}
        assert wanted <= installed, (
            f"the installed nadhir's entry points ({group}) are stale: run `pip install -e .`"
        )
