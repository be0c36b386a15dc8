"""Operator actions in the cluster: the console role asks, the region's active engine (a process of
its own) carries them out at their place in the stream and answers; a standby that takes over after
a kill -9 derives them again; a track's cancel is held for its undo window in every region; with
two regions, a site's action goes to its own region and a test alarm everywhere to every region; with
no engine, the console answers 503 and audits the failure.

Against a nats-server of the test's own and a fresh PostgreSQL database (see conftest.py), on the rig
of cluster_rig.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import nats as nats_client
import pytest
from cluster_helpers import NatsServer
from cluster_rig import (
    OPEN_AT_S,
    OPERATOR,
    SCENARIO,
    SITE,
    Rig,
    auth,
    make_rig,
    one_process,
    until,
    view,
    wait,
)

from nadhir.domain.formats.scenario import load_scenario
from nadhir.service.settings import RegionSpec
from nadhir.service.stream_actions import read_reply


@pytest.fixture
def rig(nats: NatsServer, pg_url: str, tmp_path: Path) -> Iterator[Rig]:
    with make_rig(nats, pg_url, tmp_path) as made:
        yield made


def test_confirm_and_cancel_through_the_console_reach_the_engine(rig: Rig) -> None:
    rig.start_engine("engine-0")
    rig.wait_active()
    before, _ = until(rig.events, OPEN_AT_S)
    rig.wait_processed(rig.feed(before))
    with rig.console() as client:
        confirmed = client.post(f"/api/v1/operator/sites/{SITE}/confirm", headers=OPERATOR,
                                content=json.dumps({"note": "seen from the roof"}))  # fmt: skip
        assert confirmed.status_code == 200, confirmed.text
        body = confirmed.json()
        assert (body["action"], body["site"], body["by"]) == ("confirm", SITE, "operator:olga")
        assert body["t"] == max(e.t for e in before)  # the region's time: the stream's
        (update,) = body["alerts"]
        assert (update["action"], update["site"], update["confidence"]) == ("update", SITE, 1.0)
        assert update["site_name"] == "Sarmada"

        cancelled = client.post(f"/api/v1/operator/sites/{SITE}/cancel", headers=OPERATOR)
        assert cancelled.status_code == 200, cancelled.text
        assert [(a["action"], a["site"]) for a in cancelled.json()["alerts"]] == [("all_clear", SITE)]

        again = client.post(f"/api/v1/operator/sites/{SITE}/cancel", headers=OPERATOR)
        assert again.status_code == 409 and "no alert" in again.json()["detail"]
        unknown = client.post("/api/v1/operator/sites/atlantis/confirm", headers=OPERATOR)
        assert unknown.status_code == 404

        # The console mirrors the engine's operator log from the feed.
        def logged() -> bool:
            log = client.get("/api/v1/operator/log", headers=auth("viewer")).json()
            return [e["action"] for e in log if e["site"] == SITE] == ["confirm", "cancel"]

        wait(logged, 10.0, "the operator log on the console", rig.cluster)

    stored = rig.outbox(SITE)
    assert [(action, level) for _, action, level, _ in stored] == [
        ("alert", "early"), ("update", "early"), ("all_clear", "early")
    ]  # fmt: skip
    rows = [(r.action, r.target, r.result) for r in rig.audit()]
    assert rows == [("confirm", SITE, "accepted"), ("cancel", SITE, "accepted"), ("cancel", SITE, "refused"),
                    ("confirm", "atlantis", "refused")]  # fmt: skip
    accepted = rig.audit()[0]
    assert accepted.who == "operator:olga" and accepted.detail["note"] == "seen from the roof"
    assert accepted.detail["alerts"][0]["action"] == "update"


def test_a_cancel_survives_a_kill_9_of_the_active_engine(rig: Rig) -> None:
    first = rig.start_engine("engine-0")
    rig.wait_active()
    rig.start_engine("engine-1")
    before, after = until(rig.events, OPEN_AT_S)
    rig.wait_processed(rig.feed(before))
    with rig.console() as client:
        cancelled = client.post(f"/api/v1/operator/sites/{SITE}/cancel", headers=OPERATOR)
        assert cancelled.status_code == 200, cancelled.text
    assert int(rig.status()["snapshot_seq"]) < len(before)  # type: ignore[index]  # not in a snapshot
    os.kill(first, signal.SIGKILL)
    successor = rig.wait_active(not_pid=first)
    assert successor["pid"] != first
    end = rig.events[-1].t + 1800.0
    rig.feed(after)
    rig.wait_processed(rig.clock(end), timeout=120.0)

    expected = view(one_process(rig.scenario, before, after, end, "cancel")[0], SITE)
    without = view(one_process(rig.scenario, before, after, end, None)[0], SITE)
    assert expected != without  # the cancel changes what follows at the site: the test can fail
    assert rig.outbox(SITE) == expected
    # The successor applied the action again without answering it again, nor auditing it twice.
    assert [(r.action, r.result) for r in rig.audit()] == [("cancel", "accepted")]


def test_an_action_no_engine_answers_is_refused_503_audited_and_never_applied_later(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nadhir.service.api.operator as operator_api

    monkeypatch.setattr(operator_api, "ACTION_TIMEOUT_S", 1.0)
    with rig.console() as client:
        started = time.monotonic()
        answer = client.post(f"/api/v1/operator/sites/{SITE}/alert", headers=OPERATOR,
                             content=json.dumps({"level": "imminent", "note": "drill"}))  # fmt: skip
        waited = time.monotonic() - started
    assert answer.status_code == 503, answer.text
    assert "no engine" in answer.json()["detail"] and "retry-after" in {k.lower() for k in answer.headers}
    assert waited < 5.0
    (row,) = rig.audit()
    assert (row.action, row.target, row.result, row.detail["status"]) == ("alert", SITE, "failed", 503)
    # An engine that comes later reads the action in the stream, finds it expired, and skips it.
    rig.start_engine("engine-0")
    rig.wait_active()
    rig.wait_processed(rig.bus.last_seq(rig.names.events_stream))
    assert rig.outbox(SITE) == []
    assert int(rig.status()["actions"]) == 0  # type: ignore[index]
    keys = rig.bus.kv(rig.names.actions)
    (state,) = {read_reply(keys, k)["state"] for k in _keys(rig)}  # type: ignore[index]
    assert state == "expired"


def _keys(rig: Rig) -> list[str]:
    """The keys of the actions bucket (one action here)."""

    async def go() -> list[str]:
        nc = await nats_client.connect(rig.nats.url)
        try:
            kv = await nc.jetstream().key_value(rig.names.actions)
            return list(await kv.keys())
        finally:
            await nc.close()

    return asyncio.run(go())


def test_a_track_cancel_is_held_undone_or_applied_when_its_window_ends_even_after_a_kill_9(rig: Rig) -> None:
    first = rig.start_engine("engine-0")
    rig.wait_active()
    rig.start_engine("engine-1")
    before, _ = until(rig.events, OPEN_AT_S)
    rig.wait_processed(rig.feed(before))
    alerted = ["sarmada", "dana", "sarmada-hospital"]  # by T8, at 793 s
    with rig.console() as client:
        held = client.post("/api/v1/operator/tracks/T8/cancel", headers=OPERATOR)
        assert held.status_code == 202, held.text
        body = held.json()
        assert (body["track"], body["by"], sorted(body["sites"])) == ("T8", "operator:olga", sorted(alerted))
        assert body["id"].startswith("h") and 0 < body["remaining_s"] <= body["window_s"] == 10.0
        wait(lambda: [h["id"] for h in client.get("/api/v1/operator/held", headers=auth("viewer")).json()]
             == [body["id"]], 10.0, "the held cancel on the console", rig.cluster)  # fmt: skip
        undone = client.post(f"/api/v1/operator/held/{body['id']}/undo", headers=OPERATOR)
        assert undone.status_code == 200, undone.text
        assert undone.json() == {"id": body["id"], "track": "T8", "undone_by": "operator:olga"}
        assert client.post(f"/api/v1/operator/held/{body['id']}/undo", headers=OPERATOR).status_code == 404
        assert client.post("/api/v1/operator/tracks/T999/cancel", headers=OPERATOR).status_code == 404

        again = client.post("/api/v1/operator/tracks/T8/cancel", headers=OPERATOR)
        assert again.status_code == 202, again.text
        second = again.json()["id"]
        os.kill(first, signal.SIGKILL)  # the successor holds it again from the stream, and applies it
        rig.wait_active(not_pid=first)
        time.sleep(10.0)

        def cleared() -> bool:
            return all(any(a[1] == "all_clear" and a[3] == "T8" for a in rig.outbox(s)) for s in alerted)

        wait(cleared, 20.0, "the all-clears of the held cancel", rig.cluster)
        wait(lambda: client.get("/api/v1/operator/held", headers=auth("viewer")).json() == [], 10.0,
             "the held cancel's end on the console", rig.cluster)  # fmt: skip
    for site in alerted:  # once each: the first cancel was undone
        assert [a[1] for a in rig.outbox(site)] == ["alert", "all_clear"], site
    rows = [(r.action, r.target, r.result) for r in rig.audit()]
    assert rows == [
        ("cancel_track", "track:T8", "held"), ("undo", f"held:{body['id']}", "accepted"),
        ("undo", f"held:{body['id']}", "refused"), ("cancel_track", "track:T999", "refused"),
        ("cancel_track", "track:T8", "held"), ("cancel_track", "track:T8", "applied"),
    ]  # fmt: skip
    applied = rig.audit()[-1]
    assert applied.detail["held"] == second and sorted(applied.detail["sites"]) == sorted(alerted)


NORTH = ("sarmada", "harem", "salqin", "dana", "atarib", "kafr-takharim", "maarrat-misrin", "taftanaz",
         "binnish", "idlib", "idlib-maternity-hospital", "idlib-national-hospital", "sarmada-hospital",
         "atarib-hospital")  # fmt: skip


def test_site_actions_go_to_their_region_and_a_test_alarm_everywhere_to_every_region(
    nats: NatsServer, pg_url: str, tmp_path: Path
) -> None:

    south = tuple(s.id for s in load_scenario(SCENARIO).sites if s.id not in NORTH)
    regions = (RegionSpec("north", NORTH, 60.0), RegionSpec("south", south, 60.0))
    with make_rig(nats, pg_url, tmp_path, regions) as rig:
        rig.start_engine("engine-0")
        rig.wait_active(region="north")
        rig.wait_active(region="south")
        with rig.console() as client:
            raised = client.post("/api/v1/operator/sites/saraqeb/alert", headers=OPERATOR,
                                 content=json.dumps({"level": "early", "aircraft": "jet"}))  # fmt: skip
            assert raised.status_code == 200, raised.text
            assert [(a["action"], a["site"], a["level"]) for a in raised.json()["alerts"]] == [
                ("alert", "saraqeb", "early")
            ]

            def level(site: str) -> object:
                body = client.get(f"/api/v1/sites/{site}", headers=auth("viewer")).json()
                return body.get("status", body).get("level")

            wait(lambda: level("saraqeb") == "early", 10.0, "saraqeb's alert on the console", rig.cluster)
            refused = client.post("/api/v1/operator/sites/all/test-alarm", headers=OPERATOR)
            assert refused.status_code == 409 and "saraqeb (early)" in refused.json()["detail"]
            north_test = client.post("/api/v1/operator/sites/sarmada/test-alarm", headers=OPERATOR)
            assert north_test.status_code == 200 and north_test.json()["alerts"] == []
            cancelled = client.post("/api/v1/operator/sites/saraqeb/cancel", headers=OPERATOR)
            assert cancelled.status_code == 200, cancelled.text
            wait(lambda: level("saraqeb") is None, 10.0, "saraqeb's all-clear on the console", rig.cluster)
            everywhere = client.post("/api/v1/operator/sites/all/test-alarm", headers=OPERATOR)
            assert everywhere.status_code == 200, everywhere.text
        assert [a[1] for a in rig.outbox("saraqeb")] == ["alert", "all_clear"]
        rows = [(r.action, r.target, r.result, r.detail.get("region")) for r in rig.audit()]
        assert rows[:3] == [("alert", "saraqeb", "accepted", "south"), ("test_alarm", "all", "refused", None),
                            ("test_alarm", "sarmada", "accepted", "north")]  # fmt: skip
        assert rows[3] == ("cancel", "saraqeb", "accepted", "south")
        assert sorted(rows[4:]) == [
            ("test_alarm", "all", "accepted", "north"),
            ("test_alarm", "all", "accepted", "south"),
        ]
