"""The router: which deliveries one alert becomes (its sirens, their substitutes, the people and
partners subscribed, and its CAP message). Pure: storing and sending are the outbox's."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from nadhir.alerting.cap import CapComposer, render
from nadhir.delivery.siren_fleet import SirenFleet, SirenNotice, command_for, pattern_for
from nadhir.delivery.states import NewDelivery, deliverable
from nadhir.domain import Alert, Site

log = logging.getLogger(__name__)


class Recipients(Protocol):
    """The people and partners an alert goes to (see :class:`nadhir.delivery.subscriptions.PeopleRouter`)."""

    def __call__(self, alert: Alert, site: Site, cap: bytes | None) -> list[NewDelivery]: ...


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """What one alert becomes: its deliveries and its CAP message (validated), to store together."""

    deliveries: list[NewDelivery]
    cap: bytes | None

    @property
    def sirens(self) -> list[NewDelivery]:
        """The siren commands: store these first (one small transaction) so that they leave at once."""
        return [d for d in self.deliveries if d.channel == "siren"]

    @property
    def others(self) -> list[NewDelivery]:
        """People and partner deliveries (for a big fan-out, many rows): store them next."""
        return [d for d in self.deliveries if d.channel != "siren"]


class AlertRouter:
    """Decides the deliveries of each alert (fed in issue order): levels decide the channel.

    ``early`` goes to the people channels (``sms``, ``telegram``, ``webhook``
    recipients given by ``recipients``); ``imminent`` also sounds the site's
    sirens, and an all-clear (or a downgrade) is played on the sirens of an
    episode that sounded them. Sirens that the fleet knows to be silent have
    their command sent to their substitute as well. With a ``cap`` composer,
    each alert's CAP message is made (and validated) too.
    """

    def __init__(
        self,
        sites: Iterable[Site],
        *,
        fleet: SirenFleet | None = None,
        recipients: Recipients | None = None,
        cap: CapComposer | None = None,
        command_valid_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sites = {s.id: s for s in sites}
        self.fleet = fleet
        self.recipients = recipients
        self.cap = cap
        self.command_valid_s = command_valid_s
        self.clock = clock
        self._sounded: dict[str, bool] = {}
        # Parts of a plan that could not be made (logged at error level); the rest still goes out.
        self.cap_failures = 0
        self.recipient_failures = 0

    def restore(self, site_id: str, sounding: bool) -> None:
        """Take up an episode left open by an earlier run: whether its sirens were last told to sound
        (so that its all-clear is played on them). A site this router already knows keeps its state."""
        if site_id in self.sites:
            self._sounded.setdefault(site_id, sounding)

    def sounding(self) -> dict[str, bool]:
        """Per site with an episode, whether its sirens were last told to sound (a copy): with
        :meth:`set_sounding`, what a standby engine takes over with the rest of the state."""
        return dict(self._sounded)

    def set_sounding(self, sounded: dict[str, bool]) -> None:
        """Replace what :meth:`sounding` gives (a new leader restoring a snapshot)."""
        self._sounded = dict(sounded)

    def route(self, alert: Alert) -> list[NewDelivery]:
        """The deliveries of one alert."""
        return self.plan(alert).deliveries

    def plan(self, alert: Alert, *, at: float | None = None) -> RoutePlan:
        """The deliveries and the CAP message of one alert.

        ``at`` is when the deliveries' validity starts on the clock the receivers keep (wall time:
        a siren checks a command's expiry against its own clock, the dispatcher against the
        outbox's); by default the alert's own time, which is the same thing unless the alert was
        made on a simulated clock (the demo). Times out of range are written as
        :func:`deliverable` says. A CAP message or a people fan-out that cannot be made is logged
        at error level and counted, and the siren commands and the other deliveries still go out.
        """
        alert = deliverable(alert)
        site = self.sites.get(alert.site)
        if site is None:
            raise ValueError(f"alert for unknown site {alert.site!r}")
        issued = alert.t if at is None else at
        cap: bytes | None = None
        if self.cap is not None:
            try:
                cap = render(self.cap.compose(alert))
            except Exception:  # the sirens must not wait on a message format
                self.cap_failures += 1
                log.exception("no CAP message for the %s %s at %s; delivered without", alert.level,
                              alert.action, alert.site)  # fmt: skip
        out: list[NewDelivery] = []
        reached = self._sounded.get(site.id, False)
        pattern = pattern_for(alert, reached)
        if pattern is not None:
            for siren in site.sirens:
                targets = (
                    [siren] if self.fleet is None else self.fleet.targets(siren, self.clock()) or [siren]
                )
                for target in targets:
                    cmd = command_for(alert, target, pattern, valid_s=self.command_valid_s, issued=issued)
                    if any(d.key == cmd.key for d in out):
                        continue  # a substitute that is also one of the site's sirens sounds once
                    out.append(NewDelivery("siren", target, cmd.key, cmd.encode(), cmd.expires))
        if alert.action == "all_clear":
            self._sounded.pop(site.id, None)
        elif pattern == "imminent":
            self._sounded[site.id] = True
        elif pattern == "stop":
            self._sounded[site.id] = False
        if self.recipients is not None:
            try:
                people = self.recipients(alert, site, cap)
            except Exception:
                self.recipient_failures += 1
                log.exception("could not plan the people deliveries of the %s %s at %s", alert.level,
                              alert.action, alert.site)  # fmt: skip
                people = []
            # Recipients count expiry from the alert's time; moved to the clock the deliveries keep.
            shift = issued - alert.t
            out.extend(people if shift == 0 else [replace(d, expires=d.expires + shift) for d in people])
        return RoutePlan(out, cap)


def takeover_deliveries(notice: SirenNotice) -> list[NewDelivery]:
    """The deliveries that make the substitute of a silent siren play what it had in force."""
    return [
        NewDelivery("siren", target, cmd.key, cmd.encode(), cmd.expires) for target, cmd in notice.takeovers
    ]
