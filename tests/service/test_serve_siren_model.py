"""``nadhir serve --siren-model``: the live service weighs calls for sirens as the replay does."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import typer
from service_helpers import T0, make_settings
from typer.testing import CliRunner

from nadhir.alerting.siren_model import SirenModel
from nadhir.domain import Alert
from nadhir.domain.formats.scenario import load_scenario
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.commands import serve
from nadhir.service.feed import ALERTS
from nadhir.service.region import bundled_scenario


def _live_alerts(siren_model: SirenModel | None, tmp_path: Path) -> list[Alert]:
    """The alerts the service's own engine core sends for the bundled scenario's first hour."""
    app = create_app(make_settings(tmp_path), clock=ManualClock(T0), siren_model=siren_model)
    core = app.state.service.new_core(ManualClock(T0))
    alerts = core.bus.subscribe(ALERTS, maxsize=100_000)
    scenario = load_scenario(bundled_scenario())
    events = [event for _, event in scenario.events()]
    start = events[0].t
    for t, group in groupby((e for e in events if e.t < start + 3600.0), key=lambda e: e.t):
        core.tick(t - 1e-3)
        core.submit(list(group), t)
    return [a for a in alerts.drain() if isinstance(a, Alert)]


def test_the_live_engine_weighs_calls_for_sirens_with_the_model_it_is_given(tmp_path: Path) -> None:
    rules = _live_alerts(None, tmp_path / "rules")
    assert any(a.level == "imminent" for a in rules)  # the hour has calls for sirens to weigh
    # At an operating point of 1 no call is sure enough: every siren becomes phones, and the sites
    # the rules warned are still warned.
    never = SirenModel.bundled()
    assert never is not None
    weighed = _live_alerts(never.with_threshold(1.0), tmp_path / "model")
    assert not any(a.level == "imminent" for a in weighed)
    assert {a.site for a in weighed if a.action == "alert"} >= {a.site for a in rules if a.action == "alert"}


def test_serve_refuses_a_siren_model_it_cannot_load(tmp_path: Path) -> None:
    app = typer.Typer()
    serve.register(app)

    @app.command("version")
    def version() -> None:  # a second command, so that typer keeps ``serve`` as a subcommand
        print("test app")

    missing = tmp_path / "nowhere.json"
    result = CliRunner().invoke(app, ["serve", "--siren-model", str(missing), "--port", "0"])
    assert result.exit_code == 2
    assert "cannot load siren model" in result.output
