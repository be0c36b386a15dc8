"""A health facility's status reaches the cluster's engines: the console role keeps the status (the
health room runs there, on the shared database) and puts each facility's readiness in the region's
stream; the active engine applies it at its place there, and a standby that takes over after a kill -9
derives it again from the stream. An evacuated hospital gets phones, never its siren.

Against a nats-server of the test's own and a fresh PostgreSQL database (see conftest.py), on the rig
of cluster_rig.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_helpers import NatsServer
from cluster_rig import REGION, Rig, auth, make_rig, one_process, until, view
from fastapi.testclient import TestClient

from nadhir.bus.jetstream import JetStreamBus
from nadhir.domain.readiness import SiteReadiness
from nadhir.health.readiness import readiness
from nadhir.health.status import status_from_json
from nadhir.service.app import create_app
from nadhir.service.cluster_names import KIND_HEADER, ClusterNames
from nadhir.service.drill import remove_names
from nadhir.service.live import LiveCore
from nadhir.service.region import bundled_scenario
from nadhir.service.settings import Settings
from nadhir.service.stream_readiness import READINESS_KIND
from nadhir.service.stream_wire import WireError, readiness_bytes, readiness_from_bytes
from nadhir.store import Store
from nadhir.store.facilities import FacilityStatusBook

HOSPITAL = "sarmada-hospital"  # in idlib-basic, its siren sounds 1,192 s in
EVACUATED = {"functionality": "not", "evacuated": True}
ADMIN = dict(
    auth("admin"), **{"Content-Type": "application/json"}
)  # the admin holds the health role's rights


@pytest.fixture
def rig(nats: NatsServer, pg_url: str, tmp_path: Path) -> Iterator[Rig]:
    with make_rig(nats, pg_url, tmp_path) as made:
        yield made


def test_an_evacuated_hospital_gets_no_siren_through_a_takeover(rig: Rig) -> None:
    first = rig.start_engine("engine-0")
    rig.wait_active()
    rig.start_engine("engine-1")
    before, after = until(rig.events, 600.0)
    half = len(after) // 2
    rig.wait_processed(rig.feed(before))
    with rig.console() as client:
        listed = client.get("/api/v1/health/facilities", headers=auth("viewer"))
        assert listed.status_code == 200, listed.text  # the health room serves from the console role
        assert HOSPITAL in {f["id"] for f in listed.json()}
        posted = client.post(f"/api/v1/health/facilities/{HOSPITAL}/status", headers=ADMIN,
                             json={"status": EVACUATED})  # fmt: skip
        assert posted.status_code == 201, posted.text
        checks = {c["name"]: c["ok"] for c in client.get("/readyz").json()["checks"]}
        assert checks.get("health rooms") is True, checks
    reader = rig.bus.reader(rig.names.events_stream, "test-readiness", rig.names.events(REGION), start_seq=1)
    try:
        stream = reader.fetch(10_000, timeout=5.0)
    finally:
        reader.close()
    # One record when the room started (every facility as usual), one for the change; none for the
    # minute's pushes that changed nothing.
    started, record = [m for m in stream if m.headers.get(KIND_HEADER) == READINESS_KIND]
    assert all(r.ordinary for r in readiness_from_bytes(started.data).values())
    assert readiness_from_bytes(record.data)[HOSPITAL].sirens is False
    rig.feed(after[:half])
    os.kill(first, signal.SIGKILL)
    successor = rig.wait_active(not_pid=first)
    assert int(successor.get("snapshot_seq", 0)) < record.seq  # not in a snapshot: read from the stream
    end = rig.events[-1].t + 1800.0
    rig.feed(after[half:])
    rig.wait_processed(rig.clock(end), timeout=120.0)

    evacuated = readiness(status_from_json(EVACUATED), 0.0)

    def evacuate(core: LiveCore) -> None:
        core.policy.set_readiness(HOSPITAL, evacuated)

    expected = view(one_process(rig.scenario, before, after, end, evacuate)[0], HOSPITAL)
    without = view(one_process(rig.scenario, before, after, end, None)[0], HOSPITAL)
    assert "imminent" in {level for _, _, level, _ in without}  # its siren, had it stayed open
    assert {level for _, _, level, _ in expected} == {"early"}
    assert rig.outbox(HOSPITAL) == expected


def test_a_readiness_record_travels_site_for_site() -> None:
    ready = {"a": SiteReadiness(False, 0.0, "evacuated"), "b": SiteReadiness(True, 300.0, "incubators 2")}
    assert readiness_from_bytes(readiness_bytes(ready)) == ready
    for bad in (b"", b"{}", b'{"sites": {"a": [1, 0, ""]}}', b'{"sites": {"a": [true, -5, ""]}}', b"[1]"):
        with pytest.raises(WireError):
            readiness_from_bytes(bad)


def test_the_intake_role_reads_a_status_sms_into_the_shared_store(nats: NatsServer, pg_url: str) -> None:
    """A hospital's status by SMS at an intake replica is kept (not read as a sighting), and its
    readiness goes to the region's stream."""
    names = ClusterNames(f"rd{uuid.uuid4().hex[:6]}")
    # The bundled region's lookout in Dana speaks for Sarmada's hospital (reporters.json).
    settings = Settings(scenario=bundled_scenario(), db=pg_url, nats=nats.url, nats_prefix=names.prefix,
                        sms_secret="sms-secret", sms_numbers={"+963933000009": "obs-dana-11"})  # fmt: skip
    body = json.dumps({"from": "+963933000009", "text": f"status {HOSPITAL}: closed"}).encode()
    signature = hmac.new(b"sms-secret", body, hashlib.sha256).hexdigest()
    with TestClient(create_app(settings, roles=frozenset({"intake"}))) as client:
        headers = {"Content-Type": "application/json", "X-Nadhir-Signature": signature}
        answer = client.post("/api/v1/intake/sms", content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        assert answer.json()["kind"] != "sighting"
    with Store.open(pg_url) as store:
        latest = FacilityStatusBook(store.engine, time.time).latest()
    assert latest[HOSPITAL].status["functionality"] == "not"
    bus = JetStreamBus.connect(nats.url)
    try:
        reader = bus.reader(names.events_stream, "t", names.events("all"), start_seq=1)
        kinds = [m.headers.get(KIND_HEADER) for m in reader.fetch(100, 2.0)]
        reader.close()
    finally:
        remove_names(bus, names)
        bus.close()
    assert kinds == [READINESS_KIND, READINESS_KIND]  # as started; the hospital closed. No sighting.
