"""``nadhir replay --db`` leaves drafted attacks in the database; ``nadhir health attacks list`` and
``export`` read them back (HXL CSV and JSON, public and private)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import hxl
import pytest
from typer.testing import CliRunner

from nadhir.service.cli import app
from nadhir.store import default_url

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "idlib-twists"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("attacks")
    url = default_url(tmp / "run.sqlite3")
    for _ in range(2):  # a second replay of the same scenario joins the records it already drafted
        result = CliRunner().invoke(
            app, ["replay", str(SCENARIO), "--db", url, "--out", str(tmp / "alerts.jsonl"), "--quiet"]
        )
        assert result.exit_code == 0, result.output
    return url


def _run(*args: str) -> str:
    # A wide terminal: rich cuts a table's cells to fit the 80 columns a test runner has.
    result = CliRunner().invoke(
        app, ["health", "attacks", *args, "--scenario", str(SCENARIO)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_replay_leaves_the_drafted_attacks_in_the_database(db: str, tmp_path: Path) -> None:
    out = tmp_path / "private.json"
    _run("export", "--db", db, "--private", "--format", "json", "--out", str(out))
    attacks = json.loads(out.read_text(encoding="utf-8"))["attacks"]
    # Strikes fell within 500 m of three hospitals (truth.json); observers reported two of them
    # there (tests/health/test_attack_drafts.py). Two replays: still one record each.
    assert sorted(a["facility_id"] for a in attacks) == ["ariha-surgical-hospital", "saraqeb-hospital"]
    for a in attacks:
        assert a["review"] == "draft" and a["certainty"] == "possible"
        assert a["links"]["episodes"] and a["links"]["reports"]
        assert a["links"]["run_id"] == 1  # the first run's draft, joined by the second's sources
        assert a["sources"][0]["kind"] == "report"


def test_the_public_hxl_export_from_the_command(db: str, tmp_path: Path) -> None:
    out = tmp_path / "public.csv"
    said = _run("export", "--db", db, "--public", "--drafts", "--format", "hxl", "--out", str(out))
    assert "2 attacks written" in said
    text = out.read_text(encoding="utf-8")
    data = hxl.data(list(csv.reader(io.StringIO(text))))
    assert all(c.display_tag for c in data.columns)
    assert {row.get("#adm2+name") for row in data} == {"Ariha", "Saraqeb"}
    for secret in ("Hospital", "obs-", "35.", "36.", "hospital-"):
        assert secret not in text.replace("hospital,", ""), secret


def test_list_shows_public_or_private(db: str) -> None:
    public = _run("list", "--db", db)
    assert "2 attacks" in public and "possible" in public
    assert "obs-" not in public
    private = _run("list", "--db", db, "--private")
    assert "obs-" in private


def test_export_needs_exactly_one_scope(db: str, tmp_path: Path) -> None:
    for scopes in ([], ["--public", "--private"]):
        result = CliRunner().invoke(
            app,
            [
                "health",
                "attacks",
                "export",
                "--db",
                db,
                *scopes,
                "--format",
                "json",
                "--out",
                str(tmp_path / "x"),
            ],
        )
        assert result.exit_code == 2
        assert "exactly one of --public and --private" in result.output
    assert not (tmp_path / "x").exists()


def test_the_drafting_distance_is_a_setting_of_replay(tmp_path: Path) -> None:
    url = default_url(tmp_path / "wide.sqlite3")
    args = [
        "replay",
        str(SCENARIO),
        "--db",
        url,
        "--out",
        str(tmp_path / "a.jsonl"),
        "--attack-distance",
        "300",
    ]
    narrow = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert narrow.exit_code == 0, narrow.output
    # 2 at 500 m; at 300 m only Ariha's (benchmarks/attack_drafting.py).
    assert "attacks on health care drafted: 1 new" in narrow.output
    bad = CliRunner().invoke(app, ["replay", str(SCENARIO), "--db", url, "--attack-distance", "-5"])
    assert bad.exit_code == 2
    assert "--attack-distance must be a positive number of metres" in bad.output


def test_a_public_export_holds_confirmed_records_only_unless_drafts_are_asked_for(
    db: str, tmp_path: Path
) -> None:
    from nadhir.domain.formats.scenario import load_scenario
    from nadhir.service.attack_register import AttackRegister
    from nadhir.store import Store
    from nadhir.store.attacks import AttackBook

    with Store.open(db) as store:
        register = AttackRegister(AttackBook(store.engine), load_scenario(SCENARIO).sites)
        ariha, saraqeb = sorted(register.records(), key=lambda r: r.facility.id)
        register.review(ariha.id or 0, "confirmed", "health:hala", "visited", 1746250000.0)
        register.review(
            saraqeb.id or 0, "rejected", "health:hala", "a strike on the field behind it", 1746250000.0
        )
    for extra, expected in (([], ["Ariha"]), (["--drafts"], ["Ariha"])):
        out = tmp_path / "public.json"
        _run("export", "--db", db, "--public", *extra, "--format", "json", "--out", str(out))
        attacks = json.loads(out.read_text(encoding="utf-8"))["attacks"]
        assert [a["admin_area"] for a in attacks] == expected  # the rejected one never
    out = tmp_path / "private.json"
    _run("export", "--db", db, "--private", "--format", "json", "--out", str(out))
    reviews = sorted(a["review"] for a in json.loads(out.read_text(encoding="utf-8"))["attacks"])
    assert reviews == ["confirmed", "rejected"]
