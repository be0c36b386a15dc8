"""Skip-or-fail for tests that need an external service (PostgreSQL, MQTT, NATS, ...).

Call :func:`require_service` at the start of a test or fixture that needs a
server::

    from services import require_service

    require_service("postgresql", "127.0.0.1", 5432)

If nothing accepts a TCP connection at ``host:port`` the test is *skipped*, so
the suite passes on a laptop without the servers. In CI, set
``NADHIR_REQUIRE_SERVICES=1``: a missing service then *fails* the test
instead, so a broken service container cannot hide behind skips.

:func:`skip_or_fail` applies the same rule to other reasons a service is
unusable (for example the server answers but refuses every login).

:func:`postgres_schema` gives a test a new, empty PostgreSQL schema and drops it afterwards.

``tests/conftest.py`` puts this folder on ``sys.path``, so ``import services``
works from any test module.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

REQUIRE_ENV = "NADHIR_REQUIRE_SERVICES"


def services_required() -> bool:
    """True when missing services must fail tests rather than skip them."""
    return os.environ.get(REQUIRE_ENV, "").strip() == "1"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the current test, or fail it when ``NADHIR_REQUIRE_SERVICES=1``."""
    if services_required():
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


def require_service(name: str, host: str, port: int, timeout: float = 1.0) -> None:
    """Make sure something listens on ``host:port``; otherwise skip (or fail, see above)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        skip_or_fail(f"{name} not reachable at {host}:{port}: {exc}")


@contextmanager
def postgres_schema(admin_url: URL, prefix: str) -> Iterator[tuple[sa.Engine, str]]:
    """A new, empty schema named ``prefix`` and a random tail: an admin engine (autocommit) and the
    URL whose connections work in that schema; the schema is dropped, with all in it, afterwards.
    A server refusing the login skips the test (or fails it, see above)."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        skip_or_fail(f"postgresql refused the login: {exc}")
    try:
        url = admin_url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield admin, url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
