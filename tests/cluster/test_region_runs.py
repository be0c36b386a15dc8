"""The engines write their region's run (events, track states, alerts), which the console's
``GET /api/v1/runs`` and the replay viewer's ``GET /api/v1/runs/{id}`` read; a takeover after a
kill -9 continues the same run, without a row written twice or one missing.

Against a nats-server of the test's own and a fresh PostgreSQL database, on the rig of cluster_rig.py.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_helpers import NatsServer
from cluster_rig import Rig, auth, make_rig, one_process

from nadhir.store import Store


@pytest.fixture
def rig(nats: NatsServer, pg_url: str, tmp_path: Path) -> Iterator[Rig]:
    with make_rig(nats, pg_url, tmp_path) as made:
        yield made


def test_a_region_run_is_written_by_its_engines_and_continued_after_a_takeover(rig: Rig) -> None:
    first = rig.start_engine("engine-0")
    rig.wait_active()
    rig.start_engine("engine-1")
    half = len(rig.events) // 2
    before, after = rig.events[:half], rig.events[half:]
    rig.wait_processed(rig.feed(before))
    status = rig.status()
    assert status is not None and status["run_written_seq"] == status["seq"] == half
    assert status["snapshot_seq"] < half  # the successor reads the written part of the stream again
    os.kill(first, signal.SIGKILL)
    successor = rig.wait_active(not_pid=first)
    end = rig.events[-1].t + 1800.0
    rig.feed(after)
    done = rig.wait_processed(rig.clock(end), timeout=120.0)
    assert successor["pid"] != first and done["run"] == status["run"]

    alerts, tracks = one_process(rig.scenario, before, after, end, None)
    with rig.console() as client:
        runs = client.get("/api/v1/runs", headers=auth("viewer"))
        assert runs.status_code == 200, runs.text
        (run,) = runs.json()
        assert (run["id"], run["name"], run["finished_at"]) == (status["run"], "live all", None)
        replay = client.get(f"/api/v1/runs/{run['id']}", headers=auth("viewer"))
        assert replay.status_code == 200, replay.text
        body = replay.json()
    assert len(body["sites"]) == len(rig.scenario.sites)
    stored = [(a["t_s"], a["action"], a["site"], a["level"], a["track"]) for a in body["alerts"]]
    assert sorted(stored, key=str) == sorted(
        ((a.t, a.action, a.site, a.level, a.track) for a in alerts), key=str
    )
    shown = Counter((s["t"], s["track"]) for s in body["tracks"])
    assert shown == Counter((s.t, s.track) for s in tracks)  # none twice, none missing
    store = Store.open(rig.db, migrate=False)
    try:
        events = store.events(run["id"])
    finally:
        store.close()
    assert sorted(e.t for e in events) == sorted(e.t for e in rig.events)
