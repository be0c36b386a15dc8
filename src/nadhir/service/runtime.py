"""The running service: what the routes share, and its workers started and stopped from one list.

:class:`Service` is built by :func:`nadhir.service.app.create_app` and started by the app's lifespan.
:meth:`Service.workers` is the one ordered list of what runs beside the event loop (the store, the
alert delivery, the engine, its supervisor, the demo feeder, the Telegram intake, the live feeds);
:meth:`Service.start` starts them in that order and :meth:`Service.stop` stops the started ones in
the reverse order.
"""

from __future__ import annotations

import logging
import pathlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException

from nadhir.alerting.policy import PolicyConfig
from nadhir.bus import InProcessBus, Subscription
from nadhir.domain import Site
from nadhir.engine.factory import build_pipeline
from nadhir.intake.telegram import TelegramIntake
from nadhir.service.auth import RateLimiter, TokenBook
from nadhir.service.cap_intake import CapLedger
from nadhir.service.clock import Clock, ScaledClock, WallClock
from nadhir.service.delivery import AlertDelivery
from nadhir.service.demo_feed import DemoFeeder, demo_clock
from nadhir.service.feed import ALERTS, FeedMessage
from nadhir.service.intake import Intake
from nadhir.service.live import LiveCore, LiveEngine
from nadhir.service.people import people_channels
from nadhir.service.region import Region
from nadhir.service.settings import Settings
from nadhir.service.supervisor import Supervisor
from nadhir.service.wire import Wire
from nadhir.store import Store, default_url

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """Replay the region's events through live intake, ``speed`` times faster than real time."""

    speed: float = 20.0


@dataclass(frozen=True, slots=True)
class Worker:
    """One thing that runs beside the event loop: how it starts, and how it stops."""

    name: str
    start: Callable[[], None]
    stop: Callable[[], None]


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
    feeds: set[Subscription[FeedMessage]] = field(default_factory=set)
    sites: dict[str, Site] = field(default_factory=dict)
    cap_ledger: CapLedger = field(default_factory=CapLedger)  # foreign CAP messages read in
    supervisor: Supervisor | None = None
    wire: Wire = field(default_factory=Wire)
    run_name: str = ""
    started: list[Worker] = field(default_factory=list)

    def new_core(self, clock: Clock) -> LiveCore:
        """A fresh core for the region, with the alert episodes the store shows open restored.

        Open episodes are read from every run of this service's name (this one included, for a
        restart of the engine): a service stopped or killed with episodes open hands them on, so
        that they can be cancelled and end in all-clears (:meth:`AlertPolicy.restore`).
        """
        scenario = self.region.scenario
        pipeline = build_pipeline(scenario, self.policy)
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
        return core

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
        db_url = self.settings.db or default_url("nadhir.sqlite3")
        out = [Worker("store", lambda: self._open_store(db_url), self._close_store)]
        if self.settings.outbox:
            out.append(Worker("delivery", lambda: self._start_delivery(db_url, clock), self._stop_delivery))
        out.append(Worker("engine", lambda: self._start_engine(clock), self._stop_engine))
        out.append(Worker("supervisor", lambda: self._start_supervisor(clock), self._stop_supervisor))
        if self.demo is not None and isinstance(clock, ScaledClock):
            out.append(Worker("demo feeder", lambda: self._start_feeder(clock), self._stop_feeder))
        if self.settings.telegram_token:
            out.append(Worker("telegram", lambda: self._start_telegram(clock), self._stop_telegram))
        out.append(Worker("feeds", lambda: None, self._close_feeds))
        return out

    def start(self) -> None:
        """Start every worker, in order."""
        for worker in self.workers(self.clock()):
            worker.start()
            self.started.append(worker)

    def stop(self) -> None:
        """Stop the started workers, the last started first."""
        while self.started:
            self.started.pop().stop()

    def live(self) -> tuple[LiveEngine, Intake]:
        """The engine and the intake; 503 while the service is starting."""
        if self.engine is None or self.intake is None:
            raise HTTPException(503, "the service is starting")
        return self.engine, self.intake

    # -- the workers ------------------------------------------------------------------------------

    def _open_store(self, db_url: str) -> None:
        self.store = Store.open(db_url)

    def _close_store(self) -> None:
        if self.store is not None:
            self.store.close()

    def _start_delivery(self, db_url: str, clock: Clock) -> None:
        # Each alert is stored with its deliveries before anything is sent.
        self.delivery = AlertDelivery(
            self.bus, ALERTS, self.region.scenario.sites, db_url, self.settings.sirens_broker,
            people=people_channels(self.settings),
            silent_after_s=self.settings.siren_silent_after_s,
            topic_root=self.settings.sirens_topic_root, service_clock=clock, alerts_open=self._alerts_open,
        )  # fmt: skip
        self.delivery.start()

    def _alerts_open(self) -> dict[str, str]:
        """The sites under a real alert now, with its level (the live policy's open episodes)."""
        engine = self.engine
        if engine is None:
            return {}
        core = engine.core
        with core.lock:
            return dict(core.policy.active())

    def _stop_delivery(self) -> None:
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

    def _stop_engine(self) -> None:
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
                                       clock.now)  # fmt: skip
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

    def _close_feeds(self) -> None:
        for sub in list(self.feeds):
            sub.close()
