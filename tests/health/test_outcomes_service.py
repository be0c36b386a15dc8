"""The outcomes room in the service: the API (health role), the message channel, the CSV import, the
weekly bulletin, and the demo's series that show an alarm."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stand_in_detector
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from nadhir.domain.formats.scenario import load_scenario
from nadhir.health.completeness import last_ended
from nadhir.intake.field_reports import FieldReports, Mandates
from nadhir.service.app import create_app
from nadhir.service.cli import build_app
from nadhir.service.outcomes import DEMO_CSV, OutcomeDesk, open_desk
from nadhir.service.region import bundled_scenario
from nadhir.service.runtime import Service
from nadhir.service.settings import Settings, token_spec
from nadhir.store import Store
from nadhir.store.outcomes import OutcomeBook

HEALTH = {"Authorization": "Bearer health-token-0123456789ab"}
VIEWER = {"Authorization": "Bearer viewer-token-0123456789ab"}
MATERNITY = "idlib-maternity-hospital"
HEADER = ("facility_id,period_start,live_births,stillbirths_fresh,stillbirths_macerated,miscarriages,"
          "preterm_births,low_birth_weight,neonatal_deaths,maternal_deaths")  # fmt: skip


def week(n: int) -> dt.date:
    """The Monday ``n`` weeks before the last week that has ended (n = 0: that week)."""
    return last_ended("week", time.time()) - dt.timedelta(weeks=n)


def body(start: dt.date, stillbirths: int, facility: str = MATERNITY) -> dict[str, object]:
    return {"facility_id": facility, "period_start": start.isoformat(), "live_births": 200,
            "stillbirths_fresh": stillbirths // 2, "stillbirths_macerated": stillbirths - stillbirths // 2,
            "miscarriages": 10, "preterm_births": 20, "low_birth_weight": 24, "neonatal_deaths": 3,
            "maternal_deaths": 0, "caesarean_sections": 60}  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(db=f"sqlite:///{tmp_path / 'service.sqlite3'}", outbox=False).with_tokens(
        token_spec("health", "huda", "health-token-0123456789ab"),
        token_spec("viewer", "vera", "viewer-token-0123456789ab"),
    )
    with TestClient(create_app(settings)) as c:
        svc: Service = c.app.state.service  # type: ignore[attr-defined]
        assert svc.outcomes is not None
        svc.outcomes.use_detector(stand_in_detector.detect)
        yield c


def test_reports_are_kept_whole_a_week_again_replaces_and_alarms_are_found_and_reviewed(
    client: TestClient,
) -> None:
    quiet = [4, 5, 3, 4, 6, 4, 5, 3, 4, 5, 4, 5, 4, 12, 14, 13]
    reports = [body(week(len(quiet) - 1 - i), n) for i, n in enumerate(quiet)]
    r = client.post("/api/v1/outcomes/reports", json={"reports": reports}, headers=HEALTH)
    assert r.status_code == 201, r.text
    assert r.json()["added"] == 16 and "kept 16 report(s)" in r.json()["confirmation"]
    # One bad report refuses the request; nothing of it is kept.
    bad = [body(week(20), 3), {**body(week(21), 3), "preterm_births": 500}]
    r = client.post("/api/v1/outcomes/reports", json={"reports": bad}, headers=HEALTH)
    assert r.status_code == 422 and "report 2: preterm_births (500) cannot exceed" in r.json()["detail"]
    r = client.post(
        "/api/v1/outcomes/reports", json={"reports": [body(week(0), 3, "atlantis")]}, headers=HEALTH
    )
    assert r.status_code == 422 and "no facility 'atlantis'" in r.json()["detail"]
    assert len(client.get("/api/v1/outcomes/reports", headers=HEALTH).json()) == 16
    # Health data is the health role's: a viewer may not read it.
    assert client.get("/api/v1/outcomes/reports", headers=VIEWER).status_code == 403
    # A correction of the last week replaces it.
    r = client.post("/api/v1/outcomes/reports", json={"reports": [body(week(0), 14)]}, headers=HEALTH)
    assert (r.json()["added"], r.json()["replaced"]) == (0, 1)

    facilities = {
        f["facility_id"]: f for f in client.get("/api/v1/outcomes/facilities", headers=HEALTH).json()
    }
    mine = facilities[MATERNITY]
    assert (mine["expected"], mine["reported"], mine["completeness"]) == (16, 16, 1.0)
    assert (
        mine["rates"][0]["indicator"] == "stillbirths" and mine["rates"][0]["low"] < mine["rates"][0]["value"]
    )
    assert facilities["sarmada-hospital"]["expected"] == 0  # a hospital that never reported

    series = client.get(f"/api/v1/outcomes/series/{MATERNITY}?method=stand-in", headers=HEALTH).json()
    assert sum(p["alarm"] for p in series["points"]) == 3 and series["svg"].startswith("<svg")

    scan = client.post("/api/v1/outcomes/scan", json={"method": "stand-in", "indicators": ["stillbirths"]},
                       headers=HEALTH).json()  # fmt: skip
    assert scan["found"] == 3 and len(scan["new"]) == 3 and scan["deliveries"] == 0  # delivery is off
    again = client.post("/api/v1/outcomes/scan", json={"method": "stand-in", "indicators": ["stillbirths"]},
                        headers=HEALTH).json()  # fmt: skip
    assert again["found"] == 3 and again["new"] == []
    alarm = scan["new"][0]
    assert (alarm["facility_name"], alarm["indicator"], alarm["status"]) == (
        "Idlib Maternity Hospital", "stillbirths", "new",
    )  # fmt: skip
    cap = client.get(f"/api/v1/outcomes/alarms/{alarm['id']}/cap", headers=HEALTH)
    assert (
        cap.headers["content-type"].startswith("application/cap+xml") and b"<category>Health" in cap.content
    )
    r = client.post(
        f"/api/v1/outcomes/alarms/{alarm['id']}/review", json={"status": "dismissed"}, headers=HEALTH
    )
    assert r.status_code == 422 and "a note is required" in r.json()["detail"]
    r = client.post(f"/api/v1/outcomes/alarms/{alarm['id']}/review",
                    json={"status": "investigated", "note": "visited the ward"}, headers=HEALTH)  # fmt: skip
    assert r.status_code == 200 and (r.json()["status"], r.json()["status_by"]) == (
        "investigated",
        "health:huda",
    )
    assert client.post("/api/v1/outcomes/alarms/999/review", json={"status": "investigated"},
                       headers=HEALTH).status_code == 404  # fmt: skip
    assert len(client.get("/api/v1/outcomes/alarms?status=new", headers=HEALTH).json()) == 2


def test_the_message_channel_keeps_a_ward_s_week(client: TestClient) -> None:
    svc: Service = client.app.state.service  # type: ignore[attr-defined]
    label = f"{week(0).isocalendar()[0]}-W{week(0).isocalendar()[1]:02d}"
    text = (
        f"outcomes {MATERNITY} {label} live 120 fresh 2 macerated 1 miscarriages 4 preterm 11 lbw 13 "
        "neonatal 2 maternal 0"
    )
    # obs-binnish-15 speaks for the maternity in the bundled region's reporters.json; no one else may.
    refused = svc.field_reports.route("obs-saraqeb-9", text, time.time())
    assert refused is not None and not refused.accepted and "does not report for" in refused.text
    reply = svc.field_reports.route("obs-binnish-15", text, time.time())
    assert reply is not None and reply.accepted, reply
    kept = client.get("/api/v1/outcomes/reports", headers=HEALTH).json()
    assert [(k["facility_id"], k["live_births"]) for k in kept] == [(MATERNITY, 120)]


def test_import_all_or_nothing_then_the_bulletin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'n.sqlite3'}"
    runner = CliRunner()
    app = build_app()
    bad = tmp_path / "bad.csv"
    rows = ["sarmada-hospital,2026-03-30,80,1,0,3,7,9,1,0", "sarmada-hospital,2026-04-06,80,1,0,3,97,9,1,0"]
    bad.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["outcomes", "import", str(bad), "--db", db])
    assert r.exit_code == 1 and "line 3" in r.output and "nothing imported" in r.output
    with Store.open(db) as store:
        assert OutcomeBook(store.engine).current() == []
    r = runner.invoke(app, ["outcomes", "import", str(DEMO_CSV), "--db", db])
    assert r.exit_code == 0, r.output
    assert "913 reports of 9 facilities" in r.output and "913 new" in r.output
    r = runner.invoke(app, ["outcomes", "import", str(DEMO_CSV), "--db", db])
    assert "913 unchanged" in r.output

    monkeypatch.setattr("nadhir.service.outcomes.default_detect", lambda: stand_in_detector.detect)
    out = tmp_path / "bulletin.html"
    r = runner.invoke(app, ["outcomes", "report", "--week", "2026-W43", "--out", str(out), "--db", db,
                            "--method", "stand-in"])  # fmt: skip
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert "week 2026-W43" in page and page.count("<svg") == 9
    assert "<tr><td>Idlib Maternity Hospital</td><td>stillbirths</td><td>2026-W43</td>" in page
    r = runner.invoke(app, ["outcomes", "report", "--week", "2026-47", "--out", str(out), "--db", db])
    assert r.exit_code == 2 and "YYYY-Www" in r.output
    r = runner.invoke(
        app, ["outcomes", "report", "--week", "2026-W43", "--out", str(tmp_path / "b.doc"), "--db", db]
    )
    assert r.exit_code == 2


def test_the_demo_loads_two_years_and_shows_the_rise(tmp_path: Path) -> None:
    sites = load_scenario(bundled_scenario()).sites
    now = time.time() + 400 * 86400  # long after the bundled series end: the demo still shows its rise
    with Store.open(f"sqlite:///{tmp_path / 'd.sqlite3'}") as store:
        holder: list[OutcomeDesk] = []
        reports = FieldReports()
        # The stand-in detector stands for the project's (wired at merge).
        import nadhir.service.outcomes as desk_module

        original = desk_module.default_detect
        desk_module.default_detect = lambda: stand_in_detector.detect  # type: ignore[assignment]
        try:
            desk = open_desk(
                store.engine,
                sites,
                reports,
                Mandates(()),
                lambda: holder[0] if holder else None,
                demo=True,
                now=now,
            )
        finally:
            desk_module.default_detect = original  # type: ignore[assignment]
        holder.append(desk)
        alarms = desk.book.alarms()
        maternity = [a for a in alarms if a.facility_id == MATERNITY]
        assert maternity, [a.key for a in alarms]
        assert {a.indicator for a in maternity} >= {"stillbirths"}
        rep = desk.reporting(now)
        assert rep[MATERNITY].completeness == pytest.approx(1.0)
        assert rep[MATERNITY].timeliness == pytest.approx(1.0)  # each week sent the morning after
        assert rep["jisr-hospital"].completeness is not None and rep["jisr-hospital"].completeness < 0.8
        assert any(r.kind == "outcomes" for r in reports.readers)
        with pytest.raises(ValueError, match="already added"):  # the reader is added once per channel set
            reports.add(reports.readers[0])
        assert json.dumps([a.key for a in maternity])


def test_the_bulletin_prints_to_pdf_with_chromium_or_says_why_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nadhir.service import outcomes_bulletin

    page = "<!doctype html><html><body><h1>Bulletin</h1></body></html>"
    monkeypatch.setattr(outcomes_bulletin.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="PDF needs a Chromium browser"):
        outcomes_bulletin.write_pdf(page, tmp_path / "none.pdf")
    monkeypatch.undo()
    if outcomes_bulletin.shutil.which("chromium") is None:
        pytest.skip("no chromium to print with")
    out = tmp_path / "b.pdf"
    outcomes_bulletin.write_pdf(page, out)
    assert out.read_bytes().startswith(b"%PDF-")
