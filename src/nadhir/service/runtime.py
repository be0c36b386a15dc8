"""The running service: what the routes share, and its workers started and stopped from one list.

With no role the service is one process, as ever: SQLite (or the configured database) and the
in-process bus. With roles (``nadhir serve --role intake|engine|delivery|console``, see
docs/scaling.md) it runs those parts of the cluster only, over NATS JetStream and PostgreSQL.

:class:`Service` is built by :func:`nadhir.service.app.create_app` and started by the app's lifespan.
:meth:`Service.workers` is the one ordered list of what runs beside the event loop (the store, the
alert delivery, the engine, its supervisor, the demo feeder, the Telegram intake, the live feeds);
:meth:`Service.start` starts them in that order and :meth:`Service.stop` stops the started ones in
the reverse order.
"""

from __future__ import annotations

import functools
import logging
import pathlib
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException
from sqlalchemy.engine import make_url

from nadhir.alerting.policy import PolicyConfig
from nadhir.alerting.siren_model import SirenModel
from nadhir.bus import InProcessBus, Subscription
from nadhir.bus.jetstream import JetStreamBus
from nadhir.delivery.outbox import Outbox
from nadhir.domain import Site
from nadhir.domain.formats.scenario import Scenario
from nadhir.engine.factory import build_pipeline
from nadhir.intake.field_reports import FieldReports, Mandates
from nadhir.intake.telegram import FileStore, TelegramIntake
from nadhir.service.attack_watch import AttackWatch
from nadhir.service.auth import RateLimiter, TokenBook
from nadhir.service.cap_intake import CapLedger
from nadhir.service.clock import Clock, ScaledClock, WallClock
from nadhir.service.cluster_names import ClusterNames
from nadhir.service.delivery import AlertDelivery
from nadhir.service.demo_feed import DemoFeeder, demo_clock
from nadhir.service.facility_status import FacilityStatusRoom, hand_to_policy
from nadhir.service.feed import ALERTS, FeedMessage
from nadhir.service.feed_mirror import FeedMirror, MirroredClock, MirrorEngine
from nadhir.service.intake import Intake
from nadhir.service.lease import Lease
from nadhir.service.live import LiveCore, LiveEngine
from nadhir.service.metrics import Metrics
from nadhir.service.outcomes import AlarmQueue, OutcomeDesk, open_desk
from nadhir.service.partitions import Partition, partitions
from nadhir.service.people import people_channels
from nadhir.service.region import Region
from nadhir.service.region_run import RegionRun
from nadhir.service.settings import SERVICE_ROLES, Settings
from nadhir.service.shelter_sites import add_shelter_reader, seed_demo_shelters
from nadhir.service.stream_actions import ActionDesk
from nadhir.service.stream_engine import RegionEngine
from nadhir.service.stream_intake import StreamSink
from nadhir.service.stream_readiness import ReadinessPublisher
from nadhir.service.stream_telegram import LEASE_KEY, KvRegistryStore, TelegramPoller
from nadhir.service.supervisor import Supervisor
from nadhir.service.wire import Wire
from nadhir.store import Store, default_url
from nadhir.store.audit import AuditBook

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """Replay the region's events through live intake, ``speed`` times faster than real time."""

    speed: float = 20.0


# Events accepted and not yet processed beyond which the engine is not caught up (not ready).
READY_QUEUE_MAX = 1_000


@dataclass(frozen=True, slots=True)
class Worker:
    """One thing that runs beside the event loop: how it starts, how it stops, and (if it can be
    unready once started) ``ready()``: None when it serves its part, or why it does not; ``state()``,
    if given, says what it does now (a Telegram poller: polling or standing by)."""

    name: str
    start: Callable[[], None]
    stop: Callable[[], None]
    ready: Callable[[], str | None] | None = None
    state: Callable[[], str] | None = None  # what it does now, shown beside its check (ready or not)


@dataclass(frozen=True, slots=True)
class Check:
    """One readiness check of a started worker: ``reason`` says why it is not ready (None: ready)."""

    name: str
    reason: str | None
    state: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


