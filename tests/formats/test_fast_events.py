"""The acoustic fast path of the event reader against the reference reader (hypothesis).

``fast_acoustic`` either declines a line (None: the reference reader decides it) or returns the very
event the reference reader builds, field for field and type for type. Lines are generated wide:
every acoustic field with values of every JSON type, numbers written as JSON writers and people
write them (exponents, long digit strings, integers past 2**64, overflowing literals), fields
missing, unknown keys, other kinds.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nadhir.domain import AcousticDetection, Problems
from nadhir.domain import validation as rules
from nadhir.domain.formats.events import event_from_dict, fast_acoustic, parse_events
from nadhir.domain.validation import InvalidInput

WIDE = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FIELDS = ("t", "kind", "sensor", "lat", "lon", "class", "confidence", "bearing_deg", "bearing_sigma_deg")

# Numbers as text: what json.dumps writes, and what other writers and hands do.
NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(min_value=-800, max_value=800).map(repr),
    st.floats(min_value=0, max_value=1).map(lambda v: f"{v:.25f}"),
    st.floats(min_value=-1e3, max_value=1e3).map(lambda v: f"{v:E}"),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=-1000, max_value=1000).map(str),
    st.sampled_from(["-0", "-0.0", "0e0", "1E2", "1e-400", "1e400", "-1e400", "NaN", "Infinity", "1.5e+2"]),
    st.text("0123456789", min_size=1, max_size=40).filter(lambda s: s == "0" or not s.startswith("0")),
)
TEXT = st.text(max_size=8).map(json.dumps) | st.sampled_from(['"jet"', '""', '"' + "x" * 201 + '"'])
TIME = (
    st.sampled_from(
        [
            '"2025-09-15T13:40:00Z"',
            '"2025-09-15T13:40:00+02:00"',
            '"2025-09-15T13:40:00"',
            '"1969-12-31T23:59:59Z"',
        ]
    )
    | TEXT
)
OTHER = st.sampled_from(["null", "true", "false", "[]", "{}", "[1.5]", '{"a": 1}'])


def _value(key: str) -> st.SearchStrategy[str]:
    if key == "t":
        return TIME | OTHER | NUMBER_TEXT
    if key == "kind":
        return st.sampled_from(['"acoustic"', '"acoustic"', '"acoustic"', '"report"', '"impact"']) | OTHER
    if key in ("sensor", "class"):
        return TEXT | OTHER | NUMBER_TEXT
    return NUMBER_TEXT | OTHER | TEXT


@st.composite
def lines(draw: st.DrawFn) -> str:
    """One line: a JSON object of acoustic fields (some missing, some odd), maybe an unknown key."""
    parts = []
    for key in FIELDS:
        if key in ("t", "kind") and draw(st.integers(0, 9)) == 0:
            continue
        if key not in ("t", "kind") and draw(st.integers(0, 5)) == 0:
            continue
        parts.append(f'"{key}": {draw(_value(key))}')
    if draw(st.integers(0, 9)) == 0:
        parts.append(f'"{draw(st.text(max_size=6))}": {draw(NUMBER_TEXT | OTHER)}')
    if draw(st.integers(0, 19)) == 0 and parts:  # a key twice: the last one counts
        parts.append(parts[draw(st.integers(0, len(parts) - 1))])
    return "{" + ", ".join(draw(st.permutations(parts))) + "}"


def _reference(line: str) -> AcousticDetection | str:
    """What the reference reader makes of a line: its event, or why it refused it."""
    try:
        obj = rules.load_json(line)
        if not isinstance(obj, dict):
            return "not a JSON object"
        event = event_from_dict(obj)
    except InvalidInput as exc:
        return str(exc)
    assert isinstance(event, AcousticDetection) or obj.get("kind") != "acoustic"
    return event if isinstance(event, AcousticDetection) else "other kind"


def _same(fast: AcousticDetection, reference: AcousticDetection | str) -> bool:
    if not isinstance(reference, AcousticDetection):
        return False
    for f in fields(AcousticDetection):
        a, b = getattr(fast, f.name), getattr(reference, f.name)
        if type(a) is not type(b) or a != b:
            return False
    return True


PLAIN = (
    '{"t": "2025-09-15T13:40:00Z", "kind": "acoustic", "sensor": "ac-1193", "lat": 36.37838, '
    '"lon": 38.33956, "class": "propeller", '
    '"confidence": 0.2, "bearing_deg": 142.7, "bearing_sigma_deg": 7.7}'
)


@WIDE
@given(lines())
@example(PLAIN)
@example(PLAIN.replace("142.7", "-10"))  # folded to 350.0, as the reference does
@example(PLAIN.replace("36.37838", "36"))  # an integer latitude: a float in the event
@example(PLAIN.replace("0.2", "100000000000000000000000"))  # past 2**64: orjson reads a float
@example(PLAIN.replace("7.7", "0"))  # a zero sigma is refused
@example(PLAIN.replace("142.7", "1e400"))  # overflow: the reference names the field
@example(PLAIN.replace('"propeller"', '""'))  # an empty class is "unknown"
@example(PLAIN.replace("0.2", "true"))  # a boolean is no number
@example(PLAIN.replace('"ac-1193"', "7"))  # nor a number a name
@example(PLAIN.replace("36.37838", '"36.37838"'))  # nor text a number
@example(PLAIN.replace('"kind": "acoustic"', '"kind": "acoustic", "x": 1'))  # an unknown key
def test_fast_path_declines_or_agrees(line: str) -> None:
    fast = fast_acoustic(line, {})
    reference = _reference(line)
    if fast is not None:
        assert _same(fast, reference), (line, fast, reference)


def test_fast_path_takes_the_plain_line() -> None:
    """The common line is taken (or the fast path would be no faster), and time texts are remembered."""
    times: dict[str, float] = {}
    event = fast_acoustic(PLAIN, times)
    assert event is not None and _same(event, _reference(PLAIN))
    assert times == {"2025-09-15T13:40:00Z": event.t}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines() | st.sampled_from(["", "not json", "[1]", PLAIN, '{"kind": "impact"}']), max_size=12))
def test_parse_events_equals_the_reference_reader(batch: list[str]) -> None:
    """Whole files: the same events in the same order, the same problems at the same lines."""
    got_problems, want_problems = Problems(), Problems()
    got = list(parse_events(batch, got_problems))
    want: list[tuple[int, Any]] = []
    for line_no, line in enumerate(batch, 1):
        if not line.strip():
            continue
        try:
            obj = rules.load_json(line)
            if not isinstance(obj, dict):
                want_problems.add("events", line_no, "not a JSON object")
                continue
            want.append((line_no, event_from_dict(obj)))
        except InvalidInput as exc:
            want_problems.add("events", line_no, exc.rule if exc.field == "JSON" else str(exc))
    assert got == want
    assert [(type(e.t), type(getattr(e, "lat", None))) for _, e in got] == [
        (type(e.t), type(getattr(e, "lat", None))) for _, e in want
    ]
    assert got_problems.items == want_problems.items
