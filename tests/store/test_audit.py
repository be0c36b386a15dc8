"""The audit table: every operator action's outcome, in SQLite and PostgreSQL, kept across a reopen."""

from __future__ import annotations

import math

import pytest
from test_store import db_url  # noqa: F401  (the fixture: a new SQLite file or PostgreSQL schema)

from nadhir.store import Store
from nadhir.store.audit import AuditBook

T0 = 1_763_000_000.0


def test_actions_are_stored_and_read_back_newest_first_after_a_reopen(db_url: str) -> None:  # noqa: F811
    with Store.open(db_url) as store:
        book = AuditBook(store.engine)
        first = book.add(T0, "operator:olga", "alert", "saraqeb", "accepted",
                         detail={"level": "imminent", "alerts": [{"action": "alert"}]}, run_id=7)  # fmt: skip
        book.add(
            T0 + 5, "operator:olga", "cancel", "atlantis", "refused", "no site 'atlantis'", {"status": 404}
        )
        book.add(
            T0 + 9, "admin:adam", "cancel_track", "track:T4", "held", detail={"sites": ["sarmada", "dana"]}
        )
        assert first >= 1
    # A new connection (as after a restart) reads what the last one wrote.
    with Store.open(db_url) as store:
        rows = AuditBook(store.engine).recent()
        assert [(r.action, r.target, r.result) for r in rows] == [
            ("cancel_track", "track:T4", "held"),
            ("cancel", "atlantis", "refused"),
            ("alert", "saraqeb", "accepted"),
        ]
        alert = rows[-1]
        assert alert.who == "operator:olga" and alert.run_id == 7 and alert.reason is None
        assert math.isclose(alert.at, T0, abs_tol=1e-3)
        assert alert.detail == {"level": "imminent", "alerts": [{"action": "alert"}]}
        assert rows[1].reason == "no site 'atlantis'" and rows[1].detail == {"status": 404}
        book = AuditBook(store.engine)
        assert [r.result for r in book.recent(since=T0 + 1)] == ["held", "refused"]
        assert [r.action for r in book.recent(who="admin:adam")] == ["cancel_track"]
        assert len(book.recent(limit=1)) == 1


def test_bad_rows_are_refused_with_a_reason(db_url: str) -> None:  # noqa: F811
    with Store.open(db_url) as store:
        book = AuditBook(store.engine)
        with pytest.raises(ValueError, match="unknown audit result"):
            book.add(T0, "operator:olga", "alert", "saraqeb", "maybe")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="finite"):
            book.add(math.nan, "operator:olga", "alert", "saraqeb", "accepted")
        # A value JSON cannot carry is kept as its text, not lost with the row.
        book.add(T0, "operator:olga", "alert", "saraqeb", "accepted", detail={"eta_s": math.inf})
        assert book.recent()[0].detail == {"eta_s": "inf"}
        assert len(book.recent()) == 1
