"""The names the cluster's processes share on NATS: streams, subjects, buckets, headers.

Every name starts with the settings' ``nats_prefix``, so that two clusters (or two
test runs, or a drill beside a live service) can share one NATS server apart.

- ``<P>.events.<region>``: the region's input, stream ``<P>_EVENTS`` (intake publishes
  events, the active engine publishes clock records when the stream is quiet);
- ``<P>.feed.<region>``: the live feed the active engine publishes, stream ``<P>_FEED``
  (kept an hour; the console reads it);
- key-value ``<P>_leases`` (entries live ``lease_s``): who is a region's active engine;
- key-value ``<P>_status``: what each region's active engine has processed;
- object store ``<P>_snapshots``: each region's last pipeline snapshot;
- key-value ``<P>_actions``: the engines' answers to operator actions (:mod:`nadhir.service.stream_actions`);
- key-value ``<P>_runs``: each region's run in the store, and how far it is written
  (:mod:`nadhir.service.region_run`);
- key-value ``<P>_telegram``: the Telegram bot's registrations and update offset, kept by whichever
  intake replica polls the bot (its lease, ``intake.telegram``, is in ``<P>_leases``:
  :mod:`nadhir.service.stream_telegram`).
"""

from __future__ import annotations

from dataclasses import dataclass

from nadhir.bus.jetstream import JetStreamBus

KIND_HEADER = "Nadhir-Kind"  # "event" (the default), "clock", "action" or "readiness"
DUPLICATE_WINDOW_S = 120.0  # a retried post within this long is stored once
FEED_MAX_AGE_S = 3600.0


@dataclass(frozen=True, slots=True)
class ClusterNames:
    """The NATS names of one cluster (see the module docstring)."""

    prefix: str = "nadhir"

    @property
    def events_stream(self) -> str:
        return f"{self.prefix.upper().replace('-', '_')}_EVENTS"

    @property
    def feed_stream(self) -> str:
        return f"{self.prefix.upper().replace('-', '_')}_FEED"

    def events(self, region: str) -> str:
        """The subject of a region's input."""
        return f"{self.prefix}.events.{region}"

    def feed(self, region: str) -> str:
        """The subject of a region's live feed."""
        return f"{self.prefix}.feed.{region}"

    @property
    def leases(self) -> str:
        return f"{self.prefix}_leases"

    @property
    def status(self) -> str:
        return f"{self.prefix}_status"

    @property
    def snapshots(self) -> str:
        return f"{self.prefix}_snapshots"

    @property
    def actions(self) -> str:
        return f"{self.prefix}_actions"

    @property
    def runs(self) -> str:
        return f"{self.prefix}_runs"

    @property
    def telegram(self) -> str:
        return f"{self.prefix}_telegram"

    @staticmethod
    def durable(region: str) -> str:
        """The durable consumer a region's active engine reads through."""
        return f"engine-{region}"

    def ensure_streams(self, bus: JetStreamBus) -> None:
        """Create the cluster's two streams if they are missing."""
        bus.ensure_stream(
            self.events_stream, [f"{self.prefix}.events.>"], duplicate_window_s=DUPLICATE_WINDOW_S
        )
        bus.ensure_stream(self.feed_stream, [f"{self.prefix}.feed.>"], duplicate_window_s=1.0,
                          max_age_s=FEED_MAX_AGE_S)  # fmt: skip
