"""The live service's alerts reach the durable outbox, and with a broker the sirens (real Mosquitto)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from fastapi.testclient import TestClient
from service_helpers import auth, make_settings, wait_for

from nadhir.alerting.outbox import Outbox
from nadhir.service.app import create_app
from nadhir.service.live import ManualClock
from services import require_service, skip_or_fail

SITE, SIREN = "saraqeb", "siren-saraqeb-1"


def _raise_imminent(client: TestClient) -> None:
    raised = client.post(
        f"/api/v1/operator/sites/{SITE}/alert",
        json={"level": "imminent", "aircraft": "jet", "note": "test"},
        headers=auth("operator"),
    )
    assert raised.status_code == 200, raised.text


def test_every_alert_is_stored_with_its_siren_deliveries_before_any_send(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings, clock=clock)) as client:
        _raise_imminent(client)
        outbox = Outbox.open(str(settings.db))
        try:
            wait_for(lambda: any(d.target == SIREN for d in outbox.deliveries()))
            sirens = [d for d in outbox.deliveries() if d.channel == "siren"]
        finally:
            outbox.close()
    assert [d.target for d in sirens] == [SIREN]
    assert sirens[0].attempts == 0  # stored; no broker configured, so nothing was sent


def test_imminent_alert_reaches_the_sirens_command_topic(tmp_path: Path) -> None:
    require_service("mqtt", "127.0.0.1", 1883)
    if shutil.which("mosquitto_sub") is None:
        skip_or_fail("mosquitto_sub not installed (apt-get install mosquitto-clients)")
    topic = f"nadhir/sirens/{SIREN}/cmd"
    listener = subprocess.Popen(
        [
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            "1883",
            "-q",
            "1",
            "-v",
            "-t",
            topic,
            "-C",
            "1",
            "-W",
            "30",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.5)  # let the independent client subscribe
        settings = make_settings(tmp_path, sirens_broker="127.0.0.1:1883")
        # Siren commands expire minutes after their alert: the service's clock must be today's.
        with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
            _raise_imminent(client)
            out, _ = listener.communicate(timeout=30)
    finally:
        listener.kill()
    assert out.startswith(topic + " CMD"), out
    assert "imminent" in out
