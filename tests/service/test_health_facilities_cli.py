"""``nadhir health facilities status``: the table and the JSON, from a store holding the demo's history."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nadhir.intake.field_reports import Mandates
from nadhir.service.cli import build_app
from nadhir.service.facility_status import FacilityStatusRoom
from nadhir.service.region import load_region
from nadhir.store import Store


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("NADHIR_DB", "NADHIR_SETTINGS"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'n.sqlite3'}"
    with Store.open(url) as store:
        room = FacilityStatusRoom(
            store.engine, load_region(None).scenario.sites, Mandates(()), time.time, lambda ready: None
        )
        assert room.load_demo_history() == 66
    return url


def test_json_lists_every_facility_with_its_latest_status(db: str) -> None:
    result = CliRunner().invoke(build_app("health"), ["health", "facilities", "status", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert len(rows) == 9 and "idlib" not in rows
    jisr = rows["jisr-hospital"]
    assert (jisr["functionality"], jisr["evacuated"], jisr["at"]) == ("not", True, "2025-04-28T18:30:00Z")
    maternity = rows["idlib-maternity-hospital"]
    assert maternity["status"]["incubators_occupied"] == 3 and maternity["not_available"] == [
        "emonc_9_blood_transfusion"
    ]
    # Statuses of 2025 are stale by now: they no longer change how the hospitals are warned.
    assert all(r["sirens"] and r["extra_lead_s"] == 0 for r in rows.values())


def test_the_table(db: str) -> None:
    result = CliRunner().invoke(build_app("health"), ["health", "facilities", "status", "--db", db],
                                env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "9 health facilities" in result.stdout and "not (evacuated)" in result.stdout
    assert "incubators 4/6 (3 occupied)" in result.stdout
