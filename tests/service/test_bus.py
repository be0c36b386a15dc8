"""The in-process bus: typed topics, ordered delivery, bounded buffers, thread and coroutine consumers."""

from __future__ import annotations

import asyncio
import threading

import pytest

from nadhir.bus import InProcessBus, Topic
from nadhir.bus.inprocess import SubscriptionClosed

NUMBERS: Topic[int] = Topic("numbers")
WORDS: Topic[str] = Topic("words")


def test_every_subscriber_gets_every_message_in_order() -> None:
    bus = InProcessBus()
    a, b = bus.subscribe(NUMBERS), bus.subscribe(NUMBERS)
    words = bus.subscribe(WORDS)
    for i in range(100):
        assert bus.publish(NUMBERS, i) == 2
    assert a.drain() == list(range(100)) == b.drain()
    assert words.pending() == 0
    assert bus.published["numbers"] == 100


def test_slow_subscriber_loses_oldest_and_counts_them() -> None:
    bus = InProcessBus()
    sub = bus.subscribe(NUMBERS, maxsize=10)
    for i in range(25):
        bus.publish(NUMBERS, i)
    assert sub.dropped == 15
    assert sub.drain() == list(range(15, 25))


def test_closed_subscription_receives_nothing_and_wakes_waiters() -> None:
    bus = InProcessBus()
    sub = bus.subscribe(NUMBERS)
    sub.close()
    assert bus.subscribers(NUMBERS) == 0
    assert bus.publish(NUMBERS, 1) == 0
    with pytest.raises(SubscriptionClosed):
        sub.get(timeout=1)


def test_thread_consumer_and_timeout() -> None:
    bus = InProcessBus()
    sub = bus.subscribe(NUMBERS)
    with pytest.raises(TimeoutError):
        sub.get(timeout=0.01)
    got: list[int] = []
    consumer = threading.Thread(target=lambda: got.extend(sub.get(timeout=5) for _ in range(3)))
    consumer.start()
    for i in range(3):
        bus.publish(NUMBERS, i)
    consumer.join(5)
    assert got == [0, 1, 2]


def test_coroutine_consumer_woken_from_another_thread() -> None:
    bus = InProcessBus()
    sub = bus.subscribe(NUMBERS)

    async def main() -> list[int]:
        publisher = threading.Thread(target=lambda: [bus.publish(NUMBERS, i) for i in range(50)])
        publisher.start()
        out = [await asyncio.wait_for(sub.next(), 5) for _ in range(50)]
        publisher.join()
        return out

    assert asyncio.run(main()) == list(range(50))


def test_close_wakes_a_waiting_coroutine() -> None:
    bus = InProcessBus()
    sub = bus.subscribe(NUMBERS)

    async def main() -> None:
        waiter = asyncio.ensure_future(sub.next())
        await asyncio.sleep(0.01)
        threading.Thread(target=sub.close).start()
        with pytest.raises(SubscriptionClosed):
            await asyncio.wait_for(waiter, 5)

    asyncio.run(main())
