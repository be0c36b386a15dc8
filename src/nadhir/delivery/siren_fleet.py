"""The siren fleet, operator side and without I/O: commands from alerts, who was heard when, which
commands are in force, and which siren takes over for a silent one.

The MQTT link is :mod:`nadhir.delivery.channels.mqtt_sirens`; the wire protocol is
:mod:`nadhir_siren.protocol`, shared with the program on the siren."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from nadhir.delivery.states import alert_identity
from nadhir.domain import Alert, Site
from nadhir.geo.distance import haversine_m
from nadhir_siren.protocol import (
    DEFAULT_DURATION_S,
    MAX_DURATION_S,
    Pattern,
    SirenCommand,
    check_siren_id,
)

# ---- commands from alerts ----------------------------------------------------------


def command_key(alert: Alert, siren: str) -> str:
    """A stable idempotency key for one alert at one siren (the same alert always gives the same key).

    It derives from the alert's episode and its number in it (:func:`~nadhir.delivery.states.alert_identity`),
    so that the command re-sent for an alert re-derived after an engine takeover is recognised by
    the siren as one it has played.
    """
    digest = hashlib.sha256(f"{alert_identity(alert)}|{siren}".encode()).hexdigest()[:20]
    return f"{alert.action[:3]}-{digest}"


def pattern_for(alert: Alert, siren_reached: bool) -> Pattern | None:
    """The siren pattern an alert calls for: ``imminent`` sounds; the all-clear sounds where sirens did.

    ``siren_reached`` says whether the episode already sounded the site's
    sirens (an all-clear or a downgrade is only played there).
    """
    if alert.action == "all_clear":
        return "all_clear" if siren_reached else None
    if alert.level == "imminent":
        return "imminent"
    return "stop" if siren_reached else None  # downgraded to early: silence the wailing


def command_for(
    alert: Alert, siren: str, pattern: Pattern, *, valid_s: float = 300.0, issued: float | None = None
) -> SirenCommand:
    """The command for one siren; it must not start more than ``valid_s`` after the alert.

    ``issued`` (default: the alert's time) is when that is counted from, on the sirens' clock.
    """
    issued_s = math.floor(alert.t if issued is None else issued)
    duration = DEFAULT_DURATION_S[pattern]
    if pattern == "imminent" and alert.eta is not None:
        duration = int(min(MAX_DURATION_S, max(duration, alert.eta - alert.t + 60.0)))
    return SirenCommand(
        command_key(alert, siren), pattern, duration, issued_s, issued_s + int(max(valid_s, 0))
    )


# ---- the fleet (operator-side bookkeeping, no I/O) ----------------------------------


@dataclass(frozen=True, slots=True)
class Siren:
    """A siren and where it stands."""

    id: str
    site: str
    lat: float
    lon: float


def sirens_for_sites(
    sites: Iterable[Site], positions: Mapping[str, tuple[float, float]] | None = None
) -> list[Siren]:
    """The sirens listed by sites; a siren without a known position stands at its site's centre."""
    out: list[Siren] = []
    for site in sites:
        for siren_id in site.sirens:
            lat, lon = (positions or {}).get(siren_id, (site.lat, site.lon))
            out.append(Siren(check_siren_id(siren_id), site.id, lat, lon))
    return out


NoticeKind = Literal["silent", "recovered"]


@dataclass(frozen=True, slots=True)
class SirenNotice:
    """For operators: a siren fell silent (and who took over) or was heard again."""

    kind: NoticeKind
    siren: str
    site: str
    at: float
    last_heard: float | None
    substitute: str | None = None
    takeovers: tuple[tuple[str, SirenCommand], ...] = ()

    def message(self) -> str:
        if self.kind == "recovered":
            return f"siren {self.siren} ({self.site}) is heard again"
        silent_for = (
            "never heard" if self.last_heard is None else f"silent for {self.at - self.last_heard:.0f} s"
        )
        who = f"; {self.substitute} takes over" if self.substitute else "; no other siren in reach"
        return f"siren {self.siren} ({self.site}) {silent_for}{who}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "siren": self.siren,
                "site": self.site,
                "at": self.at,
                "last_heard": self.last_heard,
                "substitute": self.substitute,
                "takeovers": [{"siren": s, "command": c.encode()} for s, c in self.takeovers],
                "message": self.message(),
            },
            separators=(",", ":"),
        )


@dataclass
class _SirenState:
    siren: Siren
    last_heard: float | None
    online: bool = True
    silent: bool = False
    active: dict[str, SirenCommand] = field(default_factory=dict)


