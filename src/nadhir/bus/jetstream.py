"""NATS JetStream for threads: streams, durable consumers, key-value buckets and objects.

::

    bus = JetStreamBus.connect("nats://127.0.0.1:4222")
    bus.ensure_stream("NADHIR_EVENTS", ["nadhir.events.>"], duplicate_window_s=120)
    ack = bus.publish("nadhir.events.north", data, msg_id="ac-0013|1746154956.0")  # stored once
    reader = bus.reader("NADHIR_EVENTS", "engine-north", "nadhir.events.north", start_seq=1)
    for msg in reader.fetch(500, timeout=1.0): ...; reader.ack(msg)
    leases = bus.kv("nadhir_leases", ttl_s=3.0)
    rev = leases.create("north", b"engine-a")                 # KeyExists if someone holds it
    rev = leases.update("north", b"engine-a", last=rev)        # WrongRevision if it was lost
    bus.put_object("nadhir_snapshots", "north", blob); bus.get_object("nadhir_snapshots", "north")

nats-py is asynchronous; the service's engine and delivery are threads. The bus
runs one asyncio loop in a daemon thread of its own, and every method here
blocks the calling thread until the loop has done the work (or the timeout
passes). Errors of the server or the connection come out as :class:`BusError`
(:class:`KeyExists`, :class:`WrongRevision` for a key-value write that lost a
race), so that callers do not depend on nats-py's own exception classes.

The client reconnects on its own, for ever, when the server goes away; calls
made meanwhile fail with :class:`BusError` after their timeout, and the caller
retries (what it published is deduplicated by its message id).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api
from nats.js.client import JetStreamContext
from nats.js.kv import KeyValue

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 5.0


class BusError(Exception):
    """The JetStream server refused, or could not be reached in time."""


class KeyExists(BusError):
    """A key-value ``create`` found the key held."""


class WrongRevision(BusError):
    """A key-value ``update`` was made against a revision that is no longer the last."""


@dataclass(frozen=True, slots=True)
class PubAck:
    """Where a published message was stored; ``duplicate``: its message id was seen in the window."""

    stream: str
    seq: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One message read from a stream, with its sequence number there."""

    seq: int
    subject: str
    data: bytes
    headers: dict[str, str]
    pending: int  # messages left in the consumer after this one
    _msg: Msg


@dataclass(frozen=True, slots=True)
class KvEntry:
    """A key-value entry and its revision."""

    key: str
    value: bytes
    revision: int


