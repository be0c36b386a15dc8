"""Moving a whole store from one database to another (SQLite to PostgreSQL, for the scale-out path).

::

    counts = move_store("sqlite:///out/nadhir.sqlite3", "postgresql+psycopg://db/nadhir",
                        on_rows=lambda table, n: ...)

Every table of the schema (runs, sites, events, track states, alerts, the outbox and its audit,
subscriptions, test alarms, the quarantine) is copied in primary-key order, in batches, in one
transaction on the target: a move that fails leaves the target as it was. The source must be at
the newest schema (``nadhir migrate --db SOURCE`` first); the target is brought to it. A target that
holds any row is refused unless ``replace`` is given, which empties it (in the same transaction).
The rows of every table are then counted on both sides and must agree. On PostgreSQL the id
sequences are moved past the copied ids, so that new rows do not collide with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection, Engine

from nadhir.store.models import Base
from nadhir.store.store import Store, alembic_config

BATCH = 5_000


class MoveError(RuntimeError):
    """A move that cannot be made or did not come out whole; the target is left as it was."""


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database's schema stands: its revision (None: never migrated) and the newest."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_state(engine: Engine) -> SchemaState:
    """The database's schema revision and the newest one this version of Nadhir knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the package ships its migrations
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return SchemaState(current, head)


def tables() -> list[Table]:
    """Every table of the store, parents before children (the order rows can be inserted in)."""
    return list(Base.metadata.sorted_tables)


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows per table."""
    return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in tables()}


def move_store(
    source_url: str,
    target_url: str,
    *,
    replace: bool = False,
    batch: int = BATCH,
    on_rows: Callable[[str, int], None] | None = None,
    on_start: Callable[[Mapping[str, int]], None] | None = None,
) -> dict[str, int]:
    """Copy every row of the store at ``source_url`` into ``target_url``; returns the rows per table.

    ``on_start(counts)`` is told the source's rows per table before copying; ``on_rows(table, n)``
    after each batch (a progress bar). Raises :class:`MoveError` (the target unchanged) if the
    source is not at the newest schema, the target holds rows and ``replace`` is false, or the
    counts do not agree afterwards.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    source = Store.open(source_url, migrate=False)
    try:
        state = schema_state(source.engine)
        if not state.up_to_date:
            raise MoveError(f"the source is at schema {state.current or 'none'}, not {state.head}: "
                            "run `nadhir migrate --db SOURCE` first")  # fmt: skip
        target = Store.open(target_url)
        try:
            return _copy(source.engine, target.engine, replace, batch, on_rows, on_start)
        finally:
            target.close()
    finally:
        source.close()


def _copy(
    source: Engine,
    target: Engine,
    replace: bool,
    batch: int,
    on_rows: Callable[[str, int], None] | None,
    on_start: Callable[[Mapping[str, int]], None] | None,
) -> dict[str, int]:
    order = tables()
    # One read transaction on the source (on PostgreSQL a consistent snapshot; SQLite holds its read
    # lock) and one write transaction on the target.
    with source.connect() as src, src.begin(), target.begin() as dst:
        counts = row_counts(src)
        if on_start is not None:
            on_start(counts)
        held = {name: n for name, n in row_counts(dst).items() if n}
        if held and not replace:
            listed = ", ".join(f"{name} {n}" for name, n in sorted(held.items()))
            raise MoveError(f"the target is not empty ({listed}); give --force to replace it")
        for table in reversed(order):
            dst.execute(table.delete())
        for table in order:
            _copy_table(src, dst, table, batch, on_rows)
        if dst.dialect.name == "postgresql":
            _advance_sequences(dst)
        copied = row_counts(dst)
        if copied != counts:
            wrong = {t: (counts[t], copied[t]) for t in counts if counts[t] != copied.get(t)}
            raise MoveError(f"row counts differ after copying (source, target): {wrong}")
    return counts


def _copy_table(
    src: Connection, dst: Connection, table: Table, batch: int, on_rows: Callable[[str, int], None] | None
) -> None:
    key = list(table.primary_key.columns)
    rows = src.execution_options(stream_results=True, yield_per=batch).execute(select(table).order_by(*key))
    for part in rows.partitions(batch):
        dst.execute(table.insert(), [r._asdict() for r in part])
        if on_rows is not None:
            on_rows(table.name, len(part))


def _advance_sequences(dst: Connection) -> None:
    """Move each serial id's sequence past the largest id copied (rows were inserted with their ids)."""
    for table in tables():
        for column in table.primary_key.columns:
            if not column.autoincrement or column.type.python_type is not int:
                continue
            sequence = dst.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if sequence is None:
                continue
            top = dst.execute(select(func.max(column))).scalar()
            if top is None:
                dst.execute(text("SELECT setval(CAST(:s AS regclass), 1, false)"), {"s": sequence})
            else:
                dst.execute(text("SELECT setval(CAST(:s AS regclass), :v)"), {"s": sequence, "v": int(top)})
