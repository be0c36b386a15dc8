"""Events far out of time order: found and set aside before they move a replay's clock.

A replay's clock goes forward only: an event stamped before the clock is
processed at the clock's time, "late", as a live system would on a late
arrival. That is right for an event a few seconds out of order, and ruinous
for one whose clock was wrong: a single line a year ahead moves the clock a
year on, and every line after it, the whole rest of the file, is then late
and processed at that one instant (issue 13: 116 alert lines instead of 378,
without a word).

The rule: an event is *suspect*, reported with its line number and set
aside, when its time is more than :data:`SUSPECT_SKEW_S` ahead of the median
time of the :data:`NEIGHBOURS` events that follow it, or more than that
behind the median time of the :data:`NEIGHBOURS` events before it that were
kept. Why this rule:

- It looks both ways. Ahead is judged against what follows, because an event
  ahead of everything after it is exactly what would make the following
  events late; behind is judged against what came before. So the first line
  of a file can be judged (by the lines after it), and the last one too.
- A median of many neighbours is robust: one bad line, or a cluster of up to
  half of :data:`NEIGHBOURS`, cannot move it, so a suspect line is judged
  against the good ones around it and does not shift what counts as late for
  the lines after it. A running clock or a mean would be dragged along.
- Few events follow the last lines of a file, and one bad line among them is
  their median; so an event within :data:`SUSPECT_SKEW_S` of the last event
  kept is never *ahead*, whatever the events after it say (the events kept are
  all good, so a line ahead of them stands out against the last one).
- Sorted input is never suspect, whatever its gaps: an event is never ahead
  of events that follow it nor behind events before it. A file with a gap of
  hours or years between two runs of events keeps every event (the replay
  jumps the gap, see :mod:`nadhir.engine.stepper`), and the public
  scenarios, all sorted, replay exactly as before.
- Events a little out of order (less than :data:`SUSPECT_SKEW_S`) stay late
  arrivals, processed on arrival as before.

Looking ahead holds :data:`NEIGHBOURS` events back before the first is
passed on; a replay runs in simulated time, so nothing waits for them.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from nadhir.domain import Event
from nadhir.domain.timefmt import format_time

# More out of order than this is a wrong clock, not a late delivery: ten minutes is far beyond any
# network or queue delay, and an aircraft covers 40 km or more in it.
SUSPECT_SKEW_S = 600.0
NEIGHBOURS = 32  # events each way whose median time an event is judged against

SuspectSink = Callable[[int, str], None]


def set_aside_suspects(
    events: Iterable[tuple[int, Event]],
    on_suspect: SuspectSink,
    neighbours: int = NEIGHBOURS,
    skew_s: float = SUSPECT_SKEW_S,
) -> Iterator[tuple[int, Event]]:
    """Pass ``(line_no, event)`` on in order, less the suspect ones (told to ``on_suspect(line_no, why)``)."""
    source = iter(events)
    ahead: deque[tuple[int, Event]] = deque()
    ahead_times: list[float] = []  # the times in ``ahead``, sorted
    kept: deque[float] = deque()
    kept_times: list[float] = []  # the times in ``kept``, sorted

    def pull() -> None:
        for item in source:
            ahead.append(item)
            insort(ahead_times, item[1].t)
            return

    for _ in range(neighbours + 1):
        pull()
    while ahead:
        line_no, event = ahead.popleft()
        t = event.t
        del ahead_times[bisect_left(ahead_times, t)]
        pull()
        ahead_by = t - ahead_times[len(ahead_times) // 2] if ahead_times else 0.0
        behind_by = kept_times[len(kept_times) // 2] - t if kept_times else 0.0
        # Near the end of a file few events follow, and one bad line among them is their median:
        # an event that follows on from the last one kept is not ahead, whatever that median says.
        if ahead_by > skew_s and (not kept or t - kept[-1] > skew_s):
            on_suspect(line_no, _suspect(t, f"{_duration(ahead_by)} ahead of the events after it"))
            continue
        if behind_by > skew_s:
            on_suspect(line_no, _suspect(t, f"{_duration(behind_by)} behind the events before it"))
            continue
        kept.append(t)
        insort(kept_times, t)
        if len(kept) > neighbours:
            del kept_times[bisect_left(kept_times, kept.popleft())]
        yield line_no, event


def _suspect(t: float, how_far: str) -> str:
    return f"t {format_time(t)} is {how_far}; set aside as suspect (a wrong clock at the source?)"


def _duration(seconds: float) -> str:
    """A rough, readable length of time: '14 min', '3.5 h', '365 days'."""
    if seconds < 3_600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86_400:
        return f"{seconds / 3_600:.1f} h"
    return f"{seconds / 86_400:.0f} days"
