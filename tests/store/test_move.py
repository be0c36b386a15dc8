"""`nadhir migrate` and `nadhir store move`: a SQLite store copied whole to PostgreSQL and back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_store import _postgres_admin_url
from typer.testing import CliRunner

from nadhir.delivery.outbox import Outbox
from nadhir.delivery.states import NewDelivery, Outcome
from nadhir.domain.formats.scenario import load_scenario
from nadhir.domain.people import Subscription
from nadhir.engine.replay import persist_replay, replay_scenario
from nadhir.health.outcomes import REQUIRED_COUNTS
from nadhir.service.cli import build_app
from nadhir.service.region import DATA
from nadhir.shelters.csv_format import read_csv
from nadhir.store import Store, default_url
from nadhir.store.attacks import AttackBook, AttackFields
from nadhir.store.audit import AuditBook
from nadhir.store.facilities import FacilityStatusBook
from nadhir.store.move import MoveError, move_store, row_counts, schema_state, tables
from nadhir.store.outcomes import OutcomeBook
from nadhir.store.people import SubscriptionBook
from nadhir.store.quarantine import QuarantineBook
from nadhir.store.shelters import ShelterBook
from services import postgres_schema

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "idlib-basic"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL schema (dropped afterwards)."""
    with postgres_schema(_postgres_admin_url(), "nadhir_move") as (_, url):
        yield url


