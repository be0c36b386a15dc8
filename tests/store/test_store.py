"""The store on SQLite and PostgreSQL: round trips, run isolation, migrations = models.

Every test runs twice, on a fresh SQLite file and in a fresh PostgreSQL schema
(dropped afterwards). PostgreSQL comes from ``NADHIR_TEST_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``, falling back to
user ``root``); when it is not reachable those tests skip, or fail with
``NADHIR_REQUIRE_SERVICES=1`` (see ``tests/services.py``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from nadhir.domain import AcousticDetection, Alert, Event, Impact, Report, Site, TrackState
from nadhir.intake.parsed import ParsedMessage
from nadhir.store import Store, alembic_config, default_url
from nadhir.store.models import Base
from services import postgres_schema, require_service, skip_or_fail

PG_URL = os.environ.get("NADHIR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = 1_763_000_000.0  # 2025-11-13, POSIX seconds
TIME_FIELDS = ("t", "eta")


# ---- fixtures ----------------------------------------------------------------


def _postgres_admin_url() -> URL:
    url = make_url(PG_URL)
    require_service("postgresql", url.host or "127.0.0.1", url.port or 5432)
    users = [url.username or "postgres", "root"]
    errors = []
    for user in dict.fromkeys(users):
        candidate = url.set(username=user)
        engine = sa.create_engine(candidate, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return candidate
        except sa.exc.OperationalError as exc:
            errors.append(f"{user}: {exc}")
        finally:
            engine.dispose()
    skip_or_fail("postgresql refused every login: " + "; ".join(errors))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield default_url(tmp_path / "store.sqlite3")
        return
    with postgres_schema(_postgres_admin_url(), "nadhir_test") as (_, url):
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url)
    try:
        yield s
    finally:
        s.close()


# ---- sample records ----------------------------------------------------------


def _sites() -> list[Site]:
    return [
        Site("idlib", "Idlib", "town", 35.9306, 36.6339, 2000.0, name_ar="إدلب", sirens=("s1", "s2"),
             population=165000, shelter_seconds=90.0),
        Site("hosp-1", "Idlib Central Hospital", "hospital", 35.9301, 36.6402, 500.0,
             polygon=((36.63, 35.92), (36.65, 35.92), (36.65, 35.94), (36.63, 35.92))),
        Site("camp-2", "Atmeh camp", "camp", 36.2155, 36.6589, 1500.0),
    ]  # fmt: skip


def _events() -> list[Event]:
    return [
        Report(T0 + 0.123456, "obs-1", channel="telegram", text="طيران حربي فوق سراقب متجه شمالاً"),
        Report(T0 + 5.5, "obs-2", aircraft="jet", count=2, lat=35.86, lon=36.80, heading_deg=337.5,
               heading="NNW", origin="Hama airbase"),
        AcousticDetection(T0 + 5.5, "ac-7", 35.9, 36.7, "jet", 0.87, bearing_deg=212.25,
                          bearing_sigma_deg=7.5),
        AcousticDetection(T0 + 6.0, "ac-8", 35.95, 36.62, "propeller", 0.4),
        Report(T0 + 7.0, "obs-3", place="Saraqib"),
        Impact(T0 + 600.000001, "obs-1", lat=35.93, lon=36.63),
        Impact(T0 + 601.0, "anon", place="Binnish"),
        Report(T0 + 601.0, "obs-4", channel="sms", text="explosion heard in Binnish"),
    ]  # fmt: skip


def _parsed(events: list[Event]) -> dict[Report, ParsedMessage]:
    first = events[0]
    assert isinstance(first, Report) and first.text is not None
    return {
        first: ParsedMessage(
            text=first.text, aircraft="jet", aircraft_confidence=0.9, action="transit",
            place_id="saraqib", place_name="سراقب", lat=35.8641, lon=36.8006, sigma_m=3000.0,
            heading_deg=0.0, confidence=0.8,
        )
    }  # fmt: skip


def _track_states(n: int, seed: int = 1, tracks: int = 40) -> list[TrackState]:
    rnd = random.Random(seed)
    return [
        TrackState(
            t=T0 + i * 0.25 + rnd.random() * 1e-3,
            track=f"T{i % tracks:03d}",
            lat=35.0 + rnd.random(),
            lon=36.0 + rnd.random(),
            speed_mps=rnd.uniform(0, 300),
            heading_deg=rnd.uniform(0, 360),
            aircraft=rnd.choice(["jet", "helicopter", "drone", "unknown"]),
            sigma_m=rnd.uniform(50, 5000),
            confirmed=rnd.random() < 0.8,
        )
        for i in range(n)
    ]


def _alerts() -> list[Alert]:
    return [
        Alert(T0 + 10.5, "alert", "idlib", "early", "jet", T0 + 190.25, 0.55, "T001"),
        Alert(T0 + 40.0, "update", "idlib", "imminent", "jet", T0 + 150.0, 0.81, "T001"),
        Alert(T0 + 40.0, "alert", "hosp-1", "imminent", "jet", None, 0.7, None),
        Alert(T0 + 900.0, "all_clear", "idlib", "imminent", "jet", None, 0.0, "T001"),
    ]


def _events_many(n: int, seed: int = 2) -> list[Event]:
    rnd = random.Random(seed)
    out: list[Event] = []
    for i in range(n):
        t = T0 + i * 1.5
        k = i % 3
        if k == 0:
            out.append(
                Report(
                    t,
                    f"obs-{i % 17}",
                    channel="app",
                    text=f"message {i}",
                    aircraft="drone",
                    lat=35 + rnd.random(),
                    lon=36 + rnd.random(),
                )
            )
        elif k == 1:
            out.append(
                AcousticDetection(
                    t,
                    f"ac-{i % 9}",
                    35.5,
                    36.5,
                    "jet",
                    rnd.random(),
                    bearing_deg=rnd.uniform(0, 360),
                    bearing_sigma_deg=5.0,
                )
            )
        else:
            out.append(Impact(t, f"obs-{i % 5}", lat=35 + rnd.random(), lon=36 + rnd.random()))
    return out


def assert_same(got: list[Any], want: list[Any]) -> None:
    """Equal records, times to within a microsecond, everything else exactly."""
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert type(g) is type(w)
        for f in dataclasses.fields(w):
            gv, wv = getattr(g, f.name), getattr(w, f.name)
            if f.name in TIME_FIELDS and wv is not None:
                assert gv == pytest.approx(wv, abs=1e-6), (f.name, g, w)
            else:
                assert gv == wv, (f.name, g, w)


# ---- tests -------------------------------------------------------------------


def test_sites_and_run_round_trip(store: Store) -> None:
    run = store.start_run("replay idlib-basic", "scenarios/idlib-basic", _sites(), started_at=T0)
    assert store.sites(run) == _sites()
    [info] = store.list_runs()
    assert (info.id, info.name, info.scenario) == (run, "replay idlib-basic", "scenarios/idlib-basic")
    assert info.started_at == pytest.approx(T0, abs=1e-6)
    assert info.finished_at is None and info.stats is None

    stats = {"alerts": 4, "warned_share": 0.75, "lead_p50": math.nan, "by_site": {"idlib": [1, 2.5]},
             "note": "تجربة"}  # fmt: skip
    store.finish_run(run, stats, finished_at=T0 + 3600)
    info = store.run(run)
    assert info.finished_at == pytest.approx(T0 + 3600, abs=1e-6)
    assert info.stats == {**stats, "lead_p50": None}


def test_events_round_trip_in_order_with_parsed_fields(store: Store) -> None:
    run = store.start_run("r", None, _sites())
    events = _events()
    half = len(events) // 2
    # two batches: the order (ties in t included) carries across calls
    assert store.add_events(run, events[:half], parsed=_parsed(events)) == half
    store.add_events(run, events[half:])
    assert_same(store.events(run), events)

    reports = store.reports(run)
    want_reports = [e for e in events if isinstance(e, Report)]
    assert_same([r for r, _ in reports], want_reports)
    assert reports[0][1] == _parsed(events)[want_reports[0]]
    assert all(p is None for _, p in reports[1:])

    window = store.events(run, since=T0 + 5.5, until=T0 + 601.0)
    assert_same(window, [e for e in events if T0 + 5.5 <= e.t <= T0 + 601.0])


def test_track_states_and_alerts_round_trip(store: Store) -> None:
    run = store.start_run("r", None, [])
    states = _track_states(500)
    store.add_track_states(run, states[:200])
    store.add_track_states(run, states[200:])
    assert_same(store.track_states(run), states)
    since, until = states[100].t, states[300].t
    assert_same(store.track_states(run, since=since, until=until), states[100:301])
    assert_same(store.track_states(run, since=states[-1].t + 1), [])

    alerts = _alerts()
    assert store.add_alerts(run, alerts) == len(alerts)
    assert_same(store.alerts(run), alerts)
    assert_same(store.alerts(run, until=T0 + 40.0), alerts[:3])


def test_two_runs_stay_separate(store: Store) -> None:
    a = store.start_run("a", "scenario-a", _sites()[:1])
    b = store.start_run("b", "scenario-b", _sites()[1:])
    assert a != b
    events = _events()
    store.add_events(a, events[:3])
    store.add_events(b, events[3:])
    store.add_track_states(a, _track_states(30, seed=1))
    store.add_track_states(b, _track_states(20, seed=2))
    store.add_alerts(b, _alerts())
    store.finish_run(a, {"run": "a"})

    assert store.sites(a) == _sites()[:1]
    assert store.sites(b) == _sites()[1:]
    assert_same(store.events(a), events[:3])
    assert_same(store.events(b), events[3:])
    assert_same(store.track_states(a), _track_states(30, seed=1))
    assert_same(store.track_states(b), _track_states(20, seed=2))
    assert store.alerts(a) == []
    assert_same(store.alerts(b), _alerts())
    runs = {r.name: r for r in store.list_runs()}
    assert runs["a"].stats == {"run": "a"} and runs["a"].finished_at is not None
    assert runs["b"].stats is None and runs["b"].finished_at is None


def test_unknown_run(store: Store) -> None:
    with pytest.raises(KeyError):
        store.run(12345)
    with pytest.raises(KeyError):
        store.finish_run(12345, {})
    with pytest.raises(sa.exc.IntegrityError):  # foreign keys are enforced, SQLite included
        store.add_alerts(12345, _alerts())


def test_reopen_keeps_data_and_does_not_remigrate(db_url: str) -> None:
    with Store.open(db_url) as first:
        run = first.start_run("r", None, _sites())
        first.add_alerts(run, _alerts())
    with Store.open(db_url) as second:
        assert [r.id for r in second.list_runs()] == [run]
        assert_same(second.alerts(run), _alerts())


def test_migrations_build_the_models_schema(db_url: str) -> None:
    with Store.open(db_url) as store:
        engine = store.engine
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert context.get_current_revision() == head
            diffs = compare_metadata(context, Base.metadata)
        assert diffs == []
        assert set(sa.inspect(engine).get_table_names()) == {*Base.metadata.tables, "alembic_version"}

        # down to nothing and back up again
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_bulk_insert_keeps_every_row(store: Store) -> None:
    # How fast is measured in benchmarks/store_write_rate.py, never timed here (a loaded CI machine
    # would fail a correct store); this checks a bulk write loses and doubles nothing.
    run = store.start_run("bulk", None, _sites())
    store.add_events(run, _events_many(3000))
    store.add_track_states(run, _track_states(20_000))
    assert len(store.track_states(run)) == 20_000
    assert len(store.events(run)) == 3000


def test_default_url(tmp_path: Path) -> None:
    assert default_url(tmp_path / "x.sqlite3") == f"sqlite:///{(tmp_path / 'x.sqlite3').resolve()}"
    assert default_url(tmp_path) == f"sqlite:///{(tmp_path / 'nadhir.sqlite3').resolve()}"
    nested = tmp_path / "a" / "b" / "c.sqlite3"
    with Store.open(default_url(nested)) as store:
        assert store.list_runs() == []
    assert nested.exists()
