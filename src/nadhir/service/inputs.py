"""The live inputs panel's facts: each report or detection as it came in, and how it was read.

:class:`ReadingInterpreter` sits in the pipeline in place of its report
interpreter and hands each reading on as it is made (the reading is made once,
by the pipeline; this only passes it on). :func:`input_view` is one input as
the feed's ``input`` message and the snapshot carry it: the raw text, the
source and its trust, and what the service made of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nadhir.domain import AcousticDetection, Impact, Observation, Report
from nadhir.intake.interpreter import Rejected, ReportInterpreter

Reading = Observation | Rejected
# Reports from a track's sources this long before the track began count as its first word of it.
FIRST_INPUT_WINDOW_S = 15 * 60.0


class ReadingInterpreter(ReportInterpreter):
    """The pipeline's report interpreter, unchanged, telling ``on_read`` what it made of each report."""

    def __init__(self, inner: ReportInterpreter, on_read: Callable[[Report, Reading], None]) -> None:
        # No super().__init__: every call goes to ``inner``, which keeps the state (trust, forwards).
        self._inner = inner
        self._on_read = on_read

    @property
    def inner(self) -> ReportInterpreter:
        """The pipeline's own interpreter, which this passes every call to."""
        return self._inner

    def __reduce__(self) -> tuple[Any, ...]:
        # A snapshot of the pipeline (service/snapshots.py) keeps the interpreter's state, never the
        # live service it reports to (a bound method of a core, with its locks): it pickles as the
        # inner interpreter, and the core that restores the snapshot wraps it again.
        return (_unwrapped, (self._inner,))

    def interpret(self, report: Report) -> Reading:
        """``inner``'s reading of the report, passed on to ``on_read`` as well."""
        reading = self._inner.interpret(report)
        self._on_read(report, reading)
        return reading


def _unwrapped(inner: ReportInterpreter) -> ReportInterpreter:
    return inner


def _num(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None and math.isfinite(value) else None


def reading_view(reading: Reading | None) -> dict[str, Any] | None:
    """How a report was read: the fields the tracker got, or why it got none."""
    if reading is None:
        return None
    if isinstance(reading, Rejected):
        return {"rejected": reading.reason}
    return {
        "aircraft": reading.aircraft,
        "aircraft_confidence": _num(reading.aircraft_confidence, 2),
        "count": reading.count,
        "lat": _num(reading.lat, 4),
        "lon": _num(reading.lon, 4),
        "sigma_m": _num(reading.sigma_m, 0),
        "heading_deg": _num(reading.heading_deg, 0),
        "action": reading.action,
        "toward": reading.toward_id,
        "origin": reading.origin_id,
        "credited_to": reading.source,
    }


def input_view(
    event: Report | AcousticDetection | Impact,
    source: str,
    source_kind: str,
    trust: float,
    reading: Reading | None,
    rejected: str | None,
) -> dict[str, Any]:
    """One input as the inputs panel shows it (``rejected``: why the pipeline set it aside)."""
    view: dict[str, Any] = {"t": event.t, "source": source, "source_kind": source_kind,
                            "trust": round(trust, 3), "rejected": rejected}  # fmt: skip
    if isinstance(event, Report):
        view.update(kind="report", text=event.text, channel=event.channel, read=reading_view(reading))
        given = {
            k: getattr(event, k) for k in ("aircraft", "place", "heading", "lat", "lon", "count", "origin")
        }
        view["fields"] = {k: v for k, v in given.items() if v is not None}
        if isinstance(reading, Rejected) and rejected is None:
            view["rejected"] = reading.reason
    elif isinstance(event, AcousticDetection):
        view.update(kind="acoustic", text=None,
                    read={"sound": event.sound_class, "confidence": _num(event.confidence, 2),
                          "bearing_deg": _num(event.bearing_deg, 0),
                          "bearing_sigma_deg": _num(event.bearing_sigma_deg, 0)})  # fmt: skip
    else:
        view.update(kind="impact", text=None, read={"place": event.place, "lat": _num(event.lat, 4),
                                                    "lon": _num(event.lon, 4)})  # fmt: skip
    return view
