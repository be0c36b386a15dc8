"""The shared input rules: every edge refuses the same values with the same words."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadhir.domain import validation as v
from nadhir.domain.validation import InvalidInput


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"lat": NaN}', "NaN"),
        ('{"lat": Infinity}', "Infinity"),
        ('{"lat": -Infinity}', "-Infinity"),
        ('{"count": 1e400}', "out of range"),
        ('{"count": ' + "9" * 5000 + "}", "not usable"),
        ("[" * 200 + "]" * 200, "nested deeper"),
        ('{"a": "' + "[" * 200 + '"}', None),  # brackets inside a string are text, not nesting
        ("{oops", "not JSON"),
    ],
)
def test_load_json_refuses_what_breaks_a_rule(body: str, words: str | None) -> None:
    if words is None:
        assert v.load_json(body) == {"a": "[" * 200}
        return
    with pytest.raises(InvalidInput, match=words) as info:
        v.load_json(body)
    assert info.value.field in ("JSON", "lat", "count")  # the key, where the value stood under one


@pytest.mark.parametrize(
    ("check", "value", "rule"),
    [
        (v.latitude, "36.1", "must be a number, not str"),
        (v.latitude, 200.0, "at most 90"),
        (v.latitude, True, "must be a number, not bool"),
        (v.count, 1e308, "at most 200"),
        (v.count, -5, "at least 1"),
        (v.count, 2.5, "whole number"),
        (v.sigma_deg, 0, "above 0"),
        (v.sigma_deg, -5, "above 0"),
        (v.sigma_deg, 1e308, "at most 180"),
    ],
)
def test_field_rules_name_the_rule(check, value, rule) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=rule):
        check(value)


def test_finite_refuses_huge_integers_that_overflow_a_double() -> None:
    with pytest.raises(InvalidInput, match="out of range"):
        v.finite(10**400, "eta_s")


def test_angles_fold_and_dumps_refuses_nan() -> None:
    assert v.angle(-10.0, "bearing_deg") == 350.0
    with pytest.raises(ValueError):
        v.dumps({"eta_s": math.nan})


@pytest.mark.parametrize(
    ("ring", "rule"),
    [
        ([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]], "crosses itself"),  # bowtie
        ([[0, 0], [1, 0], [1, 1], [0, 1]], "not closed"),
        ([[0, 0], [1, 0], [1, 200], [0, 0]], "at most 90"),
        ([[0, 0], [1, 0], [2, 0], [0, 0]], "crosses itself|no area"),
        ([[0, 0], [1, 0], [0, 0]], "at least 4"),
    ],
)
def test_polygon_rings_must_be_simple_closed_and_in_range(ring: list[list[float]], rule: str) -> None:
    with pytest.raises(InvalidInput, match=rule):
        v.polygon_ring(ring)


def test_a_good_ring_comes_back_open() -> None:
    assert v.polygon_ring([[36.6, 35.9], [36.7, 35.9], [36.7, 36.0], [36.6, 36.0], [36.6, 35.9]]) == (
        (36.6, 35.9),
        (36.7, 35.9),
        (36.7, 36.0),
        (36.6, 36.0),
    )


@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(), c, max_size=4),
                    max_leaves=30))  # fmt: skip
def test_load_json_answers_every_value_with_a_value_or_invalid_input(obj: object) -> None:
    body = json.dumps(obj)
    try:
        out = v.load_json(body)
    except InvalidInput:
        return
    assert v.dumps(out) is not None  # whatever is let in serialises again without NaN
