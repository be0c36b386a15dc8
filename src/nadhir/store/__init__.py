"""Persistence of runs: sites, input events, track states, alerts and stats (SQLite or PostgreSQL)."""

from nadhir.store import outbox_models, people_models  # noqa: F401  (their tables join Base.metadata)
from nadhir.store.store import RunInfo, Store, alembic_config, default_url, upgrade_schema

__all__ = ["RunInfo", "Store", "alembic_config", "default_url", "upgrade_schema"]
