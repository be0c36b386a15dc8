"""bus/jetstream.py and the lease against a real nats-server of the test's own (killed and restarted)."""

from __future__ import annotations

import threading
import time

import pytest
from cluster_helpers import NatsServer

from nadhir.bus.jetstream import BusError, JetStreamBus, KeyExists, WrongRevision
from nadhir.domain import AcousticDetection, Site
from nadhir.service.cluster_names import ClusterNames
from nadhir.service.lease import KeptLease, Lease
from nadhir.service.partitions import partitions
from nadhir.service.settings import RegionSpec
from nadhir.service.stream_intake import StreamSink
from nadhir.service.stream_wire import event_bytes, event_from_bytes


def test_a_retried_publish_is_stored_once_and_reads_start_where_asked(nats: NatsServer) -> None:
    bus = JetStreamBus.connect(nats.url)
    try:
        bus.ensure_stream("T", ["t.>"])
        first = bus.publish("t.a", b"one", msg_id="m1")
        again = bus.publish("t.a", b"one", msg_id="m1")
        second = bus.publish("t.a", b"two", msg_id="m2")
        assert (first.seq, again.seq, again.duplicate, second.seq) == (1, 1, True, 2)
        reader = bus.reader("T", "d", "t.a", start_seq=2)
        msgs = reader.fetch(10, 1.0)
        assert [(m.seq, m.data) for m in msgs] == [(2, b"two")]
        reader.ack(msgs[-1])
        assert reader.fetch(10, 0.3) == []
    finally:
        bus.close()


def test_events_travel_exactly_and_the_intake_sink_dedupes_a_retried_post(nats: NatsServer) -> None:
    bus = JetStreamBus.connect(nats.url)
    try:
        names = ClusterNames("t1")
        names.ensure_streams(bus)
        event = AcousticDetection(1746154956.123456789, "ac-1", 35.9, 36.6, "jet", 0.37, 169.5, 8.9)
        assert event_from_bytes(event_bytes(event)) == event
        sink = StreamSink(bus, names, partitions((), []))
        sink.submit(event)
        sink.submit(event)  # the same post again
        assert bus.last_seq(names.events_stream) == 1 and sink.duplicates == 1
    finally:
        bus.close()


def test_an_event_in_two_regions_is_stored_in_both_and_a_retry_in_neither(nats: NatsServer) -> None:
    """The duplicate window is the stream's: one message id per region, or the second region's copy
    would be taken for a retry of the first's (and that region's engine never hear the event)."""
    bus = JetStreamBus.connect(nats.url)
    try:
        names = ClusterNames("t2")
        names.ensure_streams(bus)
        sites = [Site("a", "A", "town", 35.9, 36.6, 2000.0), Site("b", "B", "town", 35.6, 36.6, 2000.0)]
        parts = partitions((RegionSpec("north", ("a",), 60.0), RegionSpec("south", ("b",), 60.0)), sites)
        sink = StreamSink(bus, names, parts)
        event = AcousticDetection(1746154956.0, "ac-1", 35.75, 36.6, "jet", 0.9, 10.0, 5.0)
        sink.submit(event)
        sink.submit(event)
        assert bus.last_seq(names.events_stream) == 2 and sink.duplicates == 1
        for region in ("north", "south"):
            (msg,) = bus.reader(names.events_stream, region, names.events(region), start_seq=1).fetch(10, 1.0)
            assert event_from_bytes(msg.data) == event
    finally:
        bus.close()


def test_lease_held_renewed_lapsed_and_lost(nats: NatsServer) -> None:
    a_bus, b_bus = JetStreamBus.connect(nats.url), JetStreamBus.connect(nats.url)
    try:
        a = Lease(a_bus.kv("leases", ttl_s=1.5), "north", "a", 1.5)
        b = Lease(b_bus.kv("leases", ttl_s=1.5), "north", "b", 1.5)
        assert a.try_acquire() and not b.try_acquire()
        for _ in range(6):  # renewed: held for longer than its life
            time.sleep(0.5)
            assert a.renew() and not b.try_acquire()
        assert b.holder_now() == "a"
        deadline = time.monotonic() + 10.0  # a stops renewing (frozen): b gets it once it lapses
        while not b.try_acquire():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert not a.renew() and not a.held  # a wakes up: lost, it steps down
        with pytest.raises(KeyExists):
            a.kv.create("north", b"x")
        with pytest.raises(WrongRevision):
            a.kv.update("north", b"x", last=1)
        b.release()
        assert a.try_acquire()  # released: no need to wait for the lapse
    finally:
        a_bus.close()
        b_bus.close()


def test_the_client_comes_back_after_the_server_restarts_and_nothing_stored_is_lost(nats: NatsServer) -> None:
    bus = JetStreamBus.connect(nats.url)
    try:
        bus.ensure_stream("T", ["t.>"])
        for i in range(5):
            bus.publish("t.a", str(i).encode(), msg_id=f"m{i}")
        nats.kill()
        with pytest.raises(BusError):
            bus.publish("t.a", b"while down", msg_id="down", timeout=0.5)
        nats.start()
        deadline = time.monotonic() + 20.0
        while True:
            try:
                bus.publish("t.a", b"5", msg_id="m5", timeout=1.0)
                break
            except BusError:
                assert time.monotonic() < deadline, "the client did not come back"
                time.sleep(0.2)
        reader = bus.reader("T", "d", "t.a", start_seq=1)
        got = [m.data for m in reader.fetch(100, 2.0)]
        assert got[:5] == [b"0", b"1", b"2", b"3", b"4"] and got[-1] == b"5"
        assert bus.disconnects >= 1
    finally:
        bus.close()


def test_a_kept_lease_is_renewed_while_its_loop_moves_and_lapses_when_it_sticks(nats: NatsServer) -> None:
    a_bus, b_bus = JetStreamBus.connect(nats.url), JetStreamBus.connect(nats.url)
    stop = threading.Event()
    try:
        kept = KeptLease(Lease(a_bus.kv("kept", ttl_s=1.2), "north", "a", 1.2), stall_s=0.6, name="test")
        other = Lease(b_bus.kv("kept", ttl_s=1.2), "north", "b", 1.2)
        assert kept.try_acquire()
        heartbeat = threading.Thread(target=kept.keep, args=(stop, lambda: True), daemon=True)
        heartbeat.start()
        # The loop moves: the lease outlives its time-to-live several times over.
        until = time.monotonic() + 3.0
        while time.monotonic() < until:
            kept.moved()
            assert not other.try_acquire()
            time.sleep(0.1)
        assert not kept.gone
        # The loop sticks (its heartbeat still runs): the lease lapses and the standby takes it.
        deadline = time.monotonic() + 5.0
        while not other.try_acquire():
            assert time.monotonic() < deadline, "a stuck loop kept its lease"
            time.sleep(0.1)
        assert kept.gone
    finally:
        stop.set()
        a_bus.close()
        b_bus.close()
