"""The event reader against arbitrary input (hypothesis): it never raises, and no line goes unaccounted.

Bounded for CI: a hundred examples each, a few seconds each.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nadhir.domain import AcousticDetection, Event, Impact, Problems, Report
from nadhir.domain.formats.events import event_from_dict, parse_events
from nadhir.domain.formats.scenario import read_lines
from nadhir.domain.formats.timeline import SUSPECT_SKEW_S, set_aside_suspects
from nadhir.domain.validation import InvalidInput

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FIELDS = [
    "t", "kind", "reporter", "sensor", "channel", "text", "aircraft", "count", "lat", "lon", "place",
    "heading_deg", "heading", "origin", "class", "confidence", "bearing_deg", "bearing_sigma_deg",
]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        ["report", "acoustic", "impact", "2025-05-02T03:05:44Z", "0001-01-01T00:00:00Z", 10**400]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
    max_leaves=6,
)
# Literals that json.dumps does not write but a file may hold: each went through the old reader.
NASTY = [
    "Infinity",
    "-Infinity",
    "NaN",
    "1e400",
    "-1e308",
    "9" * 5000,
    '"35.9"',
    '"abc"',
    "[]",
    "{}",
    "-5",
    "0",
]
NASTY_LINES = st.builds(
    lambda kind, name, literal: f'{{"t": "2025-05-02T03:05:44Z", "kind": "{kind}", "{name}": {literal}}}',
    st.sampled_from(["report", "acoustic", "impact"]),
    st.sampled_from(FIELDS),
    st.sampled_from(NASTY),
)
EVENTS = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["report", "acoustic", "impact"]) | SCALARS,
        "t": st.just("2025-05-02T03:05:44Z") | SCALARS,
    },
    optional={name: VALUES for name in FIELDS if name not in ("kind", "t")},
)


def _json_line(obj: Any) -> str:
    return json.dumps(obj, allow_nan=True)  # NaN and Infinity literals too: the reader must refuse them


LINES = st.one_of(
    NASTY_LINES,
    EVENTS.map(_json_line),
    VALUES.map(_json_line),
    st.text(max_size=80),
    EVENTS.map(_json_line).map(lambda s: s[: len(s) // 2]),  # cut short
    st.integers(1, 300).map(lambda n: '{"kind": "report", "x": ' + "[" * n + "]" * n + "}"),
)


def _check_event(event: Event) -> None:
    """What the reader lets in is in the ranges the rules give."""
    assert math.isfinite(event.t)
    if isinstance(event, AcousticDetection):
        assert -90 <= event.lat <= 90 and -180 <= event.lon <= 180
        assert 0 <= event.confidence <= 1
        assert event.bearing_deg is None or 0 <= event.bearing_deg < 360
        assert event.bearing_sigma_deg is None or 0 < event.bearing_sigma_deg <= 180
    elif isinstance(event, Report):
        assert event.count is None or 1 <= event.count <= 200
        assert event.heading_deg is None or 0 <= event.heading_deg < 360
        for text in (event.reporter, event.text, event.place, event.aircraft, event.channel):
            assert text is None or isinstance(text, str)
    else:
        assert isinstance(event, Impact) and (event.lat is not None or event.place is not None)


@FUZZ
@given(st.lists(LINES, max_size=6))
def test_every_line_becomes_an_event_or_a_problem(lines: list[str]) -> None:
    text = "".join(line.replace("\n", " ").replace("\r", " ") + "\n" for line in lines)
    problems = Problems()
    events = list(parse_events(text.splitlines(keepends=True), problems, "fuzz"))
    for _, event in events:
        _check_event(event)
    accounted = sorted([n for n, _ in events] + [p.line for p in problems.items])
    assert accounted == [i for i, line in enumerate(text.splitlines(), 1) if line.strip()]


@FUZZ
@given(EVENTS)
def test_event_from_dict_raises_only_invalid_input(obj: dict[str, Any]) -> None:
    try:
        event = event_from_dict(obj)
    except InvalidInput:
        return
    _check_event(event)


@FUZZ
@given(st.binary(max_size=400), st.booleans())
def test_arbitrary_bytes_in_an_events_file(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, gz: bool
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / ("events.jsonl.gz" if gz else "events.jsonl")
    path.write_bytes(data)
    problems = Problems()
    events = list(parse_events(read_lines(path, problems), problems, path.name))
    assert all(n >= 1 for n, _ in events)


@pytest.mark.parametrize(
    "packed",
    [
        gzip.compress(b"a\nbb\n", mtime=0) + gzip.compress(b"ccc\n", mtime=0),  # two members
        gzip.compress(b"a\nbb\n" * 20_000, mtime=0) + b"\0" * 9,  # zero padding after the stream
        gzip.compress(b"no newline at the end", mtime=0),
    ],
)
def test_the_gzip_reader_reads_what_gzip_reads(tmp_path: Path, packed: bytes) -> None:
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(packed)
    problems = Problems()
    assert "".join(read_lines(path, problems)) == gzip.decompress(packed).decode()
    assert not problems.items


def test_bytes_after_the_stream_that_are_not_gzip_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(b"a\nb\n", mtime=0) + b"junk")
    problems = Problems()
    assert list(read_lines(path, problems)) == ["a\n", "b\n"]
    assert [(p.line, "not gzip data" in p.reason) for p in problems.items] == [(3, True)]


def test_a_file_that_is_not_gzip_at_all_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(b'{"t": "2025-05-02T03:05:44Z"}\n')
    problems = Problems()
    assert list(read_lines(path, problems)) == []
    assert len(problems) == 1 and "corrupt" in problems.items[0].reason


def _stamped(times: list[float]) -> list[tuple[int, Event]]:
    return [(i, Impact(t=t, reporter="r", place="p")) for i, t in enumerate(times, 1)]


TIMES = st.floats(min_value=1.7e9, max_value=1.8e9)


@FUZZ
@given(st.lists(TIMES, max_size=80))
def test_sorted_events_are_never_suspect_whatever_their_gaps(times: list[float]) -> None:
    suspects: list[int] = []
    kept = list(set_aside_suspects(_stamped(sorted(times)), lambda n, _why: suspects.append(n)))
    assert not suspects and len(kept) == len(times)


@FUZZ
@given(st.lists(TIMES, max_size=80))
def test_every_event_is_kept_or_set_aside_in_order(times: list[float]) -> None:
    suspects: list[int] = []
    kept = [n for n, _ in set_aside_suspects(_stamped(times), lambda n, _why: suspects.append(n))]
    assert kept == sorted(kept) and sorted(kept + suspects) == list(range(1, len(times) + 1))


def test_the_line_before_a_last_line_far_behind_is_kept() -> None:
    # Found by the property below: the one line after it was its look-ahead's median, so the good
    # line was judged "ahead" of a bad one and set aside with it.
    times = [1.746e9 + 30.0 * k for k in range(60)]
    times[-1] -= SUSPECT_SKEW_S + 32 * 60.0
    suspects: list[int] = []
    kept = list(set_aside_suspects(_stamped(times), lambda n, _why: suspects.append(n)))
    assert suspects == [60] and len(kept) == 59


FAR = SUSPECT_SKEW_S + 32 * 60.0  # beyond the skew even against neighbours spread a minute apart


@FUZZ
@given(
    st.lists(st.floats(0, 60), min_size=40, max_size=80),
    st.integers(0, 79),
    st.floats(FAR, 1e8) | st.floats(-1e8, -FAR),
)
def test_one_event_far_out_of_order_is_set_aside_and_nothing_else(
    steps: list[float], where: int, skew: float
) -> None:
    times = [1.746e9 + t for t in itertools.accumulate(steps)]
    where = where % len(times)
    times[where] += skew
    suspects: list[int] = []
    kept = list(set_aside_suspects(_stamped(times), lambda n, _why: suspects.append(n)))
    # The first moved earlier, or the last moved later, is still in order: kept, and harmless.
    expected = [] if times == sorted(times) else [where + 1]
    assert suspects == expected and len(kept) == len(times) - len(expected)
