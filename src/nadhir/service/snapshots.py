"""An engine's snapshot: its pipeline and stepper, and the stream sequence they cover.

The active engine of a region writes one every few seconds to the JetStream
object store; a new leader loads the last one and reads the stream on from the
sequence after it, so that it is where its predecessor was within seconds, with
the same tracks, episodes and trust, and derives the same alerts (with the same
keys) as its predecessor did or would have.

The bytes are a magic line, the format version, and a pickle. Pickle is used
because the pipeline is a graph of plain objects (trackers, filters, policies)
that it copies whole and fast (tens of milliseconds for a region); it is read
only from the cluster's own NATS, which only the cluster's processes may write
(an attacker who can write there can already feed the engines anything). A
snapshot of another format version, or one that does not load, is not used:
the new leader starts from the stream's beginning instead (slower, not wrong).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field

from nadhir.domain import Event
from nadhir.engine.pipeline import Pipeline
from nadhir.engine.stepper import ReplaySummary
from nadhir.service.operator import HeldCancel

MAGIC = b"NADHIR-ENGINE-SNAPSHOT\n"
FORMAT = 8  # 2: the impact watch, explosion locator and forward folder keep new state (issue 16);
# 3: the cancels held for their undo window; 4: the alert policy keeps the sites' recent history
# (and may hold a siren model) for the siren model (issue 17); 5: a track keeps its existence
# between evidence, and whether it is certain (issue 16); 6: the impact watch keeps where each
# report placed the strike and how, and the policy reads it (issue 17, second round); 7: the impact
# watch keeps its sites' places in arrays (issue 16); 8: the corroboration keeps each track path's
# bounding box as a PathBox (issue 16)


class SnapshotError(ValueError):
    """The bytes are not a snapshot this version can use."""


@dataclass
class EngineSnapshot:
    """What a new leader needs to go on where the last one was."""

    region: str
    seq: int  # the last stream sequence processed into this state
    pipeline: Pipeline
    clock: float | None  # the stepper's clock
    summary: ReplaySummary
    held: list[Event]  # events of the last time stamp, not yet processed (Stepper.held)
    sounded: dict[str, bool]  # the alert router's sirens sounding, per site
    stream_time: float | None  # the latest time the region's stream has shown
    taken_at: float  # wall time
    held_cancels: dict[str, HeldCancel] = field(default_factory=dict)  # due on the wall clock (POSIX)
    format: int = FORMAT


def dumps(snapshot: EngineSnapshot) -> bytes:
    """The snapshot's bytes."""
    return MAGIC + pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> EngineSnapshot:
    """The snapshot in ``data``; SnapshotError if it is not one of this format."""
    if not data.startswith(MAGIC):
        raise SnapshotError("not an engine snapshot")
    try:
        snapshot = pickle.loads(data[len(MAGIC) :])
    except Exception as exc:
        raise SnapshotError(f"the snapshot does not load: {type(exc).__name__}: {exc}") from exc
    if not isinstance(snapshot, EngineSnapshot) or snapshot.format != FORMAT:
        raise SnapshotError(
            f"snapshot format {getattr(snapshot, 'format', '?')}, this version reads {FORMAT}"
        )
    return snapshot
