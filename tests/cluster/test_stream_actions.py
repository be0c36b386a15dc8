"""The rules of operator actions in the cluster, without servers: the action's bytes, an alert's
round trip in an answer, and who decides an action (the first to create its key)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadhir.bus.jetstream import KeyExists, KvEntry
from nadhir.domain import Alert, Approach
from nadhir.service.stream_actions import (
    Claim,
    OperatorAsk,
    alert_from_wire,
    alert_wire,
    ask_bytes,
    ask_from_bytes,
    claim,
    reply_key,
)
from nadhir.service.stream_wire import WireError


class FakeKv:
    """A key-value bucket in a dict, with JetStream's conditional create."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> KvEntry | None:
        return KvEntry(key, self.data[key], 1) if key in self.data else None

    def create(self, key: str, value: bytes) -> int:
        if key in self.data:
            raise KeyExists(key)
        self.data[key] = value
        return 1

    def put(self, key: str, value: bytes) -> int:
        self.data[key] = value
        return 1

    def state(self, key: str) -> Any:
        return json.loads(self.data[key])["state"]


class RacingKv(FakeKv):
    """A bucket where someone else creates the key between the engine's look and its create."""

    def __init__(self, other: str) -> None:
        super().__init__()
        self.other = other

    def create(self, key: str, value: bytes) -> int:
        self.data[key] = json.dumps({"state": self.other}).encode()
        raise KeyExists(key)


texts = st.text(max_size=20)
times = st.floats(min_value=0, max_value=1e11, allow_nan=False)


@given(
    st.builds(
        OperatorAsk,
        id=texts,
        action=st.sampled_from(["confirm", "cancel", "alert", "undo"]),
        site=texts,
        by=texts,
        asked=times,
        deadline=times,
        level=st.sampled_from(["early", "imminent"]),
        aircraft=texts,
        eta=st.none() | times,
        note=st.none() | texts,
        track=st.none() | texts,
        held=st.none() | texts,
        wall=st.none() | times,
    )
)
def test_an_action_travels_field_for_field(ask: OperatorAsk) -> None:
    assert ask_from_bytes(ask_bytes(ask)) == ask


@pytest.mark.parametrize("data", [b"", b"{}", b"[1]", b'{"id": 1, "action": "x", "site": "s", "by": "b",'
                                  b' "asked": 0, "deadline": 0}', b'{"id": "a", "oops": 1}'])  # fmt: skip
def test_bytes_that_are_not_an_action_are_a_wire_error(data: bytes) -> None:
    with pytest.raises(WireError):
        ask_from_bytes(data)


def test_an_alert_in_an_answer_comes_back_whole() -> None:
    alert = Alert(1746155749.0, "alert", "sarmada", "early", "drone", 1746155900.0, 0.65, "T8",
                  Approach(190.0, "S", 10.0, "N"), episode=1746155749.0, seq=1)  # fmt: skip
    back = alert_from_wire(json.loads(json.dumps(alert_wire(alert))))
    assert back == alert and (back.approach, back.episode, back.seq) == (alert.approach, 1746155749.0, 1)


def test_the_first_to_create_the_key_decides() -> None:
    kv = FakeKv()
    key = reply_key("a1", "north")
    assert key == "a1.north"
    assert claim(kv, key, deadline=100.0, wall=lambda: 50.0) == Claim(apply=True, answer=True)
    assert kv.state(key) == "taken"
    # Read again (a successor, before the answer came): applied and answered again.
    assert claim(kv, key, deadline=100.0, wall=lambda: 500.0) == Claim(apply=True, answer=True)
    kv.put(key, json.dumps({"state": "done"}).encode())
    # Read again after the answer: applied (the state is derived again), not answered twice.
    assert claim(kv, key, deadline=100.0, wall=lambda: 500.0) == Claim(apply=True, answer=False)


def test_an_action_read_after_its_deadline_is_expired_for_good() -> None:
    kv = FakeKv()
    key = reply_key("a2", "north")
    assert claim(kv, key, deadline=100.0, wall=lambda: 101.0) == Claim(apply=False, answer=False)
    assert kv.state(key) == "expired"
    assert claim(kv, key, deadline=100.0, wall=lambda: 50.0) == Claim(apply=False, answer=False)


RACES = [("expired", Claim(False, False)), ("taken", Claim(True, True)), ("done", Claim(True, False))]


@pytest.mark.parametrize(("other", "expected"), RACES)
def test_a_race_for_the_key_goes_to_whoever_created_it(other: str, expected: Claim) -> None:
    assert claim(RacingKv(other), "a3.north", deadline=100.0, wall=lambda: 50.0) == expected