# An engine frozen inside a transaction (SIGSTOP, a VM paused) would hold the unique keys of the
# alerts it was storing, and its successor, storing the same alerts, would wait on them: PostgreSQL
# ends such a transaction after this long (its alerts are stored again by whoever leads).
ENGINE_IDLE_IN_TRANSACTION_MS = 5000


def engine_db_url(url: str) -> str:
    """The database URL an engine stores its alerts through (see ENGINE_IDLE_IN_TRANSACTION_MS)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or "options" in parsed.query:
        return url
    options = f"-c idle_in_transaction_session_timeout={ENGINE_IDLE_IN_TRANSACTION_MS}"
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


def _region_core(
    scenario: Scenario,
    policy: PolicyConfig | None,
    siren_model: SirenModel | None,
    part: Partition,
    bus: InProcessBus,
) -> LiveCore:
    """A fresh core for one region's engine: the scenario's frame, gazetteer and reporters, and the
    sites of its box (it warns its own only: :class:`RegionEngine` keeps the others' alerts back)."""
    pipeline = build_pipeline(scenario, policy, sites=part.context_sites(scenario), siren_model=siren_model)
    return LiveCore(pipeline, bus, scenario.reporters)


@dataclass
class Service:
    """Everything the routes share; built by ``create_app``, started by its lifespan."""

    settings: Settings
    region: Region
    bus: InProcessBus
    tokens: TokenBook
    limiter: RateLimiter
    demo: DemoOptions | None
    policy: PolicyConfig | None = None
    # The siren model that weighs the rules' calls for sirens (``nadhir serve --siren-model``);
    # None: the rules alone, the default (docs/benchmarks.md, "Siren model (issue 17)").
    siren_model: SirenModel | None = None
    clock_override: Clock | None = None
    engine: LiveEngine | None = None
    intake: Intake | None = None
    store: Store | None = None
    run_id: int | None = None
    feeder: DemoFeeder | None = None
    delivery: AlertDelivery | None = None
    telegram: TelegramIntake | None = None
    telegram_thread: threading.Thread | None = None
    telegram_stop: threading.Event = field(default_factory=threading.Event)
    telegram_poller: TelegramPoller | None = None  # an intake replica's (the cluster)
    feeds: set[Subscription[FeedMessage]] = field(default_factory=set)
    sites: dict[str, Site] = field(default_factory=dict)
    cap_ledger: CapLedger = field(default_factory=CapLedger)  # foreign CAP messages read in
    supervisor: Supervisor | None = None
    wire: Wire = field(default_factory=Wire)
    run_name: str = ""
    started: list[Worker] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    starting: bool = True  # until every worker has started
    # The cluster's roles this process runs (none: the one-process service) and, for an engine, the
    # regions it stands for (none: every one in the settings).
    roles: frozenset[str] = frozenset()
    engine_regions: tuple[str, ...] = ()
    nats: JetStreamBus | None = None
    stream_sink: StreamSink | None = None
    region_engines: list[RegionEngine] = field(default_factory=list)
    mirror: FeedMirror | None = None
    # The console role's way to the regions' engines for operator actions (None: the one-process
    # service, whose actions run on its own engine).
    action_desk: ActionDesk | None = None
    # Structured messages (facility status, outcomes, site figures) the SMS and Telegram channels
    # take before reading a text as a sighting.
    field_reports: FieldReports = field(default_factory=FieldReports)
    facility_status: FacilityStatusRoom | None = None  # health facilities' status (issue 18)
    outcomes: OutcomeDesk | None = None  # mothers' and newborns' outcomes (issue 19)
    # A cluster's console or intake without the delivery role: the shared outbox its outcome alarms
    # are queued in, for a delivery replica to send (see alarm_queue).
    cluster_alarms: AlarmQueue | None = None
    _rooms_store: bool = False  # the health rooms' worker opened the store (an intake process)

    def new_core(self, clock: Clock) -> LiveCore:
        """A fresh core for the region, with the alert episodes the store shows open restored.

        Open episodes are read from every run of this service's name (this one included, for a
        restart of the engine): a service stopped or killed with episodes open hands them on, so
        that they can be cancelled and end in all-clears (:meth:`AlertPolicy.restore`).
        """
        scenario = self.region.scenario
        pipeline = build_pipeline(scenario, self.policy, siren_model=self.siren_model)
        core = LiveCore(pipeline, self.bus, scenario.reporters, speed=clock.speed)
        if self.store is not None:
            runs = [r.id for r in self.store.list_runs() if r.name == self.run_name]
            episodes = self.store.open_episodes(runs)
            if episodes:
                if self.delivery is not None:  # sirens that sound hear the all-clear when it comes
                    for ep in episodes:
                        self.delivery.router.restore(ep.site, ep.level == "imminent")
                sites = core.restore_episodes(episodes, clock.now())
                log.warning("restored %d open alert episodes from the store: %s", len(sites), " ".join(sites))
        if self.facility_status is not None:
            self.facility_status.apply(core.policy)  # closed hospitals: phones only; busy ones: earlier
        return core

    def alarm_queue(self) -> AlarmQueue | None:
        """Where outcome alarms are queued: this process's delivery (which it wakes), or in a cluster's
        console or intake the shared outbox, sent by a delivery replica; None: nowhere (outbox off)."""
        if self.delivery is not None:
            return AlarmQueue(self.delivery.outbox, self.delivery.people, self.delivery.wake)
        return self.cluster_alarms

    def clock(self) -> Clock:
        """The service clock: the one given, the demo's scaled clock, or the wall clock."""
        if self.clock_override is not None:
            return self.clock_override
        if self.demo is not None:
            return demo_clock(self.region.scenario.events_path, self.demo.speed)
        return WallClock()

    def workers(self, clock: Clock) -> list[Worker]:
        """The workers this service runs, in the order they start (they stop in the reverse order).

        The store opens first and closes last. Delivery subscribes to the alerts before the engine
        starts, so no alert is missed. The feeds close first, so no client waits on a stopped engine.
        """
        if self.roles:
            return self.role_workers(clock)
        db_url = self.settings.db or default_url("nadhir.sqlite3")
        out = [Worker("store", lambda: self._open_store(db_url), self._close_store, self._store_ready)]
        # Attacks on health care drafted from the run's impacts; stops after the engine's last write.
        watch = AttackWatch(lambda: (self.store, self.run_id), self.region.scenario)
        out.append(Worker("attack watch", watch.start, watch.stop))
        if self.settings.outbox:
            out.append(Worker("delivery", lambda: self._start_delivery(db_url, clock), self._stop_delivery,
                              self._delivery_ready))  # fmt: skip
        out.append(Worker("outcomes", self._start_outcomes, lambda: None))
        out.append(Worker("engine", lambda: self._start_engine(clock), self._stop_engine, self._engine_ready))
        out.append(Worker("supervisor", lambda: self._start_supervisor(clock), self._stop_supervisor))
        out.append(
            Worker(
                "facility status",
                lambda: self._start_facility_status(clock),
                self._stop_facility_status,
                self._facility_status_ready,
            )
        )
        if self.demo is not None and isinstance(clock, ScaledClock):
            out.append(Worker("demo feeder", lambda: self._start_feeder(clock), self._stop_feeder))
        if self.settings.telegram_token:
            out.append(Worker("telegram", lambda: self._start_telegram(clock), self._stop_telegram))
        out.append(Worker("feeds", lambda: None, self._close_feeds))
        return out

    def role_workers(self, clock: Clock) -> list[Worker]:
        """The workers of the cluster's roles this process runs (see docs/scaling.md)."""
        unknown = self.roles - set(SERVICE_ROLES)
        if unknown:
            raise ValueError(
                f"unknown role(s): {', '.join(sorted(unknown))} (roles: {', '.join(SERVICE_ROLES)})"
            )
        out = []
        if self.roles & {"intake", "engine", "console"}:
            out.append(Worker("nats", self._connect_nats, self._close_nats, self._nats_ready))
        if "delivery" in self.roles:
            out.append(Worker("delivery", lambda: self._start_delivery(self._cluster_db(), clock),
                              self._stop_delivery, self._delivery_ready))  # fmt: skip
        if "engine" in self.roles:
            out.append(Worker("region engines", self._start_region_engines, self._stop_region_engines,
                              self._region_engines_ready))  # fmt: skip
        if "intake" in self.roles:
            out.append(Worker("intake", self._start_stream_intake, lambda: None))
        if "console" in self.roles:
            out.append(Worker("console feed", self._start_mirror, self._stop_mirror))
        if self.roles & {"intake", "console"} and self.settings.db:
            # The health rooms keep their records in the shared database: the console serves their
            # pages and API, intake reads their SMS; the facilities' readiness goes to the engines.
            out.append(Worker("health rooms", self._start_cluster_rooms, self._stop_cluster_rooms,
                              self._facility_status_ready))  # fmt: skip
        if "intake" in self.roles and self.settings.telegram_token:
            # After the health rooms: their readers take a status or outcomes message first.
            out.append(Worker("telegram", self._start_cluster_telegram, self._stop_cluster_telegram,
                              self._telegram_ready, self._telegram_state))  # fmt: skip
        out.append(Worker("feeds", lambda: None, self._close_feeds))
        return out

    @property
    def names(self) -> ClusterNames:
        """The cluster's names on NATS."""
        return ClusterNames(self.settings.nats_prefix)

    def partitions(self) -> list[Partition]:
        """The regions of the settings, as engine partitions."""
        return partitions(self.settings.regions, self.region.scenario.sites)

    def _cluster_db(self) -> str:
        if not self.settings.db:
            raise ValueError("the cluster's roles need a shared database: --db postgresql+psycopg://...")
        return self.settings.db

    def start(self) -> None:
        """Start every worker, in order."""
        self.metrics.watch_readiness(lambda: {c.name: c.ok for c in self.readiness()})
        for worker in self.workers(self.clock()):
            worker.start()
            self.started.append(worker)
        self.starting = False

    def stop(self) -> None:
        """Stop the started workers, the last started first."""
        self.starting = True
        while self.started:
            self.started.pop().stop()

    def readiness(self) -> list[Check]:
        """Whether this process serves its part: one check per started worker that has one (a process
        running one role lists only its own workers), and ``service`` while starting or stopping."""
        checks = [Check("service", "starting or stopping" if self.starting else None)]
        for worker in list(self.started):
            if worker.ready is None:
                continue
            try:
                reason = worker.ready()
                state = worker.state() if worker.state is not None else None
            except Exception as exc:  # a check that breaks says so; it never passes for ready
                reason, state = f"check failed: {type(exc).__name__}: {exc}", None
            checks.append(Check(worker.name, reason, state))
        return checks

    def intake_point(self) -> Intake:
        """The intake (of the one-process service or of the intake role); 503 while starting."""
        if self.intake is None:
            raise HTTPException(503, "the service is starting")
        return self.intake

    @property
    def mandates(self) -> Mandates:
        """What each of the region's reporters may send field reports for (status, outcomes, sites)."""
        return Mandates(self.region.scenario.reporters)

    def live(self) -> tuple[LiveEngine, Intake]:
        """The engine and the intake; 503 while the service is starting."""
        if self.engine is None or self.intake is None:
            raise HTTPException(503, "the service is starting")
        return self.engine, self.intake

    # -- the workers ------------------------------------------------------------------------------

    def _open_store(self, db_url: str) -> None:
        self.store = Store.open(db_url)
        add_shelter_reader(self.field_reports, self.store.engine, self.mandates)  # by SMS/Telegram
        if self.demo is not None:  # the demo shows the region's displacement sites, if it has some
            seed_demo_shelters(self.store.engine, self.region.scenario.root.name)

    def _store_ready(self) -> str | None:
        if self.store is None:
            return "not open"
        try:
            with self.store.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:
            return f"unreachable: {type(exc).__name__}: {exc}"[:300]
        return None

    def _close_store(self) -> None:
        if self.store is not None:
            self.store.close()

    def _start_outcomes(self) -> None:
        assert self.store is not None  # the store worker starts first
        self.outcomes = open_desk(self.store.engine, self.region.scenario.sites, self.field_reports,
                                  self.mandates, lambda: self.outcomes, demo=self.demo is not None,
                                  queue=self.alarm_queue())  # fmt: skip

    def _start_delivery(self, db_url: str, clock: Clock) -> None:
        # Each alert is stored with its deliveries before anything is sent.
        self.delivery = AlertDelivery(
            self.bus, ALERTS, self.region.scenario.sites, db_url, self.settings.sirens_broker,
            people=people_channels(self.settings),
            silent_after_s=self.settings.siren_silent_after_s,
            topic_root=self.settings.sirens_topic_root, service_clock=clock, metrics=self.metrics,
            alerts_open=self._alerts_open,
        )  # fmt: skip
        self.delivery.start()
        delivery = self.delivery
        self.metrics.watch_outbox(delivery.outbox.counts)
        self.metrics.watch_sirens(lambda: delivery.fleet.health(delivery.clock()))

    def _delivery_ready(self) -> str | None:
        if self.delivery is None:
            return "not started"
        return self.delivery.unready()

    def _alerts_open(self) -> dict[str, str]:
        """The sites under a real alert now, with its level (the live policy's open episodes)."""
        engine = self.engine
        if engine is None:
            return {}
        core = engine.core
        with core.lock:
            return dict(core.policy.active())

    def _stop_delivery(self) -> None:
        self.metrics.watch_outbox(None)
        self.metrics.watch_sirens(None)
        if self.delivery is not None:
            self.delivery.stop()

    def _start_engine(self, clock: Clock) -> None:
        assert self.store is not None  # the store worker starts first
        scenario = self.region.scenario
        name = f"{self.settings.run_name} demo" if self.demo is not None else self.settings.run_name
        self.run_name = name
        self.run_id = self.store.start_run(name, str(scenario.root), scenario.sites, started_at=clock.now())
        self.engine = LiveEngine(self.new_core(clock), clock, self.store, self.run_id)
        self.intake = Intake(self.engine, self.limiter, self.settings.max_future_s)
        # The engine thread computes while the event loop answers requests: hand the interpreter
        # over more often than the default 5 ms, so an answer never waits long behind a step.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.engine.start()
        self.metrics.watch_engine(queue=self._queue_depth, accepted=self._accepted, rejected=self._rejected)

    def _queue_depth(self) -> float:
        return 0.0 if self.engine is None else float(self.engine.queue_depth())

    def _accepted(self) -> float:
        return 0.0 if self.engine is None else float(self.engine.stats.accepted)

    def _rejected(self) -> dict[str, int]:
        """Events refused: at intake by HTTP status (``intake_422``), by the pipeline by reason."""
        out = {} if self.intake is None else {f"intake_{k}": n for k, n in self.intake.refused.items()}
        if self.engine is not None:
            out.update({f"pipeline_{k}": n for k, n in self.engine.core.summary.rejected.items()})
        return out

    def _engine_ready(self) -> str | None:
        engine = self.engine
        if engine is None:
            return "not started"
        status = engine.status()
        # Degraded (steps set aside lately) still serves: health and the console say what failed.
        if status["status"] not in ("ok", "degraded"):
            return f"engine {status['status']}" + (f": {status['reason']}" if status["reason"] else "")
        depth = engine.queue_depth()
        if depth > READY_QUEUE_MAX:
            return f"not caught up: {depth} events queued"
        return None

    def _stop_engine(self) -> None:
        self.metrics.watch_engine(queue=None, accepted=None, rejected=None)
        if self.engine is not None:
            self.engine.stop()
            try:
                self.engine.finish_run()
            except Exception:
                log.exception("could not close the run in the store")

    def _start_supervisor(self, clock: Clock) -> None:
        assert self.engine is not None
        self.supervisor = Supervisor(self.engine, lambda: self.new_core(clock))
        self.supervisor.start()

    def _stop_supervisor(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()

    def _start_facility_status(self, clock: Clock) -> None:
        assert self.store is not None and self.engine is not None
        engine = self.engine
        room = FacilityStatusRoom(self.store.engine, self.region.scenario.sites,
                                  self.mandates, clock.now,
                                  hand_to_policy(lambda: (engine.core.policy, engine.core.lock)))  # fmt: skip
        if self.demo is not None:
            room.load_demo_history()
        self.field_reports.add(room.reader)
        self.facility_status = room
        room.start()

    def _stop_facility_status(self) -> None:
        room = self.facility_status
        if room is not None:
            room.stop()
            if room.reader in self.field_reports.readers:
                self.field_reports.readers.remove(room.reader)
            self.facility_status = None

    def _start_feeder(self, clock: ScaledClock) -> None:
        assert self.intake is not None
        self.feeder = DemoFeeder(self.region.scenario.events_path, self.intake, clock)
        self.feeder.start()

    def _stop_feeder(self) -> None:
        if self.feeder is not None:
            self.feeder.stop()

    def _start_telegram(self, clock: Clock) -> None:
        token = self.settings.telegram_token
        assert self.engine is not None and token  # the worker is listed only with a token
        registry = self.settings.telegram_registry or pathlib.Path("nadhir-telegram.json")
        self.telegram = TelegramIntake(self.settings.telegram_api, token,
                                       self.settings.telegram_codes, registry, self.engine.submit,
                                       clock.now, field_reports=self.field_reports)  # fmt: skip
        self.telegram_thread = threading.Thread(
            target=self.telegram.run, args=(self.telegram_stop,), name="nadhir-telegram", daemon=True
        )
        self.telegram_thread.start()

    def _stop_telegram(self) -> None:
        self.telegram_stop.set()
        if self.telegram_thread is not None:
            self.telegram_thread.join(30)
        if self.telegram is not None:
            self.telegram.close()

    def _start_cluster_telegram(self) -> None:
        """The bot's poller of an intake replica: it polls while it holds the lease (see stream_telegram)."""
        token = self.settings.telegram_token
        assert self.nats is not None and self.stream_sink is not None and token
        store = KvRegistryStore(self.nats.kv(self.names.telegram))
        seed = self.settings.telegram_registry
        if store.read() is None and seed is not None and seed.exists():
            # A service moved from one process to the cluster keeps its observers (first replica wins).
            store.write(FileStore(seed).read() or b"{}")
        bot = TelegramIntake(self.settings.telegram_api, token, self.settings.telegram_codes, store,
                             self.stream_sink.submit, WallClock().now,
                             field_reports=self.field_reports)  # fmt: skip
        holder = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        lease = Lease(self.nats.kv(self.names.leases, ttl_s=self.settings.lease_s), LEASE_KEY, holder,
                      self.settings.lease_s)  # fmt: skip
        self.telegram_poller = TelegramPoller(bot, lease)
        self.telegram_poller.start()

    def _stop_cluster_telegram(self) -> None:
        if self.telegram_poller is not None:
            self.telegram_poller.stop()

    def _telegram_ready(self) -> str | None:
        poller = self.telegram_poller
        return "not started" if poller is None else poller.unready()

    def _telegram_state(self) -> str:
        poller = self.telegram_poller
        return "not started" if poller is None else poller.state()

    def _connect_nats(self) -> None:
        # Every call hands work to the NATS client's thread and waits for it: hand over the
        # interpreter sooner than the default 5 ms, as the one-process engine does.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.nats = JetStreamBus.connect(self.settings.nats, name=f"nadhir-{'-'.join(sorted(self.roles))}")
        self.names.ensure_streams(self.nats)

    def _close_nats(self) -> None:
        if self.nats is not None:
            self.nats.close()

    def _start_stream_intake(self) -> None:
        assert self.nats is not None
        self.stream_sink = StreamSink(self.nats, self.names, self.partitions())
        self.intake = Intake(self.stream_sink, self.limiter, self.settings.max_future_s)

    def _start_mirror(self) -> None:
        """The console's state and feed, mirrored from the engines' feed subjects."""
        assert self.nats is not None
        scenario = self.region.scenario
        pipeline = build_pipeline(scenario, self.policy, siren_model=self.siren_model)
        core = LiveCore(pipeline, self.bus, scenario.reporters)
        clock = MirroredClock()
        self.mirror = FeedMirror(self.nats, self.names, core, self.bus, clock)
        self.mirror.start()
        self.action_desk = ActionDesk(self.nats, self.names)
        if self.settings.db and self.store is None:  # the runs and the audit trail
            self.store = Store.open(self.settings.db)
        if self.engine is None:
            regions = tuple(p.id for p in self.partitions())
            self.engine = MirrorEngine(core, clock, self.mirror, self.store, regions)
            self.mirror.watch(self.engine.status)
        if self.intake is None:
            self.intake = Intake(self.engine, self.limiter, self.settings.max_future_s)

    def _stop_mirror(self) -> None:
        if self.mirror is not None:
            self.mirror.stop()
        if self.store is not None and "engine" not in self.roles:
            self.store.close()

    def _start_cluster_rooms(self) -> None:
        """Facility status, outcomes and displacement sites in a console or intake process."""
        assert self.nats is not None
        if self.store is None:  # an intake process: the console's feed worker opened it otherwise
            self.store = Store.open(self._cluster_db())
            self._rooms_store = True
        scenario = self.region.scenario
        if self.delivery is None:  # alarms go to the shared outbox; a delivery replica sends them
            people = people_channels(self.settings)
            self.cluster_alarms = AlarmQueue(Outbox(self.store.engine), people if people.configured else None)
        add_shelter_reader(self.field_reports, self.store.engine, self.mandates)
        self.outcomes = open_desk(self.store.engine, scenario.sites, self.field_reports, self.mandates,
                                  lambda: self.outcomes, queue=self.alarm_queue())  # fmt: skip
        hand = ReadinessPublisher(self.nats, self.names, self.partitions())
        room = FacilityStatusRoom(self.store.engine, scenario.sites, self.mandates, WallClock().now, hand)
        self.field_reports.add(room.reader)
        self.facility_status = room
        room.start()  # NATS away now: the minute's push tries again, and readiness says so

    def _stop_cluster_rooms(self) -> None:
        self._stop_facility_status()
        if self.cluster_alarms is not None:
            if self.cluster_alarms.people is not None:
                self.cluster_alarms.people.close()
            self.cluster_alarms = None
        if self._rooms_store and self.store is not None:
            self.store.close()

    def _facility_status_ready(self) -> str | None:
        room = self.facility_status
        return None if room is None else room.failure

    def _start_region_engines(self) -> None:
        """One :class:`RegionEngine` per region this process stands for: standby until it leads."""
        assert self.nats is not None
        scenario = self.region.scenario
        parts = self.partitions()
        wanted = set(self.engine_regions) or {p.id for p in parts}
        unknown = wanted - {p.id for p in parts}
        if unknown:
            raise ValueError(f"no such region(s) in the settings: {', '.join(sorted(unknown))}")
        holder = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        # The engines write the audit rows of the operator actions they carry out, and their runs.
        self.store = Store.open(engine_db_url(self._cluster_db()))
        audit = AuditBook(self.store.engine)
        runs = self.nats.kv(self.names.runs)
        for part in parts:
            if part.id not in wanted:
                continue
            make_core = functools.partial(_region_core, scenario, self.policy, self.siren_model, part)
            # Alerts are planned and stored here (the router's state is the engine's, snapshotted with
            # it); sending them is the delivery role's. No dispatcher is started.
            delivery = AlertDelivery(
                InProcessBus(), ALERTS, part.own_sites(scenario), engine_db_url(self._cluster_db()),
                people=people_channels(self.settings), topic_root=self.settings.sirens_topic_root,
            )  # fmt: skip
            engine = RegionEngine(
                self.nats, self.names, part, make_core, delivery, holder,
                lease_s=self.settings.lease_s, snapshot_s=self.settings.snapshot_s,
                idle_clock_s=self.settings.idle_clock_s, audit=audit,
                run=RegionRun(self.store, runs, part.id, f"{self.settings.run_name} {part.id}",
                              str(scenario.root), part.own_sites(scenario)),
            )  # fmt: skip
            self.region_engines.append(engine)
            engine.start()
        self.metrics.watch_consumer_lag(self._region_lag, stream=self.names.events_stream)

    def _nats_ready(self) -> str | None:
        if self.nats is None or not self.nats.connected:
            return "not connected to NATS"
        return None

    def _region_engines_ready(self) -> str | None:
        reasons = [r for r in (e.unready() for e in self.region_engines) if r is not None]
        return "; ".join(reasons) or None

    def _region_lag(self) -> dict[str, float]:
        """Each region this process leads: messages of its subject not yet read (consumer lag)."""
        return {e.region: float(e.lag) for e in self.region_engines if e.active}

    def _stop_region_engines(self) -> None:
        self.metrics.watch_consumer_lag(None)
        for engine in self.region_engines:
            engine.stop()
            engine.delivery.stop()
        if self.store is not None:
            self.store.close()

    def _close_feeds(self) -> None:
        for sub in list(self.feeds):
            sub.close()
