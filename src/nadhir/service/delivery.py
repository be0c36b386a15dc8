"""Alert delivery for the live service: every alert goes to the durable outbox, then to its channels.

The pipeline publishes its alerts on the bus; this component takes each one,
plans its deliveries (:class:`~nadhir.alerting.outbox.AlertRouter`: CAP
message, siren commands for ``imminent``, the people channels for every
level, targeted through the subscriptions' spatial index) and stores alert and
deliveries in the outbox before anything is sent: the siren commands first
(one small transaction, so that they leave at once), then the fan-out to
people and partners. A dispatcher then sends every delivery on the channels
this service has (sirens over MQTT with a broker; Telegram, SMS and webhooks
when configured), retried until acknowledged or expired, each step audited.
Deliveries on a channel it lacks wait for the process that has it (``python -m
nadhir.alerting.outbox --db URL --broker HOST:PORT`` for sirens).

Subscriptions are read from the store and re-read when they change (``nadhir
subscriptions`` or the API, while the service runs). The direction an
aircraft comes from is taken from the latest state of the alert's track.
A siren that falls silent raises a notice for operators (MQTT notice topic
and the console's feed) and its commands in force are stored as takeover
deliveries for the nearest other siren. When a scheduled test alarm's hour
comes, the kiosks of its sites are told too (``test_alarm`` on the feed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict

from nadhir.alerting.cap import CapComposer, CapConfig
from nadhir.alerting.outbox import (
    AlertRouter,
    Channel,
    Dispatcher,
    Outbox,
    SirenChannel,
    takeover_deliveries,
)
from nadhir.alerting.sirens import (
    DEFAULT_ROOT,
    SirenFleet,
    SirenNetwork,
    SirenNotice,
    parse_broker,
    sirens_for_sites,
)
from nadhir.alerting.text import approach_from_track
from nadhir.bus.inprocess import InProcessBus, SubscriptionClosed, Topic
from nadhir.domain import Alert, Site, TrackState
from nadhir.service.live import FEED, FeedMessage
from nadhir.service.people import PeopleChannels
from nadhir.store.people import SubscriptionBook, TestAlarmBook

log = logging.getLogger(__name__)

TRACK_MEMORY_S = 900.0  # a track state older than this says nothing about where a threat comes from


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
        tracks: Topic[TrackState] | None = None,
        silent_after_s: float = 15.0,
        topic_root: str = DEFAULT_ROOT,
        refresh_s: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
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
        self._alarms_checked = clock()
        self._alarms_sounded: set[str] = set()
        self._subscription = bus.subscribe(topic, maxsize=100_000)
        self._tracks = bus.subscribe(tracks, maxsize=100_000) if tracks is not None else None
        self._latest: dict[str, TrackState] = {}
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
            self._dispatchers.append(Dispatcher(self.outbox, {"siren": SirenChannel(self._network)}))
        if self.people is not None:
            people_channels: dict[str, Channel] = dict(self.people.channels)
            self._dispatchers.append(Dispatcher(self.outbox, people_channels))
        self.stored = 0
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

    def stop(self, timeout: float = 10.0) -> None:
        """Store what is pending, stop sending, close the outbox and the channels."""
        self._subscription.close()
        if self._tracks is not None:
            self._tracks.close()
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        if self._network is not None:
            self._network.stop()
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
        """Tell the kiosks of the sites of each scheduled test alarm whose hour has come (the sirens get
        theirs from the outbox); returns how many alarms sounded."""
        now = self.clock()
        due = [
            a for a in TestAlarmBook(self.outbox.engine).scheduled(upcoming_after=self._alarms_checked - 1.0)
            if a.at <= now and a.cancelled_at is None and a.key not in self._alarms_sounded
        ]  # fmt: skip
        self._alarms_checked = now
        for alarm in due:
            self._alarms_sounded.add(alarm.key)
            for site in alarm.sites:
                data = {"t": alarm.at, "site": site, "by": alarm.created_by or "scheduled", "key": alarm.key,
                        "duration_s": alarm.duration_s, "scheduled": True}  # fmt: skip
                self.bus.publish(FEED, FeedMessage("test_alarm", data, site))
        return len(due)

    # ---- alerts -------------------------------------------------------------------------

    def store(self, alert: Alert) -> None:
        """Plan one alert's deliveries and store them durably (sirens first), then wake the sender."""
        self._take_tracks()
        site = self.sites.get(alert.site)
        state = self._latest.get(alert.track) if alert.track is not None else None
        approach = approach_from_track(state, site) if site is not None and state is not None else None
        plan = self.router.plan(alert, approach)
        cap = None if plan.cap is None else plan.cap.decode()
        self.outbox.store_alert(alert, plan.sirens, cap=cap)
        self.wake()
        if plan.others:
            self.outbox.store_alert(alert, plan.others, cap=cap)
            self.wake()
        self.stored += 1

    def wake(self) -> None:
        """Have the senders look for due deliveries now (after something was stored)."""
        for dispatcher in self._dispatchers:
            dispatcher.wake.set()

    def _take_tracks(self) -> None:
        if self._tracks is None:
            return
        for state in self._tracks.drain():
            self._latest[state.track] = state
        if len(self._latest) > 1000:
            newest = max(s.t for s in self._latest.values())
            self._latest = {k: s for k, s in self._latest.items() if s.t >= newest - TRACK_MEMORY_S}

    def _store_loop(self) -> None:
        while True:
            try:
                alert = self._subscription.get(timeout=0.5)
            except TimeoutError:
                if self._stop.is_set() and self._subscription.pending() == 0:
                    return
                self._take_tracks()
                continue
            except SubscriptionClosed:
                for alert in self._subscription.drain():
                    self._store_logged(alert)
                return
            self._store_logged(alert)

    def _store_logged(self, alert: Alert) -> None:
        try:
            self.store(alert)
        except Exception:  # one bad alert must not stop the delivery of the rest
            log.exception("could not store alert for %s in the outbox", alert.site)

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
