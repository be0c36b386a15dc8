"""Events published per second to NATS JetStream, each acknowledged (stored) by the server.

    .venv/bin/python benchmarks/jetstream_publish.py [--n 50000] [--server nats://127.0.0.1:4222]
        [--inflight 256] [--storage file|memory]

The intake role's job on the scale-out path: each accepted event is published to a region's subject
with a message id (``Nats-Msg-Id``, so that a retried post is stored once) and counts only when the
server has acknowledged it. Events are the scenario format's JSON lines (an acoustic detection,
~190 bytes), published to a fresh stream (file storage, as a deployment would use; deleted after).
Two ways are measured: one publish at a time (each waits for its ack: one HTTP request's path) and
``--inflight`` publishes awaiting their acks together (what a busy intake sees across requests).
A second pass re-publishes the first thousand ids, which the stream must drop as duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

import nats
from nats.js.api import StorageType, StreamConfig


def event(i: int, t0: float) -> bytes:
    return json.dumps(
        {"kind": "acoustic", "t": t0 + i * 0.001, "sensor": f"ac-{i % 2000:04d}", "lat": 35.93, "lon": 36.63,
         "bearing_deg": (i * 7) % 360, "bearing_sigma_deg": 8.0, "class": "jet", "confidence": 0.8,
         "level_db": 71.5},
        separators=(",", ":"),
    ).encode()  # fmt: skip


async def run(args: argparse.Namespace) -> None:
    nc = await nats.connect(args.server)
    js = nc.jetstream(publish_async_max_pending=args.inflight)
    name = f"BENCH_{uuid.uuid4().hex[:8].upper()}"
    subject = f"bench.{name.lower()}.events.north"
    storage = StorageType.FILE if args.storage == "file" else StorageType.MEMORY
    await js.add_stream(StreamConfig(name=name, subjects=[f"bench.{name.lower()}.events.>"], storage=storage,
                                     duplicate_window=120.0))  # fmt: skip
    t0 = time.time()
    payloads = [event(i, t0) for i in range(args.n)]
    try:
        # One at a time: each publish waits for its ack.
        n1 = min(args.n, args.sync_n)
        start = time.perf_counter()
        for i in range(n1):
            await js.publish(subject, payloads[i], headers={"Nats-Msg-Id": f"s-{i}"})
        sync_s = time.perf_counter() - start
        # Many in flight.
        start = time.perf_counter()
        futures = [
            await js.publish_async(subject, payloads[i], headers={"Nats-Msg-Id": f"a-{i}"})
            for i in range(args.n)
        ]
        acks = await asyncio.gather(*futures)
        async_s = time.perf_counter() - start
        duplicates = [
            await js.publish(subject, payloads[i], headers={"Nats-Msg-Id": f"a-{i}"}) for i in range(1000)
        ]
        info = await js.stream_info(name)
        print(
            f"stream {name} ({args.storage}): {info.state.messages} messages, {info.state.bytes / 1e6:.1f} MB"
        )
        print(f"one at a time: {n1} in {sync_s:.2f} s = {n1 / sync_s:,.0f} events/s "
              f"({sync_s / n1 * 1e6:.0f} us per acknowledged publish)")  # fmt: skip
        print(
            f"{args.inflight} in flight: {len(acks)} in {async_s:.2f} s = {len(acks) / async_s:,.0f} events/s"
        )
        print(
            f"re-published ids dropped as duplicates: {sum(a.duplicate or False for a in duplicates)} of 1000"
        )
    finally:
        await js.delete_stream(name)
        await nc.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--sync-n", type=int, default=5_000, help="publishes in the one-at-a-time pass")
    ap.add_argument("--server", default="nats://127.0.0.1:4222")
    ap.add_argument("--inflight", type=int, default=256)
    ap.add_argument("--storage", choices=["file", "memory"], default="file")
    asyncio.run(run(ap.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
