"""The rules every input edge applies: HTTP, CAP, replay files, SMS and Telegram.

One set of rules, so that a value refused on one edge is refused on all of
them with the same words. Each check raises :class:`InvalidInput`, which
names the field and the rule; edges turn it into a 4xx answer or a
reported, skipped line. Nothing here does I/O.

Why the ranges are what they are:

- latitudes and longitudes are the WGS 84 ranges;
- a bearing or heading may be given in (-360, 720) and is folded into
  [0, 360) by the caller: some nodes report -10° for 350°, none report
  several turns;
- a bearing sigma is a standard deviation in degrees: above 0 (a zero or
  negative sigma would make a measurement infinitely certain or
  meaningless) and at most 180 (beyond that it says nothing);
- a count of aircraft is a whole number from 1 to :data:`MAX_COUNT`;
- JSON is nested at most :data:`MAX_JSON_DEPTH` deep (no event or alert
  is deeper than 4), and its numbers are finite: ``NaN``, ``Infinity``
  and literals that overflow a double (``1e400``) are refused.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_JSON_DEPTH = 32
MAX_COUNT = 200
MAX_SIGMA_DEG = 180.0
MAX_TEXT_CHARS = 4_000
LAT_RANGE = (-90.0, 90.0)
LON_RANGE = (-180.0, 180.0)
ANGLE_RANGE = (-360.0, 720.0)


class InvalidInput(ValueError):
    """A value that breaks one of the input rules; says which field and which rule."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


def _refuse_constant(name: str) -> float:
    raise InvalidInput("JSON", f"{name} is not a number JSON allows")


def _finite_literal(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidInput("JSON", f"number {text[:40]} is out of range")
    return value


# Built once: json.loads with options builds a new decoder per call, which costs more than a
# short line's parse (a replay parses every line).
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_literal)


