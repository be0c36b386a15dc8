"""Operator actions in the cluster: asked by the console, carried out by a region's active engine.

In the one-process service an operator action runs on the engine's thread. In the cluster the
console role has no pipeline; the region's active engine has it, and may die at any moment. So an
action travels **in the region's input stream**, like an event:

1. the console (:class:`ActionDesk`) publishes an :class:`OperatorAsk` (its id, the action, the
   principal, the service time it was asked at, the wall time by which it must be answered) to the
   subject of the site's region (every region, for an action on every site), with the ``action``
   kind header and a message id, so that a retried publish is stored once;
2. the active engine reads it at its place in the stream and applies it to its pipeline between
   the events before and after it (:mod:`nadhir.service.stream_engine`); the alerts it makes are
   stored in the outbox like any other, the policy's state goes into the next snapshot, so a
   standby that takes over re-derives the action from the snapshot plus the stream;
3. the engine answers in the key-value bucket ``<P>_actions``, key ``<id>.<region>``: first it
   *claims* the key (``taken``), then applies the action, writes the audit row and puts its answer
   (``done`` with the alerts sent, or ``refused`` with the status and reason the one-process
   service gives);
4. the console polls the key until the answer comes or ``deadline`` passes; then it writes
   ``expired`` into the key, with the same conditional create the engine claims with.

A cancel of a track everywhere is held for an undo window (``hold_cancel_track``, every region);
when its window (on the wall clock, from the time the console asked it) has passed, the active engine
of each region that holds it puts an ``apply_held`` in its own stream, with a message id of the
held cancel's, and applies it when it reads it; an ``undo`` that the stream brings first drops it.
So the order of the stream decides between an undo and the window's end, on every engine alike.

Whoever creates the key first decides, and the key outlives the engines: an action that expired
before any engine claimed it is skipped by every engine (now and after any takeover), and one
claimed is applied by every engine that reads it again (the answer, and the audit row, come from
the first). So the console never says 503 for an action that then takes effect, nor does an engine
that takes a region over undo or repeat one. What a crash can leave: an engine killed after its
audit row and before its answer makes its successor write the row again (and answer); a console
that finds the key ``taken`` and no answer in a grace period says 503 although the action stands
(the operator log and the audit trail show it).
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from nadhir.bus.jetstream import BusError, JetStreamBus, KeyExists, KvBucket
from nadhir.domain import Alert, Approach
from nadhir.service.cluster_names import KIND_HEADER, ClusterNames
from nadhir.service.stream_wire import WireError

ACTION_KIND = "action"
NO_DEADLINE = 1e15  # an action the engine puts in its own stream (apply_held) waits for nobody
POLL_S = 0.02
# A console that finds the action claimed (an engine took it) but unanswered at its deadline waits
# this much longer for the answer: the engine is between its claim and its answer.
CLAIMED_GRACE_S = 3.0
PUBLISH_TIMEOUT_S = 2.0

State = Literal["taken", "done", "refused", "expired"]


@dataclass(frozen=True, slots=True)
class OperatorAsk:
    """One operator action as it travels in a region's stream."""

    id: str
    action: str  # confirm | cancel | alert | test_alarm | hold_cancel_track | undo | apply_held
    site: str  # a site id, or "*" (test_alarm everywhere, and the actions on a track or a held cancel)
    by: str
    asked: float  # the service clock (the console's, POSIX seconds) when it was asked
    deadline: float  # wall time (POSIX seconds) after which nobody may take it up
    level: str = "imminent"
    aircraft: str = "unknown"
    eta: float | None = None
    note: str | None = None
    track: str | None = None  # hold_cancel_track, apply_held
    held: str | None = None  # undo, apply_held: the held cancel's id (the id of the hold_cancel_track)
    wall: float | None = None  # hold_cancel_track: the wall time (POSIX) its undo window starts at

    def params(self) -> dict[str, Any]:
        """What the operator asked beyond the action and site, as the audit trail keeps it."""
        if self.action == "alert":
            out: dict[str, Any] = {"level": self.level, "aircraft": self.aircraft, "eta": self.eta}
        else:
            out = {}
        if self.note is not None:
            out["note"] = self.note
        return {k: v for k, v in out.items() if v is not None}


def ask_bytes(ask: OperatorAsk) -> bytes:
    """The action as it travels on the stream."""
    return json.dumps(dataclasses.asdict(ask), separators=(",", ":"), allow_nan=False).encode()


def ask_from_bytes(data: bytes) -> OperatorAsk:
    """The action :func:`ask_bytes` wrote; WireError if the bytes are not one."""
    try:
        fields = json.loads(data)
        ask = OperatorAsk(**fields)
    except (ValueError, TypeError) as exc:
        raise WireError(f"not an operator action: {data[:80]!r} ({exc})") from exc
    if not all(isinstance(v, str) for v in (ask.id, ask.action, ask.site, ask.by)):
        raise WireError(f"not an operator action: {data[:80]!r}")
    return ask


def reply_key(action_id: str, region: str) -> str:
    """The key of one region's answer to one action."""
    return f"{action_id}.{region}"


