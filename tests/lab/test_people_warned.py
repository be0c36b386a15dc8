"""People warned beside sites warned: pairs weighted by population; the score itself unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from test_scoring import STRIKE_T, line, scenario, score_rows, write_lines  # noqa: F401  (fixture)
from typer.testing import CliRunner

from nadhir.domain import Problems
from nadhir.domain.formats.scenario import load_sites
from nadhir_lab.people_warned import people_warned
from nadhir_lab.scoring import score


def with_population(root: Path, population: dict[str, int]) -> list[object]:
    path = root / "sites.geojson"
    data = json.loads(path.read_text())
    for f in data["features"]:
        if f["properties"]["id"] in population:
            f["properties"]["population"] = population[f["properties"]["id"]]
    path.write_text(json.dumps(data))
    return list(load_sites(path, Problems()))


def test_people_are_counted_by_the_sites_warned(scenario: Path) -> None:  # noqa: F811
    sites = with_population(scenario, {"town": 160_000, "near-school": 900, "camp": 3300})
    warned = score_rows(scenario, [line(STRIKE_T - 600, "alert")])
    p = people_warned(warned, sites)  # type: ignore[arg-type]
    # One strike in the town's area (a pair), none in the schools' or the camp's: 1 of 1 site.
    assert (p.sites_struck, p.sites_warned, p.people_at_strikes, p.people_warned) == (1, 1, 160_000, 160_000)
    assert p.people_warned_share == 1.0 and p.sites_without_population == ()
    unwarned = people_warned(score_rows(scenario, []), sites)  # type: ignore[arg-type]
    assert (unwarned.sites_warned, unwarned.people_warned, unwarned.people_warned_share) == (0, 0, 0.0)


def test_a_struck_site_without_population_is_named_not_counted(scenario: Path) -> None:  # noqa: F811
    sites = with_population(scenario, {})
    p = people_warned(score_rows(scenario, [line(STRIKE_T - 600, "alert")]), sites)  # type: ignore[arg-type]
    assert p.sites_without_population == ("town",) and p.people_warned_share is None
    assert p.sites_warned == 1


def test_the_score_command_adds_people_and_changes_nothing_else(scenario: Path) -> None:  # noqa: F811
    from nadhir.service import cli

    with_population(scenario, {"town": 160_000})
    alerts = write_lines(scenario.parent / "alerts.jsonl", [line(STRIKE_T - 600, "alert")])
    app = cli.build_app("score")
    plain = CliRunner().invoke(app, ["score", str(scenario), str(alerts), "--json"])
    weighted = CliRunner().invoke(app, ["score", str(scenario), str(alerts), "--json", "--people"])
    assert plain.exit_code == 0 and weighted.exit_code == 0, weighted.output
    before, after = json.loads(plain.stdout), json.loads(weighted.stdout)
    people = after.pop("people")
    after.pop("scenario")
    assert after == before == json.loads(json.dumps(score(scenario, alerts).as_dict()))
    assert people["people_warned"] == 160_000 and people["sites_warned"] == 1
    text = CliRunner().invoke(app, ["score", str(scenario), str(alerts), "--people"])
    assert "people warned       160,000 of 160,000 at strikes (100.0%)" in text.stdout