def nesting_depth(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply ``text``'s JSON arrays and objects nest, counted up to ``limit + 1``.

    Brackets inside strings are skipped. This runs before parsing, so a
    deeply nested body is refused before the parser recurses into it.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _too_deep(text: str | bytes, limit: int) -> bool:
    """Whether ``text`` nests deeper than ``limit``.

    Text with at most ``limit`` opening brackets cannot, and is settled by
    counting them, on the text itself: a replay checks every line, and
    walking or encoding each one would cost more than the count.
    """
    if isinstance(text, str):
        opened = text.count("[") + text.count("{")
    else:
        opened = text.count(b"[") + text.count(b"{")
    return opened > limit and nesting_depth(text, limit) > limit


def load_json(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON by the input rules: bounded nesting, finite numbers only.

    Raises :class:`InvalidInput` for a body that breaks a rule and for one
    that is not JSON at all (the message says where).
    """
    if _too_deep(text, max_depth):
        raise InvalidInput("JSON", f"nested deeper than {max_depth} levels")
    try:
        if isinstance(text, bytes):  # as json.loads reads bytes: UTF-8, -16 or -32 by their first bytes
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        return _DECODER.decode(text)
    except InvalidInput as exc:
        raise InvalidInput(_where_not_finite(text) or exc.field, exc.rule) from exc
    except json.JSONDecodeError as exc:
        where = f"column {exc.colno}" if exc.lineno == 1 else f"line {exc.lineno} column {exc.colno}"
        raise InvalidInput("JSON", f"not JSON ({exc.msg}: {where})") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput("JSON", "not UTF-8 text") from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer literal of thousands of digits
        raise InvalidInput("JSON", f"not usable ({str(exc)[:80]})") from exc


def _where_not_finite(text: str | bytes) -> str | None:
    """The path (``eta_s``, ``sites[2].lat``) of the first number in ``text`` that is not finite.

    Run only after a refusal, so that the answer names the field: the strict
    decoder knows the literal it refused but not the key it stood under.
    """
    try:
        stack: list[tuple[str, Any]] = [("", json.loads(text))]
    except (ValueError, RecursionError):
        return None
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return path or None
        if isinstance(value, dict):
            items = [(f"{path}.{k}" if path else str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(items))  # depth first, in document order
    return None


def dumps(obj: Any) -> str:
    """Serialise to JSON, refusing NaN and Infinity (``ValueError``) rather than writing them."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def finite(value: Any, field: str, lo: float | None = None, hi: float | None = None) -> float:
    """``value`` as a finite float within ``[lo, hi]``; strings and booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(field, f"must be a number, not {type(value).__name__}")
    try:
        out = float(value)
    except OverflowError as exc:
        raise InvalidInput(field, "number out of range") from exc
    if not math.isfinite(out):
        raise InvalidInput(field, "must be a finite number")
    if lo is not None and out < lo:
        raise InvalidInput(field, f"out of range: must be at least {lo:g} (got {out:g})")
    if hi is not None and out > hi:
        raise InvalidInput(field, f"out of range: must be at most {hi:g} (got {out:g})")
    return out


def positive(value: Any, field: str, hi: float | None = None) -> float:
    """A finite number above zero (and at most ``hi``)."""
    out = finite(value, field, None, hi)
    if out <= 0:
        raise InvalidInput(field, f"must be above 0 (got {out:g})")
    return out


def whole(value: Any, field: str, lo: int, hi: int) -> int:
    """A whole number within ``[lo, hi]`` (``3.0`` is taken as 3; ``3.5`` and ``"3"`` are refused)."""
    out = finite(value, field, lo, hi)
    if out != int(out):
        raise InvalidInput(field, f"must be a whole number (got {out:g})")
    return int(out)


def latitude(value: Any, field: str = "lat") -> float:
    """A WGS 84 latitude in degrees."""
    return finite(value, field, *LAT_RANGE)


def longitude(value: Any, field: str = "lon") -> float:
    """A WGS 84 longitude in degrees."""
    return finite(value, field, *LON_RANGE)


def angle(value: Any, field: str) -> float:
    """A bearing or heading in degrees, folded into [0, 360)."""
    return finite(value, field, *ANGLE_RANGE) % 360.0


def sigma_deg(value: Any, field: str = "bearing_sigma_deg") -> float:
    """An angular standard deviation: above 0, at most :data:`MAX_SIGMA_DEG`."""
    return positive(value, field, MAX_SIGMA_DEG)


def count(value: Any, field: str = "count") -> int:
    """How many aircraft: 1 to :data:`MAX_COUNT`."""
    return whole(value, field, 1, MAX_COUNT)


def text(value: Any, field: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """A string of at most ``max_chars`` characters; other JSON types are refused."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be text, not {type(value).__name__}")
    if len(value) > max_chars:
        raise InvalidInput(field, f"longer than {max_chars} characters")
    return value


def optional_text(value: Any, field: str, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """:func:`text`, or ``None`` when the value is absent."""
    return None if value is None else text(value, field, max_chars)


def within(t: float, now: float, field: str, before_s: float, after_s: float) -> float:
    """A time (POSIX seconds) no more than ``before_s`` before and ``after_s`` after ``now``."""
    t = finite(t, field)
    if t < now - before_s:
        raise InvalidInput(field, f"{now - t:.0f} s before now; at most {before_s:.0f} s is allowed")
    if t > now + after_s:
        raise InvalidInput(field, f"{t - now:.0f} s after now; at most {after_s:.0f} s is allowed")
    return t


def _orientation(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _segments_cross(
    p1: tuple[float, float], p2: tuple[float, float], q1: tuple[float, float], q2: tuple[float, float]
) -> bool:
    """Whether two segments touch or cross (collinear overlaps count)."""
    d1, d2 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    d3, d4 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True

    def on(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: float) -> bool:
        return (
            d == 0
            and min(a[0], b[0]) <= c[0] <= max(a[0], b[0])
            and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])
        )

    return on(q1, q2, p1, d1) or on(q1, q2, p2, d2) or on(p1, p2, q1, d3) or on(p1, p2, q2, d4)


def polygon_ring(coordinates: Any, field: str = "geometry.coordinates") -> tuple[tuple[float, float], ...]:
    """A GeoJSON linear ring: ``[lon, lat]`` pairs, closed, at least 4 positions, simple, with area.

    Returns the ring without its closing position. Refused: a ring that is
    not closed, has fewer than three distinct corners, crosses itself (a
    bowtie), has a coordinate out of range, or encloses no area.
    """
    if not isinstance(coordinates, list) or len(coordinates) < 4:
        raise InvalidInput(field, "a polygon ring needs at least 4 positions (3 corners and the closing one)")
    points: list[tuple[float, float]] = []
    for i, position in enumerate(coordinates):
        if not isinstance(position, list) or len(position) < 2:
            raise InvalidInput(f"{field}[{i}]", "a position is [lon, lat]")
        points.append((longitude(position[0], f"{field}[{i}][0]"), latitude(position[1], f"{field}[{i}][1]")))
    if points[0] != points[-1]:
        raise InvalidInput(field, "the ring is not closed (its last position must repeat its first)")
    ring = points[:-1]
    if len(set(ring)) != len(ring):
        raise InvalidInput(field, "the ring visits a corner twice")
    n = len(ring)
    for i in range(n):
        a, b = ring[i], ring[(i + 1) % n]
        for j in range(i + 1, n):
            if j == i or (j + 1) % n == i or j == (i + 1) % n:
                continue  # neighbouring edges share a corner by construction
            if _segments_cross(a, b, ring[j], ring[(j + 1) % n]):
                raise InvalidInput(field, "the ring crosses itself")
    area2 = sum(ring[i][0] * ring[(i + 1) % n][1] - ring[(i + 1) % n][0] * ring[i][1] for i in range(n))
    if area2 == 0:
        raise InvalidInput(field, "the ring encloses no area")
    return tuple(ring)
