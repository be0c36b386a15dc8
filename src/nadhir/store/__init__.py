"""Persistence of runs: sites, input events, track states, alerts and stats (SQLite or PostgreSQL)."""

from nadhir.store import (  # noqa: F401  (their tables join Base.metadata)
    attacks,
    audit,
    facilities,
    outbox_models,
    outcomes,
    people_models,
    quarantine,
    shelters,
)
from nadhir.store.store import OpenEpisode, RunInfo, Store, alembic_config, default_url, upgrade_schema

__all__ = ["OpenEpisode", "RunInfo", "Store", "alembic_config", "default_url", "upgrade_schema"]