class JetStreamBus:
    """One NATS connection with JetStream, usable from any thread (see the module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread, nc: Client) -> None:
        self._loop = loop
        self._thread = thread
        self._nc = nc
        self._js: JetStreamContext = nc.jetstream()
        self._kvs: dict[str, KeyValue] = {}
        self.disconnects = 0

    @classmethod
    def connect(cls, url: str, *, name: str = "nadhir", timeout_s: float = DEFAULT_TIMEOUT_S) -> JetStreamBus:
        """Connect to the server at ``url`` (``nats://host:port``); BusError if it cannot be reached."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name=f"nadhir-nats-{name}", daemon=True)
        thread.start()
        holder: dict[str, JetStreamBus] = {}

        async def on_disconnect() -> None:
            if "bus" in holder:
                holder["bus"].disconnects += 1

        async def on_error(exc: Exception) -> None:  # logged by the reconnect loop; never fatal here
            return None

        async def open_() -> Client:
            return await nats.connect(
                url, name=name, connect_timeout=timeout_s, max_reconnect_attempts=-1,
                reconnect_time_wait=0.25, allow_reconnect=True, disconnected_cb=on_disconnect,
                error_cb=on_error,
            )  # fmt: skip

        try:
            nc = asyncio.run_coroutine_threadsafe(open_(), loop).result(timeout_s + 1.0)
        except Exception as exc:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(2.0)
            raise BusError(f"cannot connect to NATS at {url}: {exc}") from exc
        bus = cls(loop, thread, nc)
        holder["bus"] = bus
        return bus

    def close(self) -> None:
        """Drain and close the connection, then stop the loop's thread."""
        with contextlib.suppress(BusError):
            self._run(self._nc.close(), DEFAULT_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(DEFAULT_TIMEOUT_S)

    @property
    def connected(self) -> bool:
        """The connection is up now (it comes back by itself after an outage)."""
        return bool(self._nc.is_connected)

    def _run(self, coro: Awaitable[T], timeout: float) -> T:
        async def wrapped() -> T:
            return await coro

        future = asyncio.run_coroutine_threadsafe(wrapped(), self._loop)
        try:
            return future.result(timeout)
        except TimeoutError as exc:
            future.cancel()
            raise BusError(f"NATS did not answer within {timeout} s") from exc
        except nats.js.errors.KeyWrongLastSequenceError as exc:
            raise WrongRevision(str(exc)) from exc
        except BusError:
            raise
        except (nats.errors.Error, OSError) as exc:
            raise BusError(f"{type(exc).__name__}: {exc}") from exc

    # -- streams ----------------------------------------------------------------------------------

    def ensure_stream(
        self, name: str, subjects: list[str], *, duplicate_window_s: float = 120.0,
        max_age_s: float | None = None, timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:  # fmt: skip
        """Create the stream if it is missing (file storage); an existing one is left as it is."""

        async def go() -> None:
            try:
                await self._js.stream_info(name)
                return
            except nats.js.errors.NotFoundError:
                pass
            config = api.StreamConfig(
                name=name, subjects=subjects, storage=api.StorageType.FILE,
                duplicate_window=duplicate_window_s, max_age=max_age_s,
            )  # fmt: skip
            try:
                await self._js.add_stream(config)
            except nats.js.errors.BadRequestError:  # created meanwhile by another process
                await self._js.stream_info(name)

        self._run(go(), timeout)

    def delete_stream(self, name: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Delete a stream and what it holds (a key-value bucket is stream ``KV_<bucket>``, an object
        store ``OBJ_<bucket>``); BusError if there is none."""

        async def go() -> None:
            await self._js.delete_stream(name)
            self._kvs.pop(name.removeprefix("KV_"), None)

        self._run(go(), timeout)

    def last_seq(self, stream: str, timeout: float = DEFAULT_TIMEOUT_S) -> int:
        """The sequence number of the last message in the stream (0 when empty)."""

        async def go() -> int:
            info = await self._js.stream_info(stream)
            return int(info.state.last_seq)

        return self._run(go(), timeout)

    def publish(
        self, subject: str, data: bytes, *, msg_id: str | None = None, headers: dict[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> PubAck:  # fmt: skip
        """Store ``data`` in the stream that takes ``subject``; with ``msg_id``, once per window."""
        hdrs = dict(headers or {})
        if msg_id is not None:
            hdrs["Nats-Msg-Id"] = msg_id

        async def go() -> PubAck:
            try:
                ack = await self._js.publish(subject, data, timeout=timeout, headers=hdrs or None)
            except nats.js.errors.NoStreamResponseError as exc:
                raise BusError(f"no stream takes {subject} (or the server is away)") from exc
            return PubAck(ack.stream, int(ack.seq), bool(ack.duplicate))

        return self._run(go(), timeout + 0.5)

    def publish_core(self, subject: str, messages: list[bytes]) -> None:
        """Send messages without waiting for a stream's acknowledgement (the live feed: the next
        message supersedes a lost one); dropped while disconnected beyond the client's buffer."""

        async def go() -> None:
            for data in messages:
                await self._nc.publish(subject, data)

        self._run(go(), DEFAULT_TIMEOUT_S)

    def reader(
        self, stream: str, durable: str, subject: str, *, start_seq: int, ack_wait_s: float = 30.0,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> StreamReader:  # fmt: skip
        """A durable pull consumer on ``subject`` that starts at ``start_seq``.

        Any consumer of that name is replaced: the caller (a new leader) decides where reading starts,
        from the sequence its snapshot covers, not from what an earlier holder acknowledged.
        """

        async def go() -> JetStreamContext.PullSubscription:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await self._js.delete_consumer(stream, durable)
            config = api.ConsumerConfig(
                durable_name=durable, deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=max(1, start_seq), ack_policy=api.AckPolicy.ALL, ack_wait=ack_wait_s,
                filter_subject=subject, max_ack_pending=-1,
            )  # fmt: skip
            return await self._js.pull_subscribe(subject, durable=durable, stream=stream, config=config)

        return StreamReader(self, self._run(go(), timeout), stream, durable)

    def subscribe_new(
        self, stream: str, subject: str, handler: Callable[[StreamMessage], None]
    ) -> Callable[[], None]:
        """Call ``handler`` (in the bus's thread) for each message stored on ``subject`` from now on.

        An ordered consumer: no acknowledgements, recreated by the client after an outage. Returns
        a function that stops it.
        """

        async def cb(msg: Msg) -> None:
            meta = msg.metadata
            handler(StreamMessage(int(meta.sequence.stream), msg.subject, msg.data, dict(msg.headers or {}),
                                  int(meta.num_pending), msg))  # fmt: skip

        async def go() -> Any:
            return await self._js.subscribe(
                subject, stream=stream, cb=cb, ordered_consumer=True, deliver_policy=api.DeliverPolicy.NEW
            )

        sub = self._run(go(), DEFAULT_TIMEOUT_S)

        def stop() -> None:
            with contextlib.suppress(BusError):
                self._run(sub.unsubscribe(), DEFAULT_TIMEOUT_S)

        return stop

    # -- key-value --------------------------------------------------------------------------------

    def kv(self, bucket: str, *, ttl_s: float | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> KvBucket:
        """The key-value bucket ``bucket``, created (with entries living ``ttl_s``) if missing."""

        async def go() -> KeyValue:
            try:
                return await self._js.key_value(bucket)
            except nats.js.errors.BucketNotFoundError:
                return await self._js.create_key_value(
                    api.KeyValueConfig(bucket=bucket, ttl=ttl_s, history=1)
                )

        if bucket not in self._kvs:
            self._kvs[bucket] = self._run(go(), timeout)
        return KvBucket(self, self._kvs[bucket])

    # -- objects ----------------------------------------------------------------------------------

    def put_object(self, bucket: str, name: str, data: bytes, timeout: float = 30.0) -> None:
        """Store ``data`` as object ``name`` (replacing the one before), creating the bucket if missing."""

        async def go() -> None:
            try:
                store = await self._js.object_store(bucket)
            except nats.js.errors.BucketNotFoundError:
                store = await self._js.create_object_store(bucket)
            await store.put(name, data)

        self._run(go(), timeout)

    def get_object(self, bucket: str, name: str, timeout: float = 30.0) -> bytes | None:
        """Object ``name``'s bytes; None if there is no such bucket or object."""

        async def go() -> bytes | None:
            try:
                store = await self._js.object_store(bucket)
                result = await store.get(name)
            except (nats.js.errors.BucketNotFoundError, nats.js.errors.ObjectNotFoundError,
                    nats.js.errors.ObjectDeletedError):  # fmt: skip
                return None
            return bytes(result.data or b"")

        return self._run(go(), timeout)


class StreamReader:
    """A durable pull consumer (see :meth:`JetStreamBus.reader`)."""

    def __init__(
        self, bus: JetStreamBus, sub: JetStreamContext.PullSubscription, stream: str, durable: str
    ) -> None:
        self._bus = bus
        self._sub = sub
        self.stream = stream
        self.durable = durable

    def fetch(self, batch: int, timeout: float) -> list[StreamMessage]:
        """Up to ``batch`` messages, waiting at most ``timeout`` for the first; [] if none came."""

        async def go() -> list[StreamMessage]:
            try:
                msgs = await self._sub.fetch(batch, timeout=timeout)
            except (TimeoutError, nats.errors.TimeoutError):
                return []
            out = []
            for msg in msgs:
                meta = msg.metadata
                out.append(StreamMessage(int(meta.sequence.stream), msg.subject, msg.data,
                                         dict(msg.headers or {}), int(meta.num_pending), msg))  # fmt: skip
            return out

        return self._bus._run(go(), timeout + DEFAULT_TIMEOUT_S)

    def ack(self, message: StreamMessage) -> None:
        """Acknowledge ``message`` and every one before it (the consumer's acknowledged floor)."""
        self._bus._run(message._msg.ack(), DEFAULT_TIMEOUT_S)

    def close(self) -> None:
        with contextlib.suppress(BusError):
            self._bus._run(self._sub.unsubscribe(), DEFAULT_TIMEOUT_S)


class KvBucket:
    """One key-value bucket; revisions make writes conditional (a lease, for instance)."""

    def __init__(self, bus: JetStreamBus, kv: KeyValue) -> None:
        self._bus = bus
        self._kv = kv

    def get(self, key: str) -> KvEntry | None:
        """The entry, or None if the key is missing, deleted or expired."""

        async def go() -> KvEntry | None:
            try:
                entry = await self._kv.get(key)
            except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
                return None
            return KvEntry(key, bytes(entry.value or b""), int(entry.revision or 0))

        return self._bus._run(go(), DEFAULT_TIMEOUT_S)

    def create(self, key: str, value: bytes) -> int:
        """Write ``key`` only if it is missing (or expired); its revision. KeyExists if it is held."""
        try:
            return self._bus._run(self._kv.create(key, value), DEFAULT_TIMEOUT_S)
        except WrongRevision as exc:
            raise KeyExists(key) from exc

    def update(self, key: str, value: bytes, last: int) -> int:
        """Write ``key`` only if its revision is still ``last``; the new revision. WrongRevision if not."""
        return self._bus._run(self._kv.update(key, value, last=last), DEFAULT_TIMEOUT_S)

    def put(self, key: str, value: bytes) -> int:
        """Write ``key`` whatever it holds; its revision."""
        return self._bus._run(self._kv.put(key, value), DEFAULT_TIMEOUT_S)

    def delete(self, key: str, last: int | None = None) -> None:
        """Delete ``key`` (only at revision ``last``, if given)."""
        self._bus._run(self._kv.delete(key, last=last), DEFAULT_TIMEOUT_S)
