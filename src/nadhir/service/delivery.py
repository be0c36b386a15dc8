"""Alert delivery for the live service: every alert goes to the durable outbox, then to its channels.

The pipeline publishes its alerts on the bus; this component takes each one,
plans its deliveries (:class:`~nadhir.delivery.router.AlertRouter`: CAP
message, siren commands for ``imminent``, the people channels for every
level, targeted through the subscriptions' spatial index) and stores alert and
deliveries in the outbox before anything is sent: the siren commands first
(one small transaction, so that they leave at once), then the fan-out to
people and partners. A dispatcher then sends every delivery on the channels
this service has (sirens over MQTT with a broker; Telegram, SMS and webhooks
when configured), retried until acknowledged or expired, each step audited.
Deliveries on a channel it lacks wait for the process that has it (``nadhir
send-sirens --db URL --broker HOST:PORT`` for sirens).

Nothing is lost between the policy and the outbox. Planning is total: an
arrival time out of range is written at the edge of what a message can carry
(:func:`~nadhir.delivery.states.deliverable`), and a CAP message or a people
fan-out that cannot be made is logged and counted while the siren commands
still go. A plan that cannot be stored (the database is down) is kept, in
order, and stored again every ``retry_s`` until it commits; every failure is
logged at error level and counted (:meth:`AlertDelivery.health`, shown by
``/api/v1/health``). A retry stores the plan made the first time, with the
same keys, so that a first attempt that failed never looks like a sent one.

Deliveries keep wall time, the clock of sirens, phones and partners: their
validity is counted from the wall time at which the alert was made (in the
demo, whose alerts carry the scenario's scaled time, it is worked out from
the service clock), and checked against the wall clock.

Subscriptions are read from the store and re-read when they change (``nadhir
subscriptions`` or the API, while the service runs). The direction an
aircraft comes from is taken from the latest state of the alert's track.
A siren that falls silent raises a notice for operators (MQTT notice topic
and the console's feed) and its commands in force are stored as takeover
deliveries for the nearest other siren. When a scheduled test alarm's hour
comes, the kiosks of its sites are told too (``test_alarm`` on the feed).

A siren test never sounds where a real alert is open (the live policy's open
episodes, ``alerts_open``): from just before its hour until its commands
expire, the test commands of sirens at sites under alert are cancelled in the
outbox, the siren dispatcher screens each test command again as it sends it,
and the kiosks of those sites are not told of the test. Each test held back is
logged at warning level with the sites and their alert, counted in
:meth:`AlertDelivery.health` (``tests_held``, shown by ``/api/v1/health``) and
kept in the delivery's audit trail (``cancelled``, with the reason). The
siren itself never lets a test cut a real pattern either (``docs/sirens.md``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from nadhir.alerting.cap import CapComposer, CapConfig
from nadhir.bus.inprocess import InProcessBus, SubscriptionClosed, Topic
from nadhir.delivery.alarm_tests import TestsUnderAlert
from nadhir.delivery.channels.mqtt_sirens import SirenChannel, SirenNetwork
from nadhir.delivery.dispatcher import Channel, Dispatcher
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.router import AlertRouter, takeover_deliveries
from nadhir.delivery.siren_fleet import SirenFleet, SirenNotice, sirens_for_sites
from nadhir.delivery.states import Delivery, NewDelivery, Outcome, deliverable
from nadhir.domain import Alert, Site
from nadhir.service.clock import Clock
from nadhir.service.feed import FEED, FeedMessage
from nadhir.service.metrics import Metrics
from nadhir.service.people import PeopleChannels
from nadhir.store.people import SubscriptionBook, TestAlarmBook
from nadhir_siren.protocol import DEFAULT_ROOT, parse_broker

log = logging.getLogger(__name__)

MAX_TIMED = 100_000  # deliveries whose latency is waited for at most (oldest forgotten first)
# A test's commands are held back from this long before its hour (the siren worker may send them then)
# until they expire (a siren that was away may still get one late).
TEST_HOLD_LEAD_S = 2.0
TEST_VALID_S = 300.0  # as planned by nadhir.delivery.alarm_tests.plan_test_alarm


@dataclass(frozen=True, slots=True)
class PlannedAlert:
    """An alert with the deliveries planned for it, until both are stored (sirens first)."""

    alert: Alert
    sirens: list[NewDelivery]
    others: list[NewDelivery]
    cap: str | None
    sirens_stored: bool = False


class AlertDelivery:
    """Bus subscriber that stores every alert with its deliveries and sends them on its channels."""

    def __init__(
        self,
        bus: InProcessBus,
        topic: Topic[Alert],
        sites: list[Site],
        outbox_url: str,
        broker: str | None = None,
        *,
        people: PeopleChannels | None = None,
        silent_after_s: float = 15.0,
        topic_root: str = DEFAULT_ROOT,
        refresh_s: float = 2.0,
        clock: Callable[[], float] = time.time,
        service_clock: Clock | None = None,
        retry_s: float = 1.0,
        metrics: Metrics | None = None,
        alerts_open: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        """``alerts_open()``: the sites under a real alert now, with its level (no siren test sounds
        there); without it, none is known to be."""
        self.bus = bus
        self.outbox = Outbox.open(outbox_url)
        self.sites = {s.id: s for s in sites}
        self.people = people if people is not None and people.configured else None
        self.fleet = SirenFleet(sirens_for_sites(sites), silent_after_s=silent_after_s)
        cap = CapComposer(sites, CapConfig(tz=people.text.tz) if people is not None else None)
        self.router = AlertRouter(sites, fleet=self.fleet, cap=cap)
        self.subscriptions = SubscriptionBook(self.outbox.engine) if self.people is not None else None
        self._revision: tuple[int, int] | None = None
        self.refresh_s = refresh_s
        self.clock = clock  # wall time: test alarms are kept in it, as sirens are
        # The clock alerts are stamped with (the engine's; scaled in the demo); None: the wall clock.
        self.service_clock = service_clock
        self.retry_s = retry_s
        self.metrics = metrics
        # Wall time of the alert of each delivery planned here, until its outcome: the latency metric.
        self._born: dict[str, float] = {}
        self._born_lock = threading.Lock()
        self._alarms_checked = clock()
        self._alarms_sounded: set[str] = set()
        self.tests_under_alert = TestsUnderAlert(sites, alerts_open or dict)
        self._tests_held: set[str] = set()  # keys of siren test commands held back
        self._held_lock = threading.Lock()
        self._subscription = bus.subscribe(topic, maxsize=100_000)
        self._network: SirenNetwork | None = None
        # Two dispatchers on the one outbox, each claiming only its own channels: siren commands
        # never wait behind a fan-out of thousands of HTTP requests to Telegram or an SMS gateway.
        self._dispatchers: list[Dispatcher] = []
        if broker is not None:
            host, port = parse_broker(broker)
            # Takeovers go through the outbox (stored, retried, audited), not straight to the broker.
            self._network = SirenNetwork(
                host, port, self.fleet, root=topic_root, send_takeovers=False, on_notice=self._on_notice
            )
            sirens = Dispatcher(self.outbox, {"siren": SirenChannel(self._network)}, on_settled=self._settled,
                                screen=self._screen_test)  # fmt: skip
            self._dispatchers.append(sirens)
        if self.people is not None:
            people_channels: dict[str, Channel] = dict(self.people.channels)
            self._dispatchers.append(Dispatcher(self.outbox, people_channels, on_settled=self._settled))
        self.stored = 0
        # Planned and not yet stored (oldest first): retried until stored, never dropped.
        self._unstored: deque[PlannedAlert] = deque()
        self._unstored_lock = threading.Lock()
        self._next_retry = 0.0
        self.store_failures = 0  # attempts to store a plan that failed (each logged at error level)
        self.plan_failures = 0  # alerts for which nothing could be planned (each logged at error level)
        self._dropped_seen = 0
        self.notices: list[SirenNotice] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def dispatchers(self) -> list[Dispatcher]:
        """The senders: one for siren commands (with a broker), one for people and partners."""
        return list(self._dispatchers)

    def start(self) -> None:
        """Load the subscriptions, start storing alerts and sending them."""
        self.refresh_subscriptions()
        self._threads.append(threading.Thread(target=self._store_loop, name="nadhir-outbox", daemon=True))
        self._threads.append(
            threading.Thread(target=self._housekeeping_loop, name="nadhir-delivery-watch", daemon=True)
        )
        if self._network is not None:
            self._network.start()
        for i, dispatcher in enumerate(self._dispatchers):
            self._threads.append(
                threading.Thread(
                    target=dispatcher.run, args=(self._stop,), name=f"nadhir-dispatch-{i}", daemon=True
                )
            )
        for thread in self._threads:
            thread.start()

    def unready(self) -> str | None:
        """Why this delivery worker does not serve (a thread stopped, alerts not stored, a sender that
        cannot reach the outbox, the siren broker lost), or None."""
        dead = [t.name for t in self._threads if not t.is_alive()]
        if dead and not self._stop.is_set():
            return f"stopped: {', '.join(dead)}"
        if self.unstored:
            return f"{self.unstored} alert(s) not stored in the outbox"
        failing = [d.failing for d in self._dispatchers if d.failing]
        if failing:
            return f"a sender cannot reach the outbox: {failing[0]}"
        if self._network is not None and not self._network.connected.is_set():
            return "siren broker not connected"
        return None

    def stop(self, timeout: float = 10.0) -> None:
        """Store what is pending, stop sending, close the outbox and the channels."""
        self._subscription.close()
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        if self._network is not None:
            self._network.stop()
        # Acknowledgements that came in after the senders' last turn (a siren that played as the
        # service stopped) are settled now, not lost with the process: an acked command stays acked.
        for dispatcher in self._dispatchers:
            try:
                dispatcher.drain_acks()
            except Exception:
                log.exception("settling the last acknowledgements failed")
        if self.people is not None:
            self.people.close()
        self.outbox.close()

    # ---- subscriptions ----------------------------------------------------------------

    def refresh_subscriptions(self) -> bool:
        """Rebuild the people router if the stored subscriptions changed; True if it did."""
        if self.people is None:
            return False
        if self.subscriptions is None:
            self.router.recipients = self.people.router([])
            return True
        revision = self.subscriptions.revision()
        if revision == self._revision:
            return False
        subs = self.subscriptions.all()
        # Built aside and swapped in one assignment: an alert being routed keeps the index it started with.
        self.router.recipients = self.people.router(subs)
        self._revision = revision
        log.info("alert targeting: %d subscriptions", len(subs))
        return True

    def _housekeeping_loop(self) -> None:
        while not self._stop.wait(min(self.refresh_s, 1.0)):
            try:
                self.check_test_alarms()
                self.refresh_subscriptions()
            except Exception:  # the store may be briefly unavailable; the old index keeps serving
                log.exception("could not re-read the subscriptions or the test alarms")

    def check_test_alarms(self) -> int:
        """Hold back the siren tests of sites under a real alert, and tell the kiosks of the other sites
        of each scheduled test alarm whose hour has come (the sirens get theirs from the outbox);
        returns how many alarms sounded."""
        now = self.clock()
        book = TestAlarmBook(self.outbox.engine)
        since = min(self._alarms_checked - 1.0, now - TEST_VALID_S)
        alarms = [a for a in book.scheduled(upcoming_after=since) if a.cancelled_at is None]
        for alarm in alarms:
            if alarm.at - TEST_HOLD_LEAD_S <= now <= alarm.at + TEST_VALID_S:
                self.hold_tests_under_alert(alarm.key, alarm.sites)
        due = [a for a in alarms if a.at >= self._alarms_checked - 1.0 and a.at <= now
               and a.key not in self._alarms_sounded]  # fmt: skip
        self._alarms_checked = now
        for alarm in due:
            self._alarms_sounded.add(alarm.key)
            under = self.tests_under_alert.sites_under_alert(alarm.sites)
            for site in alarm.sites:
                if site in under:  # its kiosks keep the warning; they are not told of a test
                    log.warning("test alarm %s not sounded at %s: a real %s alert is open", alarm.key, site,
                                under[site])  # fmt: skip
                    continue
                data = {"t": alarm.at, "site": site, "by": alarm.created_by or "scheduled", "key": alarm.key,
                        "duration_s": alarm.duration_s, "scheduled": True}  # fmt: skip
                self.bus.publish(FEED, FeedMessage("test_alarm", data, site))
        return len(due)

    def hold_tests_under_alert(self, key: str, sites: tuple[str, ...]) -> int:
        """Cancel the open test commands of a test alarm's sirens at sites under a real alert (for a
        siren worker that does not know the alerts); returns how many."""
        sirens = {s for site in sites if site in self.sites for s in self.sites[site].sirens}
        held = []
        for d in self.outbox.deliveries(prefix=key + "-", channel="siren"):
            if d.state not in ("pending", "sent") or d.target not in sirens:
                continue
            reason = self.tests_under_alert.siren_reason(d.target)
            if reason is not None:
                held.append(Outcome(d.key, "cancelled", reason))
        if held and self.outbox.settle(held):
            for outcome in held:
                self._held(outcome.key, outcome.detail or "")
        return len(held)

    def _screen_test(self, delivery: Delivery) -> str | None:
        """The siren dispatcher's last look at a command before it goes: a test where a real alert is
        open is cancelled, not sent."""
        reason = self.tests_under_alert.reason(delivery)
        if reason is not None:
            self._held(delivery.key, reason)
        return reason

    def _held(self, key: str, reason: str) -> None:
        with self._held_lock:
            if key in self._tests_held:
                return
            self._tests_held.add(key)
        log.warning("siren test %s held back: %s", key, reason)

    def alerts_open(self) -> dict[str, str]:
        """The sites under a real alert now, with its level (as this delivery was told)."""
        return dict(self.tests_under_alert.alerts_open())

    @property
    def tests_held(self) -> int:
        """Siren test commands not sounded because a real alert was open at their site."""
        with self._held_lock:
            return len(self._tests_held)

    # ---- alerts -------------------------------------------------------------------------

    def store(self, alert: Alert) -> None:
        """Plan one alert's deliveries and store them durably (sirens first), then wake the sender.

        Raises if the plan could not be stored now; it is kept, and stored by :meth:`retry_unstored`
        (the store loop calls it) before any alert that came after it.
        """
        planned = self.plan(alert)
        with self._unstored_lock:
            self._unstored.append(planned)
        if self.retry_unstored(force=True) != 0:
            raise RuntimeError(f"the {alert.level} {alert.action} for {alert.site} is not stored yet")

    def store_batch(self, alerts: list[Alert]) -> None:
        """Plan alerts in order and store them, with their deliveries, in one transaction (a cluster
        engine's read of its stream). Raises if they could not be stored now: they are kept, and
        stored by :meth:`retry_unstored` (in order, after any kept before them)."""
        if not alerts:
            return
        planned = []
        for alert in alerts:
            try:
                planned.append(self.plan(alert))
            except Exception:  # as _store_logged: loud, counted, and the rest goes on
                self.plan_failures += 1
                log.exception("could not plan the deliveries of the %s %s for %s", alert.level,
                              alert.action, alert.site)  # fmt: skip
        with self._unstored_lock:
            if not self._unstored:
                try:
                    self.outbox.store_alerts([(p.alert, [*p.sirens, *p.others], p.cap) for p in planned])
                except Exception:
                    self.store_failures += 1
                    self._next_retry = time.monotonic() + self.retry_s
                    log.exception("could not store %d alert(s) in the outbox; kept, retried in %.0f s",
                                  len(planned), self.retry_s)  # fmt: skip
                else:
                    self.stored += len(planned)
                    self.wake()
                    return
            self._unstored.extend(planned)
        if self.retry_unstored(force=True) != 0:
            raise RuntimeError(f"{self.unstored} alert(s) are not stored yet")

    def plan(self, alert: Alert) -> PlannedAlert:
        """The deliveries of one alert, planned once (a retry stores this same plan)."""
        alert = deliverable(alert)
        # The direction the texts and CAP give is the alert's own approach (decided with the alert).
        wall = self.wall_time_of(alert.t)
        plan = self.router.plan(alert, at=wall)
        cap = None if plan.cap is None else plan.cap.decode()
        if self.metrics is not None:
            with self._born_lock:
                for d in plan.deliveries:
                    self._born[d.key] = wall
                while len(self._born) > MAX_TIMED:  # outcomes that never come (another process sent)
                    del self._born[next(iter(self._born))]
        return PlannedAlert(alert, plan.sirens, plan.others, cap)

    def _settled(self, outcomes: Sequence[Outcome]) -> None:
        """Deliveries acknowledged: how long after their alert's time (``delivered`` latency)."""
        if self.metrics is None:
            return
        now = self.clock()
        with self._born_lock:
            born = [self._born.pop(o.key, None) for o in outcomes if o.kind in ("acked", "duplicate")]
        for t in born:
            if t is not None:
                self.metrics.observe_latency("delivered", now - t)

    def wall_time_of(self, t: float) -> float:
        """The wall time of ``t`` on the service clock: when the deliveries' validity starts.

        Live, the service clock is the wall clock and this is ``t``; in the demo it is the wall
        time at which the scaled clock showed ``t`` (never later than now).
        """
        if self.service_clock is None:
            return t
        lag = (self.service_clock.now() - t) / self.service_clock.speed
        return self.clock() - max(0.0, lag)

    def retry_unstored(self, *, force: bool = False) -> int:
        """Store the plans kept after a failure, oldest first; returns how many are still unstored."""
        with self._unstored_lock:
            if not self._unstored or (not force and time.monotonic() < self._next_retry):
                return len(self._unstored)
            while self._unstored:
                p = self._unstored[0]
                try:
                    if not p.sirens_stored:
                        self.outbox.store_alert(p.alert, p.sirens, cap=p.cap)
                        self._unstored[0] = p = PlannedAlert(p.alert, [], p.others, p.cap, True)
                        self.wake()
                        if self.metrics is not None:
                            since = self.clock() - self.wall_time_of(p.alert.t)
                            self.metrics.observe_latency("stored", since)
                    if p.others:
                        self.outbox.store_alert(p.alert, p.others, cap=p.cap)
                        self.wake()
                except Exception:
                    self.store_failures += 1
                    self._next_retry = time.monotonic() + self.retry_s
                    log.exception(
                        "could not store the %s %s for %s in the outbox; kept, retried in %.0f s "
                        "(%d alert(s) waiting)", p.alert.level, p.alert.action, p.alert.site,
                        self.retry_s, len(self._unstored),
                    )  # fmt: skip
                    return len(self._unstored)
                self._unstored.popleft()
                self.stored += 1
            return 0

    @property
    def unstored(self) -> int:
        """Alerts planned and not yet stored in the outbox."""
        with self._unstored_lock:
            return len(self._unstored)

    def health(self) -> dict[str, Any]:
        """Counts that must stay zero: alerts not stored (yet), failures, alerts lost on the bus."""
        # Stored and unstored read together, under the lock the storing holds: read apart, a plan
        # between its two rows (sirens, then the rest) showed as neither stored nor waiting.
        with self._unstored_lock:
            stored, unstored, store_failures = self.stored, len(self._unstored), self.store_failures
        return {
            "stored": stored,
            "unstored": unstored,
            "store_failures": store_failures,
            "plan_failures": self.plan_failures,
            "cap_failures": self.router.cap_failures,
            "recipient_failures": self.router.recipient_failures,
            "dropped": self._subscription.dropped,
            "tests_held": self.tests_held,
        }

    def wake(self) -> None:
        """Have the senders look for due deliveries now (after something was stored)."""
        for dispatcher in self._dispatchers:
            dispatcher.wake.set()

    def _store_loop(self) -> None:
        while True:
            try:
                alert = self._subscription.get(timeout=min(0.5, self.retry_s))
            except TimeoutError:
                self.retry_unstored()
                if self._stop.is_set() and self._subscription.pending() == 0:
                    self._give_up_unstored()
                    return
                continue
            except SubscriptionClosed:
                for alert in self._subscription.drain():
                    self._store_logged(alert)
                self._give_up_unstored()
                return
            self._store_logged(alert)

    def _store_logged(self, alert: Alert) -> None:
        if self._subscription.dropped > self._dropped_seen:
            log.error("%d alert(s) were dropped before the outbox could take them (queue full)",
                      self._subscription.dropped - self._dropped_seen)  # fmt: skip
            self._dropped_seen = self._subscription.dropped
        try:
            planned = self.plan(alert)
        except Exception:  # nothing could be planned (an unknown site): loud, and the rest goes on
            self.plan_failures += 1
            log.exception("could not plan the deliveries of the %s %s for %s", alert.level, alert.action,
                          alert.site)  # fmt: skip
            return
        with self._unstored_lock:
            self._unstored.append(planned)
        # After a failure, wait for the retry time rather than hammer a store that is down.
        self.retry_unstored(force=self._next_retry <= time.monotonic())

    def _give_up_unstored(self) -> None:
        """At shutdown: one last try; what still fails is named in the log (an operator must resend)."""
        if self.retry_unstored(force=True):
            with self._unstored_lock:
                for p in self._unstored:
                    log.error("NOT DELIVERED: the %s %s for %s at %s could not be stored in the outbox",
                              p.alert.level, p.alert.action, p.alert.site, p.alert.t)  # fmt: skip

    # ---- sirens ---------------------------------------------------------------------------

    def _on_notice(self, notice: SirenNotice) -> None:
        """A siren fell silent or was heard again: tell the operators, store the takeovers."""
        self.notices.append(notice)
        log.warning("%s", notice.message())
        try:
            if notice.takeovers:
                self.outbox.add_deliveries(takeover_deliveries(notice))
                self.wake()
        except Exception:
            log.exception("could not store the takeovers of siren %s", notice.siren)
        data = asdict(notice)
        data["takeovers"] = [{"siren": s, "command": c.encode()} for s, c in notice.takeovers]
        data["message"] = notice.message()
        data["t"] = time.time()
        self.bus.publish(FEED, FeedMessage("siren", data, notice.site))
