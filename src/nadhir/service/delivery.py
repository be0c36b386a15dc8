"""Alert delivery for the live service: every alert the pipeline sends goes to the durable outbox.

The pipeline publishes its alerts on the bus; this component takes each one,
plans its deliveries (`AlertRouter`: CAP message, siren commands for
``imminent``, people's channels) and stores alert and deliveries in the
outbox before anything is sent. With a broker configured it also runs the
dispatcher that sends siren commands over MQTT until they are acknowledged;
without one, a separate worker (``python -m nadhir.alerting.outbox --db URL
--broker HOST:PORT``) delivers from the same outbox.
"""

from __future__ import annotations

import logging
import threading

from nadhir.alerting.cap import CapComposer
from nadhir.alerting.outbox import AlertRouter, Dispatcher, Outbox, SirenChannel
from nadhir.alerting.sirens import SirenFleet, SirenNetwork, parse_broker, sirens_for_sites
from nadhir.bus.inprocess import InProcessBus, SubscriptionClosed, Topic
from nadhir.domain import Alert, Site

log = logging.getLogger(__name__)


class AlertDelivery:
    """Bus subscriber that stores every alert with its deliveries, and optionally sends siren commands."""

    def __init__(
        self,
        bus: InProcessBus,
        topic: Topic[Alert],
        sites: list[Site],
        outbox_url: str,
        broker: str | None = None,
    ) -> None:
        self.outbox = Outbox.open(outbox_url)
        self.fleet = SirenFleet(sirens_for_sites(sites))
        self.router = AlertRouter(sites, fleet=self.fleet, cap=CapComposer(sites))
        self._subscription = bus.subscribe(topic, maxsize=100_000)
        self._network: SirenNetwork | None = None
        self._dispatcher: Dispatcher | None = None
        if broker is not None:
            host, port = parse_broker(broker)
            self._network = SirenNetwork(host, port, self.fleet)
            self._dispatcher = Dispatcher(self.outbox, {"siren": SirenChannel(self._network)})
        self.stored = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start storing alerts (and sending, with a broker)."""
        self._threads.append(threading.Thread(target=self._store_loop, name="nadhir-outbox", daemon=True))
        if self._network is not None and self._dispatcher is not None:
            self._network.start()
            dispatcher = self._dispatcher
            self._threads.append(
                threading.Thread(
                    target=dispatcher.run, args=(self._stop,), name="nadhir-dispatch", daemon=True
                )
            )
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Store what is pending, stop sending, close the outbox."""
        self._subscription.close()
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        if self._network is not None:
            self._network.stop()
        self.outbox.close()

    def store(self, alert: Alert) -> None:
        """Plan one alert's deliveries and store them durably (before any send)."""
        plan = self.router.plan(alert)
        self.outbox.store_alert(alert, plan.deliveries, cap=None if plan.cap is None else plan.cap.decode())
        self.stored += 1

    def _store_loop(self) -> None:
        while True:
            try:
                alert = self._subscription.get(timeout=0.5)
            except TimeoutError:
                if self._stop.is_set() and self._subscription.pending() == 0:
                    return
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
