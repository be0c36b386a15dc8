"""Episodes survive restarts: open alert episodes are restored from the store into the alert policy,
so that operators can cancel them and their all-clears go out (to the sirens, through the outbox)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from service_helpers import T0, auth, interrupt, make_settings, start_serve, wait_for

from nadhir.alerting.policy import PolicyConfig
from nadhir.delivery.outbox import Outbox
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.store import Store

CANCELLED, CLEARED, EARLY = "saraqeb", "sarmada", "binnish"
SIRENS = {"saraqeb": ["siren-saraqeb-1"], "sarmada": ["siren-sarmada-1", "siren-sarmada-2"]}


def siren_all_clears(db: str) -> list[str]:
    outbox = Outbox.open(db)
    try:
        return sorted(d.target for d in outbox.deliveries(channel="siren") if d.key.startswith("all-"))
    finally:
        outbox.close()


def level(client: TestClient, site: str) -> str | None:
    status = client.get(f"/api/v1/sites/{site}", headers=auth("viewer")).json()["status"]
    return status["level"]  # type: ignore[no-any-return]


def test_open_episodes_are_restored_then_cancelled_or_cleared(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = str(settings.db)
    with TestClient(create_app(settings, clock=ManualClock(T0))) as first:
        for site in (CANCELLED, CLEARED):
            raised = first.post(f"/api/v1/operator/sites/{site}/alert", json={"aircraft": "jet"},
                                headers=auth("operator"))  # fmt: skip
            assert raised.status_code == 200 and raised.json()["alerts"][0]["level"] == "imminent"
        early = first.post(
            f"/api/v1/operator/sites/{EARLY}/alert", json={"level": "early"}, headers=auth("operator")
        )
        assert early.status_code == 200
        wait_for(lambda: len(first.get("/api/v1/alerts", headers=auth("viewer")).json()) == 3)
        assert siren_all_clears(db) == []

    # Started again on the same database (a new run), a minute later.
    clock = ManualClock(T0 + 60)
    with TestClient(create_app(settings, clock=clock)) as second:
        assert second.get("/api/v1/health").json()["run_id"] == 2
        assert [level(second, s) for s in (CANCELLED, CLEARED, EARLY)] == ["imminent", "imminent", "early"]
        log = second.get("/api/v1/operator/log", headers=auth("viewer")).json()
        assert sorted(e["site"] for e in log if e["action"] == "restore") == sorted(
            [CANCELLED, CLEARED, EARLY]
        )
        # An operator can cancel a restored episode: an all-clear goes out, and reaches its sirens.
        cancelled = second.post(f"/api/v1/operator/sites/{CANCELLED}/cancel", headers=auth("operator"))
        assert cancelled.status_code == 200, cancelled.text
        assert [a["action"] for a in cancelled.json()["alerts"]] == ["all_clear"]
        wait_for(lambda: siren_all_clears(db) == SIRENS[CANCELLED])
        # With no threat to renew them, the others end in all-clears after the policy's hold.
        hold = PolicyConfig().hold_s
        clock.t += hold - 10
        wait_for(lambda: (second.get("/api/v1/health").json()["now"] or 0) >= clock.t - 5)
        assert level(second, CLEARED) == "imminent"
        clock.t += 20
        wait_for(lambda: level(second, CLEARED) is None and level(second, EARLY) is None)
        wait_for(lambda: siren_all_clears(db) == sorted(SIRENS[CANCELLED] + SIRENS[CLEARED]))
        alerts = second.get("/api/v1/alerts", headers=auth("viewer")).json()
        assert sorted((a["site"], a["action"]) for a in alerts) == sorted(
            (s, "all_clear") for s in (CANCELLED, CLEARED, EARLY)
        )

    # A third start finds nothing open.
    with TestClient(create_app(settings, clock=ManualClock(T0 + 600))) as third:
        assert [level(third, s) for s in (CANCELLED, CLEARED, EARLY)] == [None, None, None]
        refused = third.post(f"/api/v1/operator/sites/{CLEARED}/cancel", headers=auth("operator"))
        assert refused.status_code == 409


OPERATOR_TOKEN = "operator-token-0123456789"


def _serve(tmp_path: Path, db: str) -> tuple[subprocess.Popen[str], str]:
    env = {"NADHIR_TOKENS": f"operator:olga:{OPERATOR_TOKEN}"}
    process, output = start_serve(tmp_path, "--port", "0", "--db", db, env=env)
    found = re.search(r"console:\s+(http://127\.0\.0\.1:\d+)/console/", output)
    assert found, output
    return process, found.group(1)


def test_episodes_survive_a_killed_service(tmp_path: Path) -> None:
    """SIGKILL with an imminent episode open: the run is left unfinished, and the next start on the
    same database takes the episode up; the operator's cancel sends its all-clear to the siren."""
    db = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    process, base = _serve(tmp_path, db)
    try:
        raised = httpx.post(f"{base}/api/v1/operator/sites/{CANCELLED}/alert", json={"aircraft": "jet"},
                            headers=headers, timeout=10)  # fmt: skip
        assert raised.status_code == 200 and raised.json()["alerts"][0]["level"] == "imminent", raised.text
        wait_for(lambda: len(httpx.get(f"{base}/api/v1/alerts", headers=headers, timeout=10).json()) == 1)
    finally:
        process.kill()
        process.wait(20)
    with Store.open(db) as store:
        assert [r.finished_at for r in store.list_runs()] == [None]
    process, base = _serve(tmp_path, db)
    try:
        site = httpx.get(f"{base}/api/v1/sites/{CANCELLED}", headers=headers, timeout=10).json()
        assert site["status"]["level"] == "imminent"
        cancel = f"{base}/api/v1/operator/sites/{CANCELLED}/cancel"
        cancelled = httpx.post(cancel, headers=headers, timeout=10)
        assert cancelled.status_code == 200, cancelled.text
        assert [a["action"] for a in cancelled.json()["alerts"]] == ["all_clear"]
        wait_for(lambda: siren_all_clears(db) == SIRENS[CANCELLED])
    finally:
        interrupt(process)
