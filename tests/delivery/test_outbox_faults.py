"""Several delivery workers claim from one outbox on real PostgreSQL while their database connections
are cut (``pg_terminate_backend``) mid-run: every delivery reaches a real HTTP peer, none twice.

Two faults this found: a worker whose connection was cut stopped for good (its thread died on the
error), and a batch still being sent when its one-second backoff ran out was claimed and sent again
by another worker (claims are now leased for as long as sending takes; the retry time counts from
when a delivery left)."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from http_peer import Request, http_peer
from nadhir.delivery.channels.webhook import DELIVERY_HEADER, Partner, WebhookChannel
from nadhir.delivery.dispatcher import Dispatcher
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.states import Backoff, NewDelivery
from services import postgres_schema, require_service

PG_URL = os.environ.get("NADHIR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
N = 1_500
WORKERS = 3


@pytest.fixture
def pg() -> Iterator[tuple[sa.Engine, str]]:
    """An admin engine and the URL of a new, empty schema (dropped afterwards)."""
    url = make_url(PG_URL)
    require_service("postgresql", url.host or "127.0.0.1", url.port or 5432)
    with postgres_schema(url, "nadhir_faults") as schema:
        yield schema


def terminate(admin: sa.Engine, application: str) -> int:
    """Cut every connection the worker named ``application`` has; returns how many."""
    with admin.connect() as conn:
        return len(conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :a"),
            {"a": application},
        ).all())  # fmt: skip


def test_workers_whose_connections_are_cut_lose_nothing_and_send_nothing_twice(
    pg: tuple[sa.Engine, str],
) -> None:
    admin, url = pg
    run = uuid.uuid4().hex[:8]
    names = [f"nadhir-worker-{run}-{i}" for i in range(WORKERS)]
    store = Outbox.open(url)
    keys = [f"fault-{run}-{i}" for i in range(N)]
    expires = time.time() + 3600
    store.add_deliveries(
        [NewDelivery("webhook", "partner", k, json.dumps({"n": i}), expires) for i, k in enumerate(keys)]
    )
    store.close()

    def answer(_req: Request) -> tuple[int, bytes]:
        time.sleep(0.002)  # a partner that takes a moment: the run lasts long enough to be cut
        return 204, b""

    with http_peer(answer) as peer:
        stop = threading.Event()
        workers: list[tuple[Outbox, Dispatcher, threading.Thread]] = []
        for name in names:
            # Each worker has its own pool, named so that its connections can be found and cut.
            ob = Outbox.open(make_url(url).update_query_dict({"application_name": name}).render_as_string(
                hide_password=False), backoff=Backoff())  # fmt: skip
            channel = WebhookChannel({"partner": Partner(peer.url + "/hook", b"secret")}, workers=4)
            dispatcher = Dispatcher(ob, {"webhook": channel}, batch=50)
            dispatcher.retry_s = 0.1
            thread = threading.Thread(
                target=dispatcher.run, args=(stop,), kwargs={"poll_s": 0.02}, daemon=True
            )
            workers.append((ob, dispatcher, thread))
        for _, _, thread in workers:
            thread.start()
        cut = 0
        try:
            # Cut worker 0 again and again, and worker 1 once, while deliveries are going out.
            for round_ in range(12):
                time.sleep(0.15)
                cut += terminate(admin, names[0])
                if round_ == 3:
                    cut += terminate(admin, names[1])
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(peer.received("/hook")) < N:
                time.sleep(0.05)
            time.sleep(0.5)  # anything sent twice would arrive now
            deadline = time.monotonic() + 30
            check = Outbox.open(url)
            try:
                while time.monotonic() < deadline and check.counts().get("acked", 0) < N:
                    time.sleep(0.05)
                counts = check.counts()
                audit = Counter(a.event for a in check.audit())
            finally:
                check.close()
            alive = [thread.is_alive() for _, _, thread in workers]
        finally:
            stop.set()
            for ob, _, thread in workers:
                thread.join(10)
                ob.close()
    received = Counter(r.headers[DELIVERY_HEADER.lower()] for r in peer.received("/hook"))
    assert cut > 0 and workers[0][1].errors > 0  # the fault really hit the worker
    assert alive == [True] * WORKERS  # each worker survived its cut connections
    assert set(received) == set(keys)  # every delivery sent
    assert [k for k, n in received.items() if n > 1] == []  # none twice
    assert counts == {"acked": N}
    assert audit["attempt"] == N and audit["acked"] == N
    assert all(d.sent > 0 for _, d, _ in workers)  # the work was shared
