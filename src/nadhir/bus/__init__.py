"""Message buses between the pipeline and its consumers (the live feed, the store, deliveries)."""

from nadhir.bus.inprocess import InProcessBus, Subscription, Topic

__all__ = ["InProcessBus", "Subscription", "Topic"]
