"""A small typed publish/subscribe bus inside one process.

::

    ALERTS: Topic[Alert] = Topic("alerts")
    bus = InProcessBus()
    sub = bus.subscribe(ALERTS, maxsize=1000)
    bus.publish(ALERTS, alert)             # from any thread
    alert = sub.get(timeout=1.0)           # a thread waits
    alert = await sub.next()               # or a coroutine waits (any event loop)

A topic is a typed key: publishing an ``int`` on a ``Topic[Alert]`` is a type
error. Publishing never blocks: each subscription has a bounded buffer, and
when a subscriber falls that far behind its oldest messages are dropped and
counted (``Subscription.dropped``), so a slow browser can never hold up the
pipeline. Messages are delivered to each subscription in the order they were
published.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Topic(Generic[T]):
    """A named channel carrying messages of type ``T``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Topic({self.name!r})"


class SubscriptionClosed(Exception):
    """The subscription was closed while (or before) waiting for a message."""


class Subscription(Generic[T]):
    """One subscriber's buffer of messages on one topic."""

    def __init__(self, bus: InProcessBus, topic: Topic[T], maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.topic = topic
        self.maxsize = maxsize
        self.dropped = 0
        self._bus = bus
        self._items: deque[T] = deque()
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._closed = False

    # -- producer side (called by the bus) ---------------------------------------

    def _put(self, message: T) -> None:
        with self._lock:
            if self._closed:
                return
            if len(self._items) >= self.maxsize:
                self._items.popleft()
                self.dropped += 1
            self._items.append(message)
            self._ready.notify()
            waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            _wake(loop, fut)

    # -- consumer side -----------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def pending(self) -> int:
        """Messages waiting to be taken."""
        with self._lock:
            return len(self._items)

    def get_nowait(self) -> T | None:
        """The next message, or None if there is none now."""
        with self._lock:
            return self._items.popleft() if self._items else None

    def drain(self) -> list[T]:
        """Every message waiting now, oldest first."""
        with self._lock:
            items = list(self._items)
            self._items.clear()
            return items

    def get(self, timeout: float | None = None) -> T:
        """Wait (in a thread) for the next message; ``TimeoutError`` if none comes in time."""
        with self._lock:
            if not self._ready.wait_for(lambda: bool(self._items) or self._closed, timeout):
                raise TimeoutError(f"no message on {self.topic.name} within {timeout} s")
            if self._items:
                return self._items.popleft()
            raise SubscriptionClosed(self.topic.name)

    async def next(self) -> T:
        """Wait (in a coroutine) for the next message."""
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                if self._items:
                    return self._items.popleft()
                if self._closed:
                    raise SubscriptionClosed(self.topic.name)
                fut: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, fut))
            try:
                await fut
            finally:
                with self._lock:
                    self._waiters = [(lp, f) for lp, f in self._waiters if f is not fut]

    def close(self) -> None:
        """Stop receiving; waiting consumers get :class:`SubscriptionClosed`."""
        self._bus._remove(self)
        with self._lock:
            self._closed = True
            self._ready.notify_all()
            waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            _wake(loop, fut)

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wake(loop: asyncio.AbstractEventLoop, fut: asyncio.Future[None]) -> None:
    def set_result() -> None:
        if not fut.done():
            fut.set_result(None)

    with contextlib.suppress(RuntimeError):  # the waiter's loop has closed: nobody is waiting any more
        loop.call_soon_threadsafe(set_result)


class InProcessBus:
    """Topics and their subscriptions; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, list[Subscription[object]]] = {}
        self.published: dict[str, int] = {}

    def subscribe(self, topic: Topic[T], maxsize: int = 10_000) -> Subscription[T]:
        """A new subscription that receives every message published on ``topic`` from now on."""
        sub: Subscription[T] = Subscription(self, topic, maxsize)
        with self._lock:
            self._subs.setdefault(topic.name, []).append(sub)  # type: ignore[arg-type]
        return sub

    def publish(self, topic: Topic[T], message: T) -> int:
        """Deliver ``message`` to every current subscriber of ``topic``; returns how many."""
        with self._lock:
            subs = list(self._subs.get(topic.name, ()))
            self.published[topic.name] = self.published.get(topic.name, 0) + 1
        for sub in subs:
            sub._put(message)
        return len(subs)

    def subscribers(self, topic: Topic[T]) -> int:
        """How many subscriptions ``topic`` has now."""
        with self._lock:
            return len(self._subs.get(topic.name, ()))

    def _remove(self, sub: Subscription[T]) -> None:
        with self._lock:
            subs = self._subs.get(sub.topic.name)
            if subs is not None:
                self._subs[sub.topic.name] = [s for s in subs if s is not sub]
