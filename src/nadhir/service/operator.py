"""Operator actions, carried out through the alert policy.

:class:`OperatorPolicy` is the pipeline's :class:`~nadhir.alerting.policy.AlertPolicy`
with an operator's hand on it. The automatic decisions stay exactly as they
are; an operator can additionally

- **confirm** a site's alert: the threat behind it is taken as certain
  (probability 1) for as long as it lasts, so the policy raises it to
  ``imminent`` as soon as its arrival is close, and it no longer drops or
  clears on a wavering probability. An ``update`` with confidence 1 goes out.
- **cancel** a site's alert (a false alarm): an ``all_clear`` goes out at
  once, and the threat that raised it (its track, or the impacts) is ignored
  for that site for ``cancel_hold_s``; any other threat still alerts.
- raise a **manual alert** for a site (``early`` or ``imminent``): the policy
  sees an operator threat of probability 1 for ``manual_hold_s`` (or until
  cancelled), and opens or raises the episode as it would for any threat.
- **cancel a track everywhere** (:meth:`OperatorPolicy.cancel_track`): every
  site whose alert that track raised gets its ``all_clear`` at once, and the
  track is ignored at every site for ``cancel_hold_s``. The service holds this
  action for an undo window first (:class:`HeldCancel`): see docs/service.md.

Everything then flows on through the policy's hysteresis and heartbeats, so
an operator's alert ends with an all-clear like any other.

Sirens need independent witnesses (:meth:`AlertPolicy.corroborated`); an
operator who confirms or raises an alert is one, and their word is enough:
a confirmed or manual threat may sound the sirens whatever evidence (or
lack of it) lies behind it.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, fields, replace
from typing import Any

from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.alerting.siren_model import SirenModel
from nadhir.domain import AircraftType, Alert, AlertLevel, Site, Threat

CANCEL_HOLD_S = 20 * 60.0
# A cancel of a track everywhere waits this long (wall seconds: the operator's own time, whatever the
# service clock's speed) before its all-clears go out, so that a slip of the hand can be undone
# before anyone is told to leave shelter. The alerts stand meanwhile.
UNDO_WINDOW_S = 10.0
MANUAL_HOLD_S = 15 * 60.0
OPERATOR_TRACK = None  # operator threats have no track
# An operator's arrival time (POSIX seconds) may lie a little in the past: it was read off a clock,
# typed, and sent, and the browser's clock may differ from the service's by some seconds.
MANUAL_ETA_PAST_S = 60.0
# ... and at most this far ahead. No aircraft this system warns of is in the air this long before it
# arrives (the slowest, a drone at ~150 km/h, crosses the whole region in well under it); a time
# further out is a slip of unit (milliseconds, as JavaScript's Date.now() gives, are ~1,000 times
# too large) or a typo, and would quietly turn an imminent alert into a phones-only one.
MANUAL_ETA_AHEAD_S = 6 * 3600.0
_RANK: dict[AlertLevel | None, int] = {None: 0, "early": 1, "imminent": 2}
# An operator who confirms or raises an alert witnesses the threat as "operator:<who>".
OPERATOR_WITNESS = "operator:"
# An operator's imminent alert must reach the sirens whatever cues the policy lets sound them; the
# policy always lets an "impact" cue through, so operator threats carry it (where threats have cues).
_SIREN_CUE: dict[str, Any] = {"cue": "impact"} if "cue" in {f.name for f in fields(Threat)} else {}


def manual_eta_problem(eta: float | None, now: float) -> str | None:
    """Why ``eta`` (POSIX seconds) is not a usable arrival time for a manual alert at ``now``, or None.

    The message names the field as the API spells it (``eta_s``) and the rule broken.
    """
    if eta is None:
        return None
    if not math.isfinite(eta):
        return "eta_s: must be a finite number (POSIX seconds)"
    if eta < now - MANUAL_ETA_PAST_S:
        return (
            f"eta_s: the arrival time is {now - eta:.0f} s in the past (at most {MANUAL_ETA_PAST_S:.0f} s "
            f"allowed; the service clock is {now:.0f}, POSIX seconds)"
        )
    if eta > now + MANUAL_ETA_AHEAD_S:
        return (
            f"eta_s: the arrival time is more than {MANUAL_ETA_AHEAD_S / 3600:.0f} h ahead of the service "
            f"clock ({now:.0f}); give POSIX seconds, not milliseconds"
        )
    return None


class OperatorActionError(Exception):
    """The action does not apply (unknown site, no alert to confirm or cancel)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class HeldCancel:
    """A cancel of one track everywhere, waiting out its undo window.

    ``due`` is on the wall clock the engine's holds are kept on (monotonic seconds); ``asked``
    is the service clock when it was asked for; ``sites`` those the track alerted then.
    """

    id: str
    track: str
    by: str
    asked: float
    due: float
    window_s: float
    sites: tuple[str, ...]

    def view(self, wall: float) -> dict[str, Any]:
        """As the feed and the API show it, ``remaining_s`` counted at ``wall``."""
        return {"id": self.id, "track": self.track, "by": self.by, "asked_s": self.asked,
                "sites": list(self.sites), "window_s": self.window_s,
                "remaining_s": round(max(0.0, self.due - wall), 2)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ManualAlert:
    """An operator's alert for one site."""

    level: AlertLevel
    aircraft: AircraftType
    eta: float | None
    until: float
    by: str


class OperatorPolicy(AlertPolicy):
    """The alert policy plus confirm, cancel and manual alerts."""

    def __init__(
        self,
        sites: list[Site],
        config: PolicyConfig | None = None,
        cancel_hold_s: float = CANCEL_HOLD_S,
        manual_hold_s: float = MANUAL_HOLD_S,
        siren_model: SirenModel | None = None,
    ) -> None:
        super().__init__(sites, config, siren_model)
        self.cancel_hold_s = cancel_hold_s
        self.manual_hold_s = manual_hold_s
        self.suppressed: dict[str, dict[str | None, float]] = {}  # site -> {track (None: impacts): until}
        self.manual: dict[str, ManualAlert] = {}
        self.confirmed: dict[str, str] = {}  # site -> who confirmed

    # -- the policy, seen through the operators' decisions -------------------------

    def decide(self, t: float, threats: dict[str, Threat]) -> list[Alert]:
        alerts = super().decide(t, self.operator_view(t, threats))
        out = []
        for alert in alerts:
            if alert.site in self.confirmed:
                if alert.action == "all_clear":
                    del self.confirmed[alert.site]
                else:
                    alert = replace(alert, confidence=1.0)
            if alert.action == "all_clear":
                self.manual.pop(alert.site, None)
            out.append(alert)
        return out

    def operator_view(self, t: float, threats: dict[str, Threat]) -> dict[str, Threat]:
        """The threats as the policy should see them: cancelled out, confirmed and manual certain."""
        view: dict[str, Threat] = {}
        for site_id, threat in threats.items():
            held = self.suppressed.get(site_id)
            if held is not None and held.get(threat.track, -1.0) > t:
                continue
            if site_id in self.confirmed:
                by = OPERATOR_WITNESS + self.confirmed[site_id]
                threat = replace(threat, probability=1.0, witnesses=threat.witnesses | {by})
            view[site_id] = threat
        for site_id, manual in list(self.manual.items()):
            if manual.until <= t:
                del self.manual[site_id]
                continue
            # The operator's threat stands for the site while it lasts: early has no arrival time,
            # imminent arrives at the time given (now if none), and the policy does the rest.
            eta = None if manual.level == "early" else (manual.eta if manual.eta is not None else t)
            operator_threat = Threat(
                site=site_id,
                track=OPERATOR_TRACK,
                aircraft=manual.aircraft,
                probability=1.0,
                eta=eta,
                distance_m=0.0,
                witnesses=frozenset({OPERATOR_WITNESS + manual.by}),
                **_SIREN_CUE,
            )
            current = view.get(site_id)
            site = self.sites[site_id]
            if (
                current is None
                or _RANK[self.desired_level(site, operator_threat, t)]
                >= _RANK[self.desired_level(site, current, t)]
            ):
                view[site_id] = operator_threat
        for site_id in [s for s, held in self.suppressed.items() if all(u <= t for u in held.values())]:
            del self.suppressed[site_id]
        return view

    def corroborated(self, threat: Threat) -> bool:
        """An operator's word is enough for the sirens; otherwise the policy's own rule."""
        return any(w.startswith(OPERATOR_WITNESS) for w in threat.witnesses) or super().corroborated(threat)

    # -- actions ------------------------------------------------------------------

    def _site(self, site_id: str) -> Site:
        site = self.sites.get(site_id)
        if site is None:
            raise OperatorActionError(f"unknown site {site_id!r}", status=404)
        return site

    def confirm(self, t: float, site_id: str, by: str) -> Alert:
        """Confirm the alert at a site; returns the ``update`` that says so."""
        self._site(site_id)
        episode = self._episodes.get(site_id)
        if episode is None:
            raise OperatorActionError(f"no alert at {site_id!r} to confirm")
        self.confirmed[site_id] = by
        episode.confidence = 1.0
        return self._alert(t, "update", site_id, episode)

    def cancel(self, t: float, site_id: str, by: str, threats: dict[str, Threat]) -> Alert:
        """Cancel the alert at a site (a false alarm); returns its ``all_clear``."""
        self._site(site_id)
        episode = self._episodes.pop(site_id, None)
        if episode is None:
            raise OperatorActionError(f"no alert at {site_id!r} to cancel")
        held = self.suppressed.setdefault(site_id, {})
        until = t + self.cancel_hold_s
        held[episode.track] = until
        current = threats.get(site_id)
        if current is not None:
            held[current.track] = until
        self.manual.pop(site_id, None)
        self.confirmed.pop(site_id, None)
        return self._alert(t, "all_clear", site_id, episode)

    def sites_alerted_by(self, track: str, threats: dict[str, Threat]) -> list[str]:
        """The sites with an open alert that ``track`` raised or now drives, in the sites' order."""
        out = []
        for site_id, episode in self._episodes.items():
            current = threats.get(site_id)
            if episode.track == track or (current is not None and current.track == track):
                out.append(site_id)
        return sorted(out, key=self._order.__getitem__)

    def cancel_track(self, t: float, track: str, by: str, threats: dict[str, Threat]) -> list[Alert]:
        """Cancel ``track`` everywhere (a false track): the ``all_clear`` of every site it alerts.

        The track is then ignored at every site for ``cancel_hold_s``, alerted or not, so that it
        does not open new alerts meanwhile; other threats still alert.
        """
        sites = self.sites_alerted_by(track, threats)
        if not sites:
            raise OperatorActionError(f"track {track!r} has no open alert to cancel")
        until = t + self.cancel_hold_s
        for site_id in self.sites:
            self.suppressed.setdefault(site_id, {})[track] = until
        return [self.cancel(t, site_id, by, threats) for site_id in sites]

    def raise_manual(
        self, t: float, site_id: str, level: AlertLevel, aircraft: AircraftType, eta: float | None, by: str
    ) -> ManualAlert:
        """Put an operator threat on a site; the next :meth:`decide` acts on it."""
        self._site(site_id)
        problem = manual_eta_problem(eta, t)
        if problem is not None:
            raise OperatorActionError(problem, status=422)
        manual = ManualAlert(level, aircraft, eta, t + self.manual_hold_s, by)
        self.manual[site_id] = manual
        # An operator's alert overrides an earlier cancel at the same site.
        self.suppressed.pop(site_id, None)
        return manual

    def snapshot(self) -> tuple[Any, ...]:
        """The policy's state (episodes, recent all-clears, manual alerts, cancels, confirmations),
        for :meth:`restore` should what follows a decision fail."""
        return copy.deepcopy((self._episodes, self._cleared, self.manual, self.suppressed, self.confirmed))

    def roll_back(self, state: tuple[Any, ...]) -> None:
        """Put the policy back as :meth:`snapshot` found it (the decisions since are undone)."""
        self._episodes, self._cleared, self.manual, self.suppressed, self.confirmed = copy.deepcopy(state)

    def episode(self, site_id: str) -> EpisodeView | None:
        """The site's open alert episode, or None."""
        ep = self._episodes.get(site_id)
        if ep is None:
            return None
        return EpisodeView(ep.level, ep.eta, ep.confidence, ep.track, ep.threat, ep.started)


@dataclass(frozen=True, slots=True)
class EpisodeView:
    """A read-only look at an open alert episode."""

    level: AlertLevel
    eta: float | None
    confidence: float
    track: str | None
    aircraft: AircraftType
    started: float
