"""The store: runs and everything a run heard and said, in SQLite or PostgreSQL.

::

    store = Store.open(default_url("out/nadhir.sqlite3"))   # or "postgresql+psycopg://..."
    run = store.start_run("replay idlib-basic", "scenarios/idlib-basic", scenario.sites)
    store.add_events(run, events, parsed={report: message, ...})
    store.add_track_states(run, states)
    store.add_alerts(run, alerts)
    store.finish_run(run, {"warned_share": 0.9})
    store.track_states(run, since=t0, until=t1)
    store.close()

The domain records keep time as POSIX seconds; the database keeps aware UTC
datetimes (microsecond resolution, so a time read back may differ from the
one written by up to half a microsecond). Writes are batched: each ``add_*``
call is one transaction with one executemany per table.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import ColumnElement, and_, create_engine, event, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session

from nadhir.domain import (
    AcousticDetection,
    AircraftType,
    Alert,
    AlertAction,
    AlertLevel,
    Event,
    Impact,
    Report,
    Site,
    TrackState,
)
from nadhir.domain.timefmt import utc_datetime
from nadhir.intake.parsed import ParsedMessage
from nadhir.store.models import (
    AcousticRow,
    AlertRow,
    ImpactRow,
    ReportRow,
    RunRow,
    SiteRow,
    TrackStateRow,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_FILENAME = "nadhir.sqlite3"
_PARSED_FIELDS = tuple(f.name for f in dataclasses.fields(ParsedMessage))


def default_url(path: str | os.PathLike[str]) -> str:
    """The SQLite URL of a database file (a directory gets ``nadhir.sqlite3`` inside it)."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / DEFAULT_FILENAME
    return f"sqlite:///{p.resolve()}"


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for the store's migrations, without any ``alembic.ini``.

    Give an open ``connection`` to run on it (it is used as is, in its
    transaction), or a ``url`` for Alembic to connect by itself.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (default: the newest)."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One run as listed by :meth:`Store.list_runs`; times are POSIX seconds."""

    id: int
    name: str
    scenario: str | None
    started_at: float
    finished_at: float | None
    stats: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class OpenEpisode:
    """An alert episode the store shows open: its site's last alert is not an all-clear.

    ``started`` is the time of the alert that opened it, ``last_sent`` of its latest alert, whose
    level, aircraft, arrival, track and confidence it has; ``sirens`` is true if any of its alerts
    was ``imminent``; ``run_id`` is the run its latest alert belongs to; ``alerts`` is how many
    alerts it sent (its next one is number ``alerts + 1``: delivery keys derive from that number).
    """

    site: str
    level: AlertLevel
    started: float
    last_sent: float
    eta: float | None
    threat: AircraftType
    track: str | None
    confidence: float
    sirens: bool
    run_id: int
    alerts: int = 1


def _run_info(r: RunRow) -> RunInfo:
    return RunInfo(
        id=r.id,
        name=r.name,
        scenario=r.scenario,
        started_at=_ts(r.started_at),
        finished_at=_opt_ts(r.finished_at),
        stats=r.stats,
    )


def _dt(t: float) -> datetime:
    return utc_datetime(t)  # clamped: an absurd arrival time must not block the alerts after it


def _ts(dt: datetime) -> float:
    return dt.timestamp()


def _opt_dt(t: float | None) -> datetime | None:
    # An optional time that is not a number (an arrival nobody can tell) is stored as unknown.
    return None if t is None or math.isnan(t) else _dt(t)


def _opt_ts(dt: datetime | None) -> float | None:
    return None if dt is None else dt.timestamp()