def alert_wire(alert: Alert) -> dict[str, Any]:
    """An alert as a JSON object, every field (the answer carries what was sent)."""
    return dataclasses.asdict(alert)


def alert_from_wire(data: dict[str, Any]) -> Alert:
    """The alert :func:`alert_wire` wrote."""
    fields = dict(data)
    approach = fields.pop("approach", None)
    return Alert(**fields, approach=Approach(**approach) if approach is not None else None)


def _encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False, default=str).encode()


def read_reply(kv: KvBucket, key: str) -> dict[str, Any] | None:
    """The answer (or claim, or expiry) in ``key``, or None."""
    entry = kv.get(key)
    if entry is None:
        return None
    value: dict[str, Any] = json.loads(entry.value)
    return value


# -- the engine's side ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """What an engine does with an action it reads: ``apply`` it (or skip it: expired), and
    ``answer`` it (and audit it: nobody has yet)."""

    apply: bool
    answer: bool


def claim(kv: KvBucket, key: str, deadline: float, wall: Callable[[], float] = time.time) -> Claim:
    """Claim the action's key, or learn who decided it before (see the module docstring).

    BusError when NATS cannot say: the caller must not go on past the action (it steps down, and
    whoever leads next reads it again).
    """
    reply = read_reply(kv, key)
    if reply is None:
        state: State = "expired" if wall() > deadline else "taken"
        try:
            kv.create(key, _encode({"state": state, "at": wall()}))
        except KeyExists:
            reply = read_reply(kv, key)
            if reply is None:  # deleted meanwhile: only by hand; apply, as the claim was asked
                return Claim(apply=True, answer=False)
        else:
            return Claim(apply=state == "taken", answer=state == "taken")
    if reply.get("state") == "expired":
        return Claim(apply=False, answer=False)
    # Taken and not answered: the engine that took it died between; this one answers.
    return Claim(apply=True, answer=reply.get("state") == "taken")


def answer(kv: KvBucket, key: str, reply: dict[str, Any]) -> None:
    """Put the engine's answer in the action's key (BusError if NATS is away)."""
    kv.put(key, _encode(reply))


# -- the console's side --------------------------------------------------------------------------------


class ActionFailed(Exception):
    """No engine answered the action in time (or NATS did not take it): the console says 503."""


class ActionDesk:
    """The console's side: publish an action to regions, wait for their engines' answers."""

    def __init__(self, bus: JetStreamBus, names: ClusterNames) -> None:
        self.bus = bus
        self.names = names
        self.kv = bus.kv(names.actions)

    @staticmethod
    def new_id() -> str:
        """A new action's id (its message id and the key of its answers derive from it)."""
        return uuid.uuid4().hex

    def ask(self, ask: OperatorAsk, regions: list[str]) -> dict[str, dict[str, Any]]:
        """Publish ``ask`` to each region's stream and return each region's answer (``done`` or
        ``refused``). ActionFailed when one cannot be published, or is not answered in time."""
        data = ask_bytes(ask)
        try:
            for region in regions:
                self.bus.publish(self.names.events(region), data, headers={KIND_HEADER: ACTION_KIND},
                                 msg_id=f"action-{ask.id}-{region}", timeout=PUBLISH_TIMEOUT_S)  # fmt: skip
        except BusError as exc:
            raise ActionFailed(f"the event stream did not take the action: {exc}") from exc
        answers: dict[str, dict[str, Any]] = {}
        pending = {region: reply_key(ask.id, region) for region in regions}
        while pending:
            for region, key in list(pending.items()):
                reply = self._read(key)
                if reply is not None and reply.get("state") in ("done", "refused"):
                    answers[region] = reply
                    del pending[region]
            if not pending:
                break
            if time.time() > ask.deadline:
                for region, key in pending.items():
                    answers[region] = self._expire(region, key)
                break
            time.sleep(POLL_S)
        return answers

    def _read(self, key: str) -> dict[str, Any] | None:
        try:
            return read_reply(self.kv, key)
        except BusError:
            return None  # NATS away for a moment: asked again until the deadline

    def _expire(self, region: str, key: str) -> dict[str, Any]:
        """The deadline passed: mark the action expired, unless an engine claimed it first."""
        try:
            self.kv.create(key, _encode({"state": "expired", "at": time.time()}))
        except KeyExists:
            pass
        except BusError as exc:
            raise ActionFailed(f"no engine of region {region} answered, and NATS is away: {exc}") from exc
        else:
            raise ActionFailed(f"no engine of region {region} answered in time")
        grace = time.monotonic() + CLAIMED_GRACE_S
        while True:
            reply = self._read(key)
            if reply is not None and reply.get("state") in ("done", "refused"):
                return reply
            if reply is not None and reply.get("state") == "expired":
                raise ActionFailed(f"no engine of region {region} answered in time")
            if time.monotonic() > grace:
                raise ActionFailed(
                    f"region {region}'s engine took the action but did not answer in time; "
                    "the operator log and the audit trail show whether it was carried out"
                )
            time.sleep(POLL_S)
