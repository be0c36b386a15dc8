"""The events on the cluster's stream: every event intake accepts comes back field for field, and
bytes whose fields do not have their record's types are a WireError (skipped as a bad message),
not an event that raises deep inside the engine's step."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadhir.domain import AcousticDetection, Event, Impact, Report
from nadhir.service.stream_wire import WireError, event_bytes, event_from_bytes

times = st.floats(1.5e9, 2e9, allow_nan=False)
texts = st.text(max_size=40)
maybe_texts = st.none() | texts
coords = st.floats(-90, 90, allow_nan=False)
maybe_floats = st.none() | st.floats(-1e6, 1e6, allow_nan=False)

report = st.builds(
    Report, t=times, reporter=texts, channel=maybe_texts, text=maybe_texts, aircraft=maybe_texts,
    count=st.none() | st.integers(0, 99), lat=maybe_floats, lon=maybe_floats, place=maybe_texts,
    heading_deg=maybe_floats, heading=maybe_texts, origin=maybe_texts,
)  # fmt: skip
detection = st.builds(
    AcousticDetection, times, texts, coords, coords, texts, st.floats(0, 1), maybe_floats, maybe_floats
)
events: st.SearchStrategy[Event] = st.one_of(
    report, detection, st.builds(Impact, times, texts, maybe_floats, maybe_floats, maybe_texts)
)


@given(events)
def test_an_event_comes_back_field_for_field(event: Event) -> None:
    assert event_from_bytes(event_bytes(event)) == event


DETECTION = AcousticDetection(1746154956.0, "ac-0013", 35.78572, 36.69623, "propeller", 0.39, 169.5, 8.9)


@pytest.mark.parametrize(
    "change",
    [
        {"t": "soon"},  # a time that is a text
        {"t": None},  # a time that is none
        {"t": True},  # a flag is not a number
        {"lat": [35.7]},
        {"sensor": 13},
        {"bearing_deg": "north"},
        {"confidence": 1e400},  # JSON's overflow: infinity
        {"colour": "red"},  # a field the record does not have
    ],
)
def test_fields_of_the_wrong_type_are_a_wire_error(change: dict[str, object]) -> None:
    fields = {**json.loads(event_bytes(DETECTION)), **change}
    data = json.dumps(fields).replace("Infinity", "1e400").encode()
    with pytest.raises(WireError):
        event_from_bytes(data)


def test_a_count_must_be_whole_and_a_number_may_come_as_a_whole_one() -> None:
    report = json.loads(event_bytes(Report(1746154956.0, "obs-1", count=2)))
    with pytest.raises(WireError):
        event_from_bytes(json.dumps({**report, "count": 2.5}).encode())
    assert event_from_bytes(json.dumps({**report, "t": 1746154956}).encode()).t == 1746154956
