"""Fixtures of the cluster's tests: a NATS JetStream server of their own, a fresh PostgreSQL database.

Each test that uses :func:`nats` gets its own ``nats-server -js`` on a free port with a store folder
under ``tmp_path``, so that it may kill it and start it again (the same port and folder: what
JetStream stored survives). :func:`pg_url` is a new database on the PostgreSQL server of
``NADHIR_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), dropped
after the test. Without the servers the tests skip, and under ``NADHIR_REQUIRE_SERVICES=1`` fail.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cluster_helpers import NATS_SERVER, PG_URL, NatsServer
from sqlalchemy.engine import make_url

from services import require_service, skip_or_fail


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A JetStream server of this test's own."""
    if not (Path(NATS_SERVER).exists() or shutil.which(NATS_SERVER)):
        skip_or_fail(f"nats-server not found at {NATS_SERVER} (the Debian package nats-server)")
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    base = make_url(PG_URL)
    require_service("postgresql", base.host or "127.0.0.1", base.port or 5432)
    name = f"nadhir_cluster_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        skip_or_fail(f"postgresql refused to create a database: {exc}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
