"""`nadhir replay --blast-cluster M`: the opt-in gathering of a step's blasts, from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from nadhir.service.commands.replay import main

SPOOFER = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "idlib-spoofer"


@pytest.mark.parametrize("metres", ["-1", "nan", "inf"])
def test_a_radius_that_is_no_distance_is_refused(
    metres: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(SPOOFER), "--out", str(tmp_path / "a.jsonl"), "--quiet", "--blast-cluster", metres]) == 2
    assert "--blast-cluster" in capsys.readouterr().err


def test_the_option_reaches_the_pipeline_and_0_is_the_default(tmp_path: Path) -> None:
    """idlib-spoofer's nodes hear 195 blasts: gathered at 3 km its alerts differ from the default's,
    which ``--blast-cluster 0`` gives to the byte."""
    outs = {}
    for args in ([], ["--blast-cluster", "0"], ["--blast-cluster", "3000"]):
        out = tmp_path / "a.jsonl"
        assert main([str(SPOOFER), "--out", str(out), "--quiet", *args]) == 0
        outs[" ".join(args)] = out.read_bytes()
    assert outs["--blast-cluster 0"] == outs[""]
    assert outs["--blast-cluster 3000"] != outs[""] and outs["--blast-cluster 3000"].count(b"\n") > 5
