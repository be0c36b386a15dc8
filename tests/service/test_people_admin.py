"""Managing who gets alerts and scheduling siren tests: `nadhir subscriptions`, `nadhir test-alarms`, and
the same through the HTTP API; a scheduled test is announced at once and sounds the sirens at its hour."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import auth, make_settings, wait_for
from typer.testing import CliRunner

from nadhir.service.app import create_app
from nadhir.service.cli import build_app
from nadhir.service.clock import ManualClock
from nadhir.service.feed import FEED, FeedMessage
from nadhir.service.people import check_address, parse_when
from nadhir.store import Store
from nadhir.store.people import SubscriptionBook, TestAlarmBook

SETTINGS_TOML = """
telegram_token = "4242:TEST-bot-token"
telegram_api = "http://127.0.0.1:9"
telegram_channels = ["@nadhir_test"]
alert_tz = "+03:00"

[[partners]]
name = "civil-defence"
url = "http://127.0.0.1:9/hook"
secret = "partner-secret-0123456789"
"""


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NADHIR_DB", f"sqlite:///{tmp_path / 'n.sqlite3'}")
    (tmp_path / "settings.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    monkeypatch.setenv("NADHIR_SETTINGS", str(tmp_path / "settings.toml"))
    for name in ("NADHIR_TELEGRAM_TOKEN", "NADHIR_PARTNERS", "NADHIR_SMS_GATEWAY_URL", "NADHIR_SIRENS"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str) -> tuple[int, str]:
    result = cli.invoke(build_app(args[0]), list(args))
    return result.exit_code, result.stdout


def test_subscriptions_command_adds_lists_imports_and_removes(cli: CliRunner, tmp_path: Path) -> None:
    code, out = run(cli, "subscriptions", "add", "--sms", "+963933000001", "--site", "saraqeb")
    assert code == 0 and out.strip().startswith("sub-")
    area = ["--point", "35.87,36.81", "--radius-km", "3", "--lang", "en"]
    assert run(cli, "subscriptions", "add", "--telegram", "1001", *area, "--id", "tg-1")[0] == 0
    assert run(cli, "subscriptions", "add", "--sms", "0933", "--site", "saraqeb")[0] == 2  # not E.164
    assert run(cli, "subscriptions", "add", "--sms", "+963933000002", "--site", "atlantis")[0] == 2
    assert run(cli, "subscriptions", "add", "--sms", "+963933000002")[0] == 2  # no site, no area
    assert run(cli, "subscriptions", "add", "--telegram", "1001", "--site", "idlib", "--id", "tg-1")[0] == 1
    # Who an alert for Saraqeb reaches: the site's subscriber and the area that covers it.
    code, out = run(cli, "subscriptions", "list", "--site", "saraqeb", "--json")
    assert code == 0 and {json.loads(line)["address"] for line in out.splitlines()} == {
        "+963933000001",
        "1001",
    }
    code, out = run(cli, "subscriptions", "list", "--site", "idlib", "--json")
    assert code == 0 and out == ""
    lines = [
        json.dumps(
            {"id": "f1", "channel": "sms", "address": "+963933000005", "lang": "en", "sites": ["idlib"]}
        ),
        "not json",
        json.dumps({"id": "f2", "channel": "sms", "address": "bad", "sites": ["idlib"]}),
        json.dumps({"id": "tg-1", "channel": "telegram", "address": "5", "sites": ["idlib"]}),
    ]
    (tmp_path / "people.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run(cli, "subscriptions", "import", str(tmp_path / "people.jsonl"))[0] == 0
    code, out = run(cli, "subscriptions", "list", "--json")
    assert [json.loads(line)["id"] for line in out.splitlines()][1:] == ["tg-1", "f1"]
    assert run(cli, "subscriptions", "remove", "tg-1", "nope")[0] == 1  # one removed, one not found
    assert run(cli, "subscriptions", "remove", "--sms", "+963933000005")[0] == 0
    assert len(run(cli, "subscriptions", "list", "--json")[1].splitlines()) == 1


def test_test_alarms_command_schedules_announces_lists_and_cancels(cli: CliRunner, tmp_path: Path) -> None:
    assert run(cli, "subscriptions", "add", "--telegram", "1001", "--site", "saraqeb", "--lang", "en")[0] == 0
    assert (
        run(cli, "subscriptions", "add", "--sms", "+963933000001", "--site", "saraqeb")[0] == 0
    )  # no gateway
    code, key = run(cli, "test-alarms", "schedule", "--site", "saraqeb", "--site", "idlib", "--at", "+2h",
                    "--duration", "20")  # fmt: skip
    key = key.strip()
    assert code == 0 and key.startswith("test-")
    assert run(cli, "test-alarms", "schedule", "--site", "saraqeb", "--at", "2020-01-01T10:00")[0] == 2
    assert run(cli, "test-alarms", "schedule", "--site", "saraqeb", "--at", "tomorrow")[0] == 2
    assert run(cli, "test-alarms", "schedule", "--at", "+1h")[0] == 2  # which sites?
    code, out = run(cli, "test-alarms", "list", "--json")
    (alarm,) = [json.loads(line) for line in out.splitlines()]
    # 5 sirens (Saraqeb 1, Idlib 4); announced on the channel, to the partner and to the Telegram subscriber
    # (SMS is not configured here, so that subscriber is not told).
    assert alarm["key"] == key and alarm["duration_s"] == 20 and alarm["deliveries"] == {"pending": 8}
    code, out = run(cli, "test-alarms", "show", key)
    shown = [json.loads(line) for line in out.splitlines()]
    assert sorted(d["channel"] for d in shown) == ["siren"] * 5 + ["telegram", "telegram", "webhook"]
    assert all(d["audit"][0]["event"] == "stored" for d in shown)
    assert run(cli, "test-alarms", "cancel", key)[0] == 0
    assert run(cli, "test-alarms", "cancel", key)[0] == 1
    code, out = run(cli, "test-alarms", "list", "--json")
    assert json.loads(out)["deliveries"] == {"cancelled": 8}
    # The audit log of every delivery, from the outbox.
    code, out = run(cli, "deliveries", "--channel", "telegram", "--audit")
    trails = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {t["target"] for t in trails} == {"@nadhir_test", "1001"}
    assert all([e["event"] for e in t["audit"]] == ["stored", "cancelled"] for t in trails)
    code, out = run(cli, "deliveries", "--json", "--last", "2")
    assert code == 0 and [json.loads(line)["channel"] for line in out.splitlines()] == ["webhook", "telegram"]
    assert run(cli, "deliveries", "--state", "lost")[0] == 2


def test_subscriptions_and_test_alarms_over_the_api(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
        body = {"channel": "sms", "address": "+963933000001", "sites": ["saraqeb"], "lang": "en"}
        made = client.post("/api/v1/subscriptions", json=body, headers=auth("operator"))
        assert made.status_code == 201, made.text
        sub_id = made.json()["id"]
        assert client.post("/api/v1/subscriptions", json=body, headers=auth("viewer")).status_code == 403
        bad = client.post("/api/v1/subscriptions", json={**body, "address": "12"}, headers=auth("operator"))
        assert bad.status_code == 422 and "international form" in bad.json()["detail"]
        again = client.post("/api/v1/subscriptions", json={**body, "id": sub_id}, headers=auth("admin"))
        assert again.status_code == 409
        area = {"channel": "telegram", "address": "1001", "lat": 35.87, "lon": 36.81, "radius_m": 3000}
        assert client.post("/api/v1/subscriptions", json=area, headers=auth("operator")).status_code == 201
        listed = client.get("/api/v1/subscriptions", params={"site": "saraqeb"}, headers=auth("operator"))
        assert {s["address"] for s in listed.json()} == {"+963933000001", "1001"}
        assert client.get("/api/v1/subscriptions", headers=auth("viewer")).status_code == 403
        gone = client.delete(f"/api/v1/subscriptions/{sub_id}", headers=auth("operator"))
        assert gone.status_code == 204
        assert client.delete(f"/api/v1/subscriptions/{sub_id}", headers=auth("operator")).status_code == 404

        test = {"sites": ["saraqeb"], "at": "+1h", "duration_s": 10}
        made = client.post("/api/v1/operator/test-alarms", json=test, headers=auth("operator"))
        assert made.status_code == 201, made.text
        alarm = made.json()
        assert alarm["sirens"] == 1 and alarm["deliveries"] == {"pending": 1}  # no people channel configured
        assert abs(alarm["at"] - (time.time() + 3600)) < 60
        past = client.post("/api/v1/operator/test-alarms", json={**test, "at": "2020-01-01T00:00"},
                           headers=auth("operator"))  # fmt: skip
        assert past.status_code == 422 and "past" in past.json()["detail"]
        unknown = client.post("/api/v1/operator/test-alarms", json={**test, "sites": ["atlantis"]},
                              headers=auth("operator"))  # fmt: skip
        assert unknown.status_code == 404
        listed = client.get("/api/v1/operator/test-alarms", headers=auth("viewer")).json()
        assert [a["key"] for a in listed] == [alarm["key"]]
        cancel = client.post(f"/api/v1/operator/test-alarms/{alarm['key']}/cancel", headers=auth("operator"))
        assert cancel.json() == {"key": alarm["key"], "cancelled": 1}
        assert client.post(f"/api/v1/operator/test-alarms/{alarm['key']}/cancel",
                           headers=auth("operator")).status_code == 404  # fmt: skip
    with Store.open(str(settings.db)) as store:
        assert [s.address for s in SubscriptionBook(store.engine).all()] == ["1001"]
        assert TestAlarmBook(store.engine).scheduled()[0].created_by == "operator:olga"


def test_addresses_and_times_as_operators_write_them() -> None:
    assert check_address("sms", " +963933000001 ") == "+963933000001"
    assert check_address("telegram", "-1001234567890") == "-1001234567890"
    assert check_address("telegram", "@nadhir_idlib") == "@nadhir_idlib"
    for channel, bad in [("sms", "0933000001"), ("sms", "+0123"), ("telegram", "abc"), ("pigeon", "x")]:
        with pytest.raises(ValueError):
            check_address(channel, bad)
    now = 1_800_000_000.0
    assert parse_when("+30m", now, "UTC") == now + 1800 and parse_when("+2h", now, "UTC") == now + 7200
    assert parse_when("2026-11-26T10:00+03:00", now, "UTC") == parse_when("2026-11-26T07:00Z", now, "UTC")
    assert parse_when("2026-11-26T10:00", now, "+03:00") == parse_when("2026-11-26T07:00", now, "UTC")
    assert parse_when("1800000600", now, "UTC") == 1_800_000_600.0
    for bad in ("tomorrow", "nan", "+5 weeks"):
        with pytest.raises(ValueError):
            parse_when(bad, now, "UTC")


def test_kiosks_sound_a_scheduled_test_alarm_at_its_hour(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path), clock=ManualClock(time.time()))) as client:
        feed = client.app.state.service.bus.subscribe(FEED)  # type: ignore[attr-defined]
        at = time.time() + 1.5
        body = {"sites": ["saraqeb-hospital"], "at": str(at)}
        made = client.post("/api/v1/operator/test-alarms", json=body, headers=auth("operator"))
        assert made.status_code == 201, made.text
        heard: list[FeedMessage] = []

        def sounded() -> bool:
            heard.extend(m for m in feed.drain() if m.type == "test_alarm")
            return bool(heard)

        wait_for(sounded, 10)
        assert time.time() >= at
        (message,) = heard
        assert message.site == "saraqeb-hospital" and message.data["key"] == made.json()["key"]
        assert message.data["by"] == "operator:olga" and message.data["scheduled"] is True
