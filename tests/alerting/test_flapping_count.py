"""The counts of ``benchmarks/flapping.py``: re-alerts after an all-clear, and updates."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def flapping() -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # its sibling modules are imported by name
    return importlib.import_module("flapping")


def line(t: str, action: str, site: str = "town", track: str | None = "T1") -> dict[str, Any]:
    return {"t": f"2025-05-02T03:{t}Z", "action": action, "site": site, "track": track}


def test_re_alerts_are_counted_within_the_window_and_by_track() -> None:
    lines = [
        line("00:00", "alert"),
        line("01:00", "update"),
        line("02:00", "update"),
        line("04:00", "all_clear"),
        line("05:07", "alert", track=None),  # 67 s later: a re-alert, not naming the track
        line("06:00", "all_clear", track=None),
        line("06:30", "alert", site="other"),  # another site: no re-alert
        line("11:00", "alert", track=None),  # 5 min after the all-clear: still one
        line("12:00", "all_clear", track="T2"),
        line("17:01", "alert", track="T2"),  # 5 min 1 s after: none
        line("18:00", "all_clear", track="T2"),
        line("19:00", "alert", track="T2"),  # same track
    ]
    f = flapping().flaps(lines, within_s=300.0)
    assert (f.lines, f.episodes, f.updates) == (12, 6, 2)
    assert (f.realerts, f.realerts_same_track) == (3, 1)
