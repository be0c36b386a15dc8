"""Fixtures of the cluster's tests: a NATS JetStream server of their own, a fresh PostgreSQL database.

Each test that uses :func:`nats` gets its own ``nats-server -js`` on a free port with a store folder
under ``tmp_path``, so that it may kill it and start it again (the same port and folder: what
JetStream stored survives). :func:`pg_url` is a new database on the PostgreSQL server of
``NADHIR_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), dropped
after the test. Without the servers the tests skip, and under ``NADHIR_REQUIRE_SERVICES=1`` fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from services import require_service, skip_or_fail

NATS_SERVER = os.environ.get("NADHIR_NATS_SERVER", "/usr/sbin/nats-server")
PG_URL = os.environ.get("NADHIR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class NatsServer:
    """A ``nats-server -js`` of the test's own, that it may stop and start again."""

    store: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.store.parent / "nats-server.log").open("ab")
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-js", "-sd", str(self.store), "-a", "127.0.0.1", "-p", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: the server goes away at once, as on a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def restart(self, down_s: float = 0.0) -> None:
        self.kill()
        time.sleep(down_s)
        self.start()


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