def filled_store(path: Path) -> str:
    """A SQLite store with a row in every table: a replayed run, an outbox, people, a quarantine."""
    url = default_url(path)
    result = replay_scenario(load_scenario(SCENARIO), keep=True)
    with Store.open(url) as store:
        run_id = persist_replay(store, result)
        SubscriptionBook(store.engine).add(Subscription("s1", "sms", "+963933000001", "ar", sites=("idlib",)))
        QuarantineBook(store.engine).add(
            "batch", "ValueError: bad", "Traceback ...", [{"t": 1.0}], run_id=run_id
        )
        AuditBook(store.engine).add(1746158400.0, "operator:duty", "cancel", "idlib", "accepted",
                                    detail={"level": "imminent"}, run_id=run_id)  # fmt: skip
        status = {"fuel_days": 2.0}
        FacilityStatusBook(store.engine).record("idlib-maternity-hospital", 1746158400.0, "obs", "sms",
                                                status,
                                                lambda last: status)  # fmt: skip

        attack = AttackFields("idlib-maternity-hospital", "2025-05-02", 1746159600.0, "draft", "possible", {})
        AttackBook(store.engine).add(attack, 1746160000.0)

        outcomes = OutcomeBook(store.engine)
        monday = date(2025, 4, 28)
        counts = dict.fromkeys(REQUIRED_COUNTS, 1)
        where = {"facility_id": "idlib-maternity-hospital", "period": "week", "period_start": monday}
        outcomes.put([{**where, **counts}], 1746158400.0, "csv")
        alarm = {
            **where,
            "key": "k",
            "indicator": "stillbirths",
            "method": "ears-c2",
            "observed": 9.0,
            "expected": 3.0,
            "threshold": 7.0,
            "completeness": 1.0,
            "flagged": False,
            "nearby": [],
        }
        outcomes.add_alarms([alarm], 1746158400.0)
    outbox = Outbox.open(url)
    try:
        for i, alert in enumerate(result.alerts[:20]):
            outbox.store_alert(alert, [NewDelivery("sms", "+963933000001", f"k{i}", "text", alert.t + 600)])
        outbox.settle([Outcome("k0", "acked", "200")])
    finally:
        outbox.close()
    # A test alarm, by the same table the service writes (its book needs a whole plan).
    with Store.open(url) as store, store.engine.begin() as conn:
        t = next(t for t in tables() if t.name == "test_alarms")
        now = datetime.now(UTC)
        conn.execute(t.insert(), [{"key": "test-1", "at": now, "duration_s": 10, "sites": ["idlib"],
                                   "created_at": now, "created_by": "op", "sirens": 1,
                                   "announcements": 0, "cancelled_at": None}])  # fmt: skip
    # Displacement sites' updates (the demo's register).
    with Store.open(url) as store:
        sites = read_csv((DATA / "shelters" / "demo-idlib.csv").read_text("utf-8"))
        ShelterBook(store.engine).add(sites.updates)
    return url


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The filled store, made once: the moves only read it."""
    return filled_store(tmp_path_factory.mktemp("move") / "a.sqlite3")


def snapshot(url: str) -> dict[str, object]:
    """What a store holds, read back through its own API."""
    store = Store.open(url)
    outbox = Outbox.open(url)
    try:
        runs = store.list_runs()
        return {
            "runs": [(r.name, r.started_at, r.finished_at, r.stats) for r in runs],
            "alerts": [store.alerts(r.id) for r in runs],
            "episodes": store.open_episodes([r.id for r in runs]),
            "deliveries": outbox.deliveries(),
            "audit": [(a.key, a.event, a.attempt, a.detail, round(a.at, 3)) for a in outbox.audit()],
            "subscriptions": SubscriptionBook(store.engine).all(),
            "operator_audit": AuditBook(store.engine).recent(),
            "facility_status": FacilityStatusBook(store.engine).history("idlib-maternity-hospital"),
            "attacks": AttackBook(store.engine).recent(),
            "outcomes": OutcomeBook(store.engine).current(),
            "outcome_alarms": OutcomeBook(store.engine).alarms(),
            "shelters": ShelterBook(store.engine).all(),
        }
    finally:
        outbox.close()
        store.close()


def test_a_store_moves_from_sqlite_to_postgresql_and_back_whole(
    tmp_path: Path, pg_url: str, source: str
) -> None:
    with Store.open(source) as store, store.engine.connect() as conn:
        counts = row_counts(conn)
    assert all(counts.values()), counts  # every table has rows to move
    seen: list[tuple[str, int]] = []
    moved = move_store(source, pg_url, batch=1000, on_rows=lambda t, n: seen.append((t, n)))
    assert moved == counts
    assert sum(n for _, n in seen) == sum(counts.values())
    assert max(n for _, n in seen) <= 1000 and len(seen) > len(tables())  # in batches
    assert snapshot(pg_url) == snapshot(source)
    # New rows on the target take ids after the copied ones (sequences moved on).
    with Store.open(pg_url) as store:
        new_run = store.start_run("after the move", None, [])
        assert new_run > max(r.id for r in store.list_runs() if r.id != new_run)
    # And back to a new SQLite file: the same again.
    back = default_url(tmp_path / "b.sqlite3")
    move_store(pg_url, back)
    assert snapshot(back)["deliveries"] == snapshot(source)["deliveries"]


def test_a_non_empty_target_is_refused_unless_forced_and_left_as_it_was(tmp_path: Path, source: str) -> None:
    target = default_url(tmp_path / "t.sqlite3")
    with Store.open(target) as store:
        store.start_run("already here", None, [])
    with pytest.raises(MoveError, match="not empty"):
        move_store(source, target)
    assert [r.name for r in Store.open(target).list_runs()] == ["already here"]
    move_store(source, target, replace=True)
    assert snapshot(target) == snapshot(source)


def test_an_out_of_date_source_is_refused(tmp_path: Path) -> None:
    source = default_url(tmp_path / "old.sqlite3")
    engine = sa.create_engine(source)
    from nadhir.store import upgrade_schema

    upgrade_schema(engine, "0001")
    engine.dispose()
    with pytest.raises(MoveError, match="nadhir migrate"):
        move_store(source, default_url(tmp_path / "t.sqlite3"))


def test_migrate_and_move_commands(tmp_path: Path, pg_url: str, source: str) -> None:
    runner = CliRunner()
    app = build_app()
    empty = default_url(tmp_path / "fresh.sqlite3")
    first = runner.invoke(app, ["migrate", "--db", empty])
    assert first.exit_code == 0, first.output
    assert "migrated from an empty database" in first.output
    again = runner.invoke(app, ["migrate", "--db", empty])
    assert again.exit_code == 0 and "already at the newest schema" in again.output
    with Store.open(empty, migrate=False) as store:
        assert schema_state(store.engine).up_to_date
    migrated_pg = runner.invoke(app, ["migrate", "--db", pg_url])
    assert migrated_pg.exit_code == 0, migrated_pg.output
    moved = runner.invoke(app, ["store", "move", "--from", source, "--to", pg_url])
    assert moved.exit_code == 0, moved.output
    assert "moved" in moved.output and "outbox_deliveries" in moved.output
    refused = runner.invoke(app, ["store", "move", "--from", source, "--to", pg_url])
    assert refused.exit_code == 1 and "not empty" in refused.output
    forced = runner.invoke(app, ["store", "move", "--from", source, "--to", pg_url, "--force"])
    assert forced.exit_code == 0, forced.output
    assert snapshot(pg_url) == snapshot(source)