class SirenFleet:
    """Who was heard when; silent sirens; the nearest live siren that takes over for a silent one.

    A siren is silent when nothing was heard from it for ``silent_after_s``
    (counted from the fleet's start for a siren never heard), or at once when
    its last will (``OFFLINE``) arrives. Thread-safe.
    """

    def __init__(self, sirens: Iterable[Siren], *, silent_after_s: float = 15.0,
                 max_takeover_m: float = 15_000.0, now: float | None = None) -> None:  # fmt: skip
        start = time.time() if now is None else now
        self.silent_after_s = silent_after_s
        self.max_takeover_m = max_takeover_m
        self._start = start
        self._lock = threading.Lock()
        self._state = {s.id: _SirenState(s, None) for s in sirens}

    @property
    def sirens(self) -> list[Siren]:
        return [st.siren for st in self._state.values()]

    def __contains__(self, siren_id: object) -> bool:
        return siren_id in self._state

    def heard(self, siren_id: str, t: float) -> None:
        """Anything from the siren (heartbeat, ack, ONLINE) proves it alive."""
        with self._lock:
            st = self._state.get(siren_id)
            if st is not None and (st.last_heard is None or t > st.last_heard):
                st.last_heard = t
                st.online = True

    def last_heard(self, siren_id: str) -> float | None:
        """When anything was last heard from the siren (None: never, or unknown siren)."""
        with self._lock:
            st = self._state.get(siren_id)
            return None if st is None else st.last_heard

    def offline(self, siren_id: str) -> None:
        """Its last will arrived: the broker lost it."""
        with self._lock:
            st = self._state.get(siren_id)
            if st is not None:
                st.online = False

    def commanded(self, siren_id: str, command: SirenCommand) -> None:
        """Remember a command in force at a siren (a silent siren's commands pass to its substitute)."""
        with self._lock:
            st = self._state.get(siren_id)
            if st is None:
                return
            if command.pattern in ("stop", "all_clear"):
                st.active.clear()
            if command.pattern != "stop":
                st.active[command.key] = command

    def _is_live(self, st: _SirenState, now: float) -> bool:
        last = st.last_heard if st.last_heard is not None else self._start
        return st.online and now - last <= self.silent_after_s

    def health(self, now: float) -> dict[str, int]:
        """Sirens by health at ``now``: ``online`` (heard within ``silent_after_s``), ``offline`` (the
        broker delivered its last will), ``faulty`` (connected, as far as the broker knows, but not
        heard: a hung controller, a siren never heard from since the fleet started)."""
        out = {"online": 0, "offline": 0, "faulty": 0}
        with self._lock:
            for st in self._state.values():
                state = "online" if self._is_live(st, now) else "faulty" if st.online else "offline"
                out[state] += 1
        return out

    def live(self, siren_id: str, now: float) -> bool:
        with self._lock:
            st = self._state.get(siren_id)
            return st is not None and self._is_live(st, now)

    def _substitute(self, st: _SirenState, now: float) -> Siren | None:
        best: tuple[float, str] | None = None
        for other in self._state.values():
            if other is st or not self._is_live(other, now):
                continue
            d = haversine_m(st.siren.lat, st.siren.lon, other.siren.lat, other.siren.lon)
            if d <= self.max_takeover_m and (best is None or (d, other.siren.id) < best):
                best = (d, other.siren.id)
        return None if best is None else self._state[best[1]].siren

    def substitute(self, siren_id: str, now: float) -> Siren | None:
        """The nearest other live siren within reach, if any."""
        with self._lock:
            st = self._state.get(siren_id)
            return None if st is None else self._substitute(st, now)

    def targets(self, siren_id: str, now: float) -> list[str]:
        """Where a command for this siren goes: the siren, and its substitute while it is silent."""
        with self._lock:
            st = self._state.get(siren_id)
            if st is None:
                return []
            if self._is_live(st, now):
                return [siren_id]
            sub = self._substitute(st, now)
            return [siren_id] if sub is None else [siren_id, sub.id]

    def check(self, now: float) -> list[SirenNotice]:
        """Notices for sirens that fell silent or came back since the last check."""
        notices: list[SirenNotice] = []
        with self._lock:
            for st in self._state.values():
                for key in [k for k, c in st.active.items() if c.issued + c.duration_s < now]:
                    del st.active[key]
                live = self._is_live(st, now)
                if not live and not st.silent:
                    st.silent = True
                    sub = self._substitute(st, now)
                    takeovers: tuple[tuple[str, SirenCommand], ...] = ()
                    if sub is not None:
                        takeovers = tuple(
                            (sub.id, takeover_command(c, sub.id, now)) for c in st.active.values()
                        )
                    notices.append(SirenNotice("silent", st.siren.id, st.siren.site, now, st.last_heard,
                                               None if sub is None else sub.id, takeovers))  # fmt: skip
                elif live and st.silent:
                    st.silent = False
                    notices.append(SirenNotice("recovered", st.siren.id, st.siren.site, now, st.last_heard))
        return notices


def takeover_command(command: SirenCommand, substitute: str, now: float) -> SirenCommand:
    """The command a substitute plays for a silent siren: what remains of it, under its own key."""
    remaining = max(1, int(command.issued + command.duration_s - now))
    return SirenCommand(
        f"{command.key}@{substitute}"[:96], command.pattern, min(remaining, command.duration_s),
        math.floor(now), max(command.expires, math.floor(now) + 60),
    )  # fmt: skip