def _jsonable(value: Any) -> Any:
    """Plain JSON values: tuples become lists, NaN and infinities null, numpy scalars Python ones."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item):
        return _jsonable(item())
    tolist = getattr(value, "tolist", None)  # numpy array
    if callable(tolist):
        return _jsonable(tolist())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def _parsed_to_json(message: ParsedMessage) -> dict[str, Any]:
    return cast(dict[str, Any], _jsonable(dataclasses.asdict(message)))


def _parsed_from_json(data: dict[str, Any] | None) -> ParsedMessage | None:
    if data is None:
        return None
    return ParsedMessage(**{k: v for k, v in data.items() if k in _PARSED_FIELDS})


def _between(column: Any, since: float | None, until: float | None) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if since is not None:
        conds.append(column >= _dt(since))
    if until is not None:
        conds.append(column <= _dt(until))
    return conds


class Store:
    """Runs and their records in one database. Thread-safe: every call has its own session."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, echo: bool = False) -> Store:
        """Connect to ``url`` and bring its schema up to date (unless ``migrate=False``).

        For a SQLite file, the folder is created if needed, foreign keys are
        enforced and the journal is put in WAL mode (readers do not block a writer).
        """
        parsed = make_url(url)
        is_sqlite = parsed.get_backend_name() == "sqlite"
        if is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo)
        if is_sqlite:
            in_memory = not parsed.database or parsed.database == ":memory:"

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                if not in_memory:
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.close()

        if migrate:
            try:
                upgrade_schema(engine)
            except BaseException:
                engine.dispose()
                raise
        return cls(engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        """Close every pooled connection. The store must not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    # ---- writing ---------------------------------------------------------

    def start_run(
        self,
        name: str,
        scenario: str | None,
        sites: Iterable[Site],
        *,
        started_at: float | None = None,
    ) -> int:
        """Record a new run and the sites it can warn; returns the run id."""
        started = _dt(started_at) if started_at is not None else datetime.now(UTC)
        with self._session() as session, session.begin():
            run = RunRow(name=name, scenario=scenario, started_at=started, finished_at=None, stats=None)
            session.add(run)
            session.flush()
            run_id = run.id
            rows = [
                {
                    "run_id": run_id,
                    "site_id": s.id,
                    "name": s.name,
                    "kind": s.kind,
                    "lat": s.lat,
                    "lon": s.lon,
                    "radius_m": s.radius_m,
                    "name_ar": s.name_ar,
                    "polygon": None if s.polygon is None else [list(p) for p in s.polygon],
                    "sirens": list(s.sirens),
                    "population": s.population,
                    "shelter_seconds": s.shelter_seconds,
                }
                for s in sites
            ]
            if rows:
                session.execute(insert(SiteRow), rows)
        return run_id

    def add_events(
        self,
        run_id: int,
        events: Iterable[Event],
        *,
        parsed: Mapping[Report, ParsedMessage] | None = None,
    ) -> int:
        """Store input events in their order; returns how many were stored.

        ``parsed`` gives what the text reader made of some reports (a report
        absent from it is stored without parsed fields).
        """
        reports: list[dict[str, Any]] = []
        acoustic: list[dict[str, Any]] = []
        impacts: list[dict[str, Any]] = []
        with self._session() as session, session.begin():
            seq = self._next_seq(session, run_id)
            for ev in events:
                if isinstance(ev, Report):
                    message = parsed.get(ev) if parsed else None
                    reports.append(
                        {
                            "run_id": run_id,
                            "seq": seq,
                            "t": _dt(ev.t),
                            "reporter": ev.reporter,
                            "channel": ev.channel,
                            "text": ev.text,
                            "aircraft": ev.aircraft,
                            "count": ev.count,
                            "lat": ev.lat,
                            "lon": ev.lon,
                            "place": ev.place,
                            "heading_deg": ev.heading_deg,
                            "heading": ev.heading,
                            "origin": ev.origin,
                            "parsed": None if message is None else _parsed_to_json(message),
                        }
                    )
                elif isinstance(ev, AcousticDetection):
                    acoustic.append(
                        {
                            "run_id": run_id,
                            "seq": seq,
                            "t": _dt(ev.t),
                            "sensor": ev.sensor,
                            "lat": ev.lat,
                            "lon": ev.lon,
                            "sound_class": ev.sound_class,
                            "confidence": ev.confidence,
                            "bearing_deg": ev.bearing_deg,
                            "bearing_sigma_deg": ev.bearing_sigma_deg,
                        }
                    )
                elif isinstance(ev, Impact):
                    impacts.append(
                        {
                            "run_id": run_id,
                            "seq": seq,
                            "t": _dt(ev.t),
                            "reporter": ev.reporter,
                            "lat": ev.lat,
                            "lon": ev.lon,
                            "place": ev.place,
                        }
                    )
                else:
                    raise TypeError(f"not an event: {type(ev).__name__}")
                seq += 1
            for model, rows in ((ReportRow, reports), (AcousticRow, acoustic), (ImpactRow, impacts)):
                if rows:
                    session.execute(insert(model), rows)
        return len(reports) + len(acoustic) + len(impacts)

    @staticmethod
    def _next_seq(session: Session, run_id: int) -> int:
        top = -1
        for model in (ReportRow, AcousticRow, ImpactRow):
            value = session.execute(select(func.max(model.seq)).where(model.run_id == run_id)).scalar()
            if value is not None:
                top = max(top, value)
        return top + 1

    def add_track_states(self, run_id: int, states: Iterable[TrackState]) -> int:
        """Store track states (lines of ``tracks.jsonl``); returns how many."""
        rows = [
            {
                "run_id": run_id,
                "t": _dt(s.t),
                "track": s.track,
                "lat": s.lat,
                "lon": s.lon,
                "speed_mps": s.speed_mps,
                "heading_deg": s.heading_deg,
                "aircraft": s.aircraft,
                "sigma_m": s.sigma_m,
                "confirmed": s.confirmed,
            }
            for s in states
        ]
        self._insert(TrackStateRow, rows)
        return len(rows)

    def add_alerts(self, run_id: int, alerts: Iterable[Alert]) -> int:
        """Store alerts (lines of ``alerts.jsonl``); returns how many."""
        rows = [
            {
                "run_id": run_id,
                "t": _dt(a.t),
                "action": a.action,
                "site": a.site,
                "level": a.level,
                "threat": a.threat,
                "eta": _opt_dt(a.eta),
                "confidence": a.confidence,
                "track": a.track,
            }
            for a in alerts
        ]
        self._insert(AlertRow, rows)
        return len(rows)

    def _insert(self, model: type[TrackStateRow] | type[AlertRow], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        with self._session() as session, session.begin():
            session.execute(insert(model), rows)

    def finish_run(self, run_id: int, stats: Mapping[str, Any], *, finished_at: float | None = None) -> None:
        """Mark a run finished and keep its stats (NaN and infinities are stored as null)."""
        finished = _dt(finished_at) if finished_at is not None else datetime.now(UTC)
        with self._session() as session, session.begin():
            result = session.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(finished_at=finished, stats=_jsonable(dict(stats)))
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise KeyError(f"no run {run_id}")

    # ---- reading ---------------------------------------------------------

    def list_runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        with self._session() as session:
            rows = session.execute(select(RunRow).order_by(RunRow.id)).scalars().all()
            return [_run_info(r) for r in rows]

    def run(self, run_id: int) -> RunInfo:
        """One run; ``KeyError`` if there is none with that id."""
        with self._session() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise KeyError(f"no run {run_id}")
            return _run_info(row)

    def sites(self, run_id: int) -> list[Site]:
        """The sites recorded with a run, in the order given to :meth:`start_run`."""
        m = SiteRow
        stmt = (
            select(
                m.site_id,
                m.name,
                m.kind,
                m.lat,
                m.lon,
                m.radius_m,
                m.name_ar,
                m.polygon,
                m.sirens,
                m.population,
                m.shelter_seconds,
            )
            .where(m.run_id == run_id)
            .order_by(m.id)
        )
        with self._session() as session:
            return [
                Site(
                    id=r[0],
                    name=r[1],
                    kind=r[2],
                    lat=r[3],
                    lon=r[4],
                    radius_m=r[5],
                    name_ar=r[6],
                    polygon=None if r[7] is None else tuple((p[0], p[1]) for p in r[7]),
                    sirens=tuple(r[8] or ()),
                    population=r[9],
                    shelter_seconds=r[10],
                )
                for r in session.execute(stmt)
            ]

    def reports(
        self, run_id: int, since: float | None = None, until: float | None = None
    ) -> list[tuple[Report, ParsedMessage | None]]:
        """Reports with ``since <= t <= until``, in input order, each with its parsed fields if any."""
        return [(rep, msg) for _, rep, msg in self._report_rows(run_id, since, until)]

    def _report_rows(
        self, run_id: int, since: float | None, until: float | None
    ) -> list[tuple[int, Report, ParsedMessage | None]]:
        m = ReportRow
        stmt = (
            select(
                m.seq,
                m.t,
                m.reporter,
                m.channel,
                m.text,
                m.aircraft,
                m.count,
                m.lat,
                m.lon,
                m.place,
                m.heading_deg,
                m.heading,
                m.origin,
                m.parsed,
            )
            .where(m.run_id == run_id, *_between(m.t, since, until))
            .order_by(m.seq)
        )
        with self._session() as session:
            return [
                (
                    r[0],
                    Report(
                        t=_ts(r[1]),
                        reporter=r[2],
                        channel=r[3],
                        text=r[4],
                        aircraft=r[5],
                        count=r[6],
                        lat=r[7],
                        lon=r[8],
                        place=r[9],
                        heading_deg=r[10],
                        heading=r[11],
                        origin=r[12],
                    ),
                    _parsed_from_json(r[13]),
                )
                for r in session.execute(stmt)
            ]

    def events(self, run_id: int, since: float | None = None, until: float | None = None) -> list[Event]:
        """Input events with ``since <= t <= until``, in the order they were added."""
        reports = [(seq, rep) for seq, rep, _ in self._report_rows(run_id, since, until)]
        a, i = AcousticRow, ImpactRow
        acoustic_stmt = (
            select(
                a.seq, a.t, a.sensor, a.lat, a.lon, a.sound_class, a.confidence, a.bearing_deg,
                a.bearing_sigma_deg,
            )
            .where(a.run_id == run_id, *_between(a.t, since, until))
            .order_by(a.seq)
        )  # fmt: skip
        impact_stmt = (
            select(i.seq, i.t, i.reporter, i.lat, i.lon, i.place)
            .where(i.run_id == run_id, *_between(i.t, since, until))
            .order_by(i.seq)
        )
        with self._session() as session:
            acoustic: list[tuple[int, Event]] = [
                (
                    r[0],
                    AcousticDetection(
                        t=_ts(r[1]),
                        sensor=r[2],
                        lat=r[3],
                        lon=r[4],
                        sound_class=r[5],
                        confidence=r[6],
                        bearing_deg=r[7],
                        bearing_sigma_deg=r[8],
                    ),
                )
                for r in session.execute(acoustic_stmt)
            ]
            impacts: list[tuple[int, Event]] = [
                (r[0], Impact(t=_ts(r[1]), reporter=r[2], lat=r[3], lon=r[4], place=r[5]))
                for r in session.execute(impact_stmt)
            ]
        streams: Sequence[Iterable[tuple[int, Event]]] = (reports, acoustic, impacts)
        merged: Iterator[tuple[int, Event]] = heapq.merge(*streams, key=lambda pair: pair[0])
        return [ev for _, ev in merged]

    def track_states(
        self, run_id: int, since: float | None = None, until: float | None = None
    ) -> list[TrackState]:
        """Track states with ``since <= t <= until``, by time then insertion order."""
        m = TrackStateRow
        stmt = (
            select(m.t, m.track, m.lat, m.lon, m.speed_mps, m.heading_deg, m.aircraft, m.sigma_m, m.confirmed)
            .where(m.run_id == run_id, *_between(m.t, since, until))
            .order_by(m.t, m.id)
        )
        with self._session() as session:
            return [
                TrackState(
                    t=_ts(r[0]),
                    track=r[1],
                    lat=r[2],
                    lon=r[3],
                    speed_mps=r[4],
                    heading_deg=r[5],
                    aircraft=cast(AircraftType, r[6]),
                    sigma_m=r[7],
                    confirmed=r[8],
                )
                for r in session.execute(stmt)
            ]

    def open_episodes(self, run_ids: Sequence[int]) -> list[OpenEpisode]:
        """Episodes left open by the runs ``run_ids``, one per site at most, by site.

        A site's episode is the one of its latest alert in those runs (the latest stored: runs of
        one service follow each other, and within a run alerts are stored in order); it is open
        unless that alert is an all-clear.
        """
        if not run_ids:
            return []
        m = AlertRow
        in_runs = m.run_id.in_(list(run_ids))
        with self._session() as session:
            latest = select(func.max(m.id)).where(in_runs).group_by(m.site)
            last_rows = session.execute(select(m).where(m.id.in_(latest))).scalars().all()
            open_last = {r.site: r for r in last_rows if r.action != "all_clear"}
            if not open_last:
                return []
            sites = list(open_last)
            cleared: dict[str, int] = {
                site: last_id
                for site, last_id in session.execute(
                    select(m.site, func.max(m.id))
                    .where(in_runs, m.site.in_(sites), m.action == "all_clear")
                    .group_by(m.site)
                )
            }
            # Only the alerts since each site's last all-clear: the open episode's own.
            since_cleared = or_(*(and_(m.site == site, m.id > cleared.get(site, 0)) for site in sites))
            rows = session.execute(
                select(m.site, m.t, m.level).where(in_runs, since_cleared).order_by(m.id)
            ).all()
        first: dict[str, float] = {}
        sirens: dict[str, bool] = {}
        count: dict[str, int] = {}
        for site, t, level in rows:
            first.setdefault(site, _ts(t))
            count[site] = count.get(site, 0) + 1
            sirens[site] = sirens.get(site, False) or level == "imminent"
        return [
            OpenEpisode(
                site=r.site,
                level=cast(AlertLevel, r.level),
                started=first.get(r.site, _ts(r.t)),
                last_sent=_ts(r.t),
                eta=_opt_ts(r.eta),
                threat=cast(AircraftType, r.threat),
                track=r.track,
                confidence=r.confidence,
                sirens=sirens.get(r.site, False) or r.level == "imminent",
                run_id=r.run_id,
                alerts=count.get(r.site, 1),
            )
            for r in sorted(open_last.values(), key=lambda r: r.site)
        ]

    def alerts(self, run_id: int, since: float | None = None, until: float | None = None) -> list[Alert]:
        """Alerts with ``since <= t <= until``, by time then insertion order."""
        m = AlertRow
        stmt = (
            select(m.t, m.action, m.site, m.level, m.threat, m.eta, m.confidence, m.track)
            .where(m.run_id == run_id, *_between(m.t, since, until))
            .order_by(m.t, m.id)
        )
        with self._session() as session:
            return [
                Alert(
                    t=_ts(r[0]),
                    action=cast(AlertAction, r[1]),
                    site=r[2],
                    level=cast(AlertLevel, r[3]),
                    threat=cast(AircraftType, r[4]),
                    eta=_opt_ts(r[5]),
                    confidence=r[6],
                    track=r[7],
                )
                for r in session.execute(stmt)
            ]
