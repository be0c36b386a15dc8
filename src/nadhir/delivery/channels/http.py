"""What the HTTP channels share: how an answer or an exception becomes an outcome, and sending a batch
with a few requests in flight."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from nadhir.delivery.states import Delivery, Outcome

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def outcome_for_status(key: str, status: int, detail: str) -> Outcome:
    if 200 <= status < 300:
        return Outcome(key, "acked", f"HTTP {status}")
    if status >= 500 or status in RETRYABLE_STATUS:
        return Outcome(key, "error", f"HTTP {status}: {detail}"[:300])
    return Outcome(key, "failed", f"HTTP {status}: {detail}"[:300])


def outcome_for_exception(key: str, exc: Exception) -> Outcome:
    return Outcome(key, "error", f"{type(exc).__name__}: {exc}"[:300])


DEFAULT_WORKERS = 1  # one request at a time unless asked (the live service asks for more)


def send_each(batch: Sequence[Delivery], one: Callable[[Delivery], Outcome], workers: int) -> list[Outcome]:
    """``one`` for every delivery, ``workers`` HTTP requests at a time (in order of the batch).

    Each request waits mostly on the network: a few in flight multiply the
    rate at which a fan-out of thousands leaves, within what gateways allow
    (those that refuse more answer 429, which is retried).
    """
    if workers <= 1 or len(batch) <= 1:
        return [one(d) for d in batch]
    with ThreadPoolExecutor(max_workers=min(workers, len(batch))) as pool:
        return list(pool.map(one, batch))
