"""CAP 1.2 from other systems, read into the live service: alerts for the sites its area covers."""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import auth, make_settings, wait_for

from nadhir.alerting.cap import CapArea, CapInfo, CapMessage, read_cap, to_xml
from nadhir.delivery.outbox import Outbox
from nadhir.domain import Site
from nadhir.service.app import create_app
from nadhir.service.cap_intake import plan_from_cap, sites_in_area
from nadhir.service.clock import ManualClock

NOW = datetime.now(UTC).replace(microsecond=0)
# A square of about 4 km around Saraqeb (35.8622 N, 36.8006 E), as (lat, lon), closed.
SARAQEB_BOX = ((35.84, 36.78), (35.84, 36.82), (35.88, 36.82), (35.88, 36.78), (35.84, 36.78))


def foreign(
    urgency: str = "Immediate", *, status: str = "Actual", msg_type: str = "Alert",
    area: CapArea | None = None, ident: str = "civdef-2026-0001", **info: object,
) -> bytes:  # fmt: skip
    """A message as another warning system would send it (no nadhir:* parameters)."""
    block = CapInfo(
        language="en-US", categories=("Security",), event="Air raid", urgency=urgency, severity="Extreme",
        certainty="Likely", onset=NOW + timedelta(minutes=4), expires=NOW + timedelta(minutes=30),
        headline="Air raid warning", areas=(area or CapArea("Saraqeb and around", polygons=(SARAQEB_BOX,)),),
    )  # fmt: skip
    block = dataclasses.replace(block, **info)  # type: ignore[arg-type]
    message = CapMessage(identifier=ident, sender="warnings@civdef.example", sent=NOW, status=status,
                         msg_type=msg_type, scope="Public", infos=(block,))  # fmt: skip
    xml = to_xml(message)
    read_cap(xml)  # valid CAP 1.2, as a real system would send
    return xml


def post(client: TestClient, body: bytes, role: str = "operator") -> dict[str, object]:
    r = client.post("/api/v1/intake/cap", content=body,
                    headers={**auth(role), "Content-Type": "application/cap+xml"})  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_foreign_cap_raises_an_alert_that_reaches_the_sirens_and_is_read_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings, clock=ManualClock(time.time()))) as client:
        answer = post(client, foreign("Immediate"))
        assert answer["ignored"] is None and answer["duplicate"] is False
        inside = [{"site": "saraqeb", "level": "imminent"}, {"site": "saraqeb-hospital", "level": "imminent"}]
        assert answer["raised"] == inside  # the town and its hospital; nothing outside the square
        alerts = answer["alerts"]
        assert [(a["site"], a["level"], a["action"]) for a in alerts] == [  # type: ignore[attr-defined]
            ("saraqeb", "imminent", "alert"), ("saraqeb-hospital", "imminent", "alert")
        ]  # fmt: skip
        again = post(client, foreign("Immediate"))
        assert again["duplicate"] is True and again["alerts"] == []
        log = client.get("/api/v1/operator/log", headers=auth("viewer")).json()
        assert log[-1]["note"] == "CAP civdef-2026-0001 from warnings@civdef.example"
        outbox = Outbox.open(str(settings.db))
        try:
            wait_for(lambda: any(d.target == "siren-saraqeb-1" for d in outbox.deliveries()))
        finally:
            outbox.close()


def test_what_is_not_acted_on_says_why(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path), clock=ManualClock(time.time()))) as client:
        assert "status Exercise" in str(post(client, foreign(status="Exercise", ident="x1"))["ignored"])
        assert "msgType Cancel" in str(post(client, foreign(msg_type="Cancel", ident="x2"))["ignored"])
        far = CapArea("Aleppo", circles=((36.2, 37.15, 5.0),))
        assert "covers none of our sites" in str(post(client, foreign(area=far, ident="x3"))["ignored"])
        assert "urgency Past" in str(post(client, foreign("Past", ident="x4"))["ignored"])
        assert "expired" in str(
            post(client, foreign(expires=NOW - timedelta(minutes=1), ident="x5"))["ignored"]
        )
        bad = client.post("/api/v1/intake/cap", content=b"<alert>not CAP</alert>", headers=auth("operator"))
        assert bad.status_code == 422 and "CAP 1.2" in bad.json()["detail"]
        assert client.post("/api/v1/intake/cap", content=foreign(), headers=auth("viewer")).status_code == 403
        assert client.get("/api/v1/alerts", headers=auth("viewer")).json() == []


def test_areas_cover_sites_by_geocode_polygon_or_circle() -> None:
    town = Site("town", "Town", "town", 35.90, 36.60, 2000.0)
    far = Site("far", "Far", "town", 36.50, 37.50, 2000.0)
    by_code = CapArea("x", geocodes=(("nadhir:site", "far"),))
    box = CapArea("x", polygons=(((35.8, 36.5), (35.8, 36.7), (36.0, 36.7), (36.0, 36.5), (35.8, 36.5)),))
    near = CapArea("x", circles=((35.92, 36.60, 0.5),))  # 2.2 km away; reaches the town's 2 km area
    short = CapArea("x", circles=((35.95, 36.60, 0.5),))  # 5.6 km away
    assert [s.id for s in sites_in_area(by_code, [town, far])] == ["far"]
    assert [s.id for s in sites_in_area(box, [town, far])] == ["town"]
    assert [s.id for s in sites_in_area(near, [town, far])] == ["town"]
    assert sites_in_area(short, [town, far]) == []
    two = read_cap(foreign("Expected", area=box))
    plan = plan_from_cap(two, [town, far], NOW.timestamp())
    assert [(a.site, a.level, a.aircraft) for a in plan.actions] == [("town", "early", "unknown")]
    assert plan.actions[0].eta == (NOW + timedelta(minutes=4)).timestamp()


# -- bad messages (issue 13) --------------------------------------------------------------------


def refused(client: TestClient, body: bytes) -> str:
    r = client.post("/api/v1/intake/cap", content=body, headers=auth("operator"))
    assert r.status_code == 422, r.text
    return str(r.json()["detail"])


def test_a_doctype_is_refused_wherever_it_is_and_in_any_encoding(tmp_path: Path) -> None:
    xml = foreign(ident="dtd-1").decode()
    declaration = '<?xml version="1.0" encoding="UTF-8"?>'
    assert xml.startswith(declaration)
    entity = '<!DOCTYPE alert [<!ENTITY e "EXPANDED">]>'
    after_comment = xml.replace(declaration, declaration + "\n<!--" + "x" * 5000 + "-->\n" + entity)
    utf16 = xml.replace(declaration, '<?xml version="1.0" encoding="UTF-16"?>\n' + entity)
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = xml.replace(declaration, declaration + f'<!DOCTYPE alert [<!ENTITY l0 "lol">{laughs}]>')
    external = xml.replace(
        declaration, declaration + '<!DOCTYPE alert [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    )
    with TestClient(create_app(make_settings(tmp_path), clock=ManualClock(time.time()))) as client:
        for body in (
            after_comment.replace("Air raid warning", "&e;").encode(),
            utf16.replace("Air raid warning", "&e;").encode("utf-16"),
            utf16.encode("utf-16-be"),  # no byte order mark: expat reads the declaration
            bomb.replace("Air raid warning", "&l9;").encode(),
            external.replace("Air raid warning", "&e;").encode(),
        ):
            assert "must not contain a DOCTYPE" in refused(client, body)
        assert "well-formed" in refused(client, xml.replace("Air raid warning", "&e;").encode())
        assert "nested deeper than 16" in refused(
            client, xml.replace("<info>", "<info>" + "<a>" * 40).encode()
        )
        assert client.get("/api/v1/alerts", headers=auth("viewer")).json() == []
        # UTF-16 as such is fine: the same message without a DOCTYPE is read in.
        plain = xml.replace(declaration, '<?xml version="1.0" encoding="UTF-16"?>').replace(
            "dtd-1", "utf16-1"
        )
        assert post(client, plain.encode("utf-16"))["raised"]


def with_time(xml: bytes, tag: str, value: str) -> bytes:
    out, n = re.subn(rf"<{tag}>[^<]*</{tag}>".encode(), f"<{tag}>{value}</{tag}>".encode(), xml)
    assert n == 1
    return out


@pytest.mark.parametrize("tag", ["sent", "effective", "onset", "expires"])
@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_time_far_from_now_is_refused_naming_the_field_and_the_window(
    tmp_path: Path, tag: str, value: str
) -> None:
    xml = with_time(foreign(ident=f"far-{tag}", effective=NOW), tag, value)
    with TestClient(create_app(make_settings(tmp_path), clock=ManualClock(time.time()))) as client:
        detail = refused(client, xml)
        field = tag if tag == "sent" else f"info 1 {tag}"
        assert detail.startswith(f"{field}: ") and "at most 604800 s is allowed" in detail, detail
        assert client.get("/api/v1/alerts", headers=auth("viewer")).json() == []
        assert client.get("/api/v1/health").json()["status"] == "ok"


def test_times_within_the_window_are_taken(tmp_path: Path) -> None:
    soon = (NOW + timedelta(days=6)).isoformat()
    with TestClient(create_app(make_settings(tmp_path), clock=ManualClock(time.time()))) as client:
        assert post(client, with_time(foreign(ident="near"), "expires", soon))["raised"]


def test_a_resend_after_a_failed_first_attempt_is_read_in_not_called_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(make_settings(tmp_path), clock=ManualClock(time.time()))
    with TestClient(app, raise_server_exceptions=False) as client:
        core = app.state.service.engine.core
        real = core.operator_action
        calls = []

        def failing_once(*args: object, **kwargs: object) -> object:
            calls.append(args)
            if len(calls) == 1:
                raise RuntimeError("the store went away")
            return real(*args, **kwargs)

        monkeypatch.setattr(core, "operator_action", failing_once)
        first = client.post("/api/v1/intake/cap", content=foreign(ident="retry-1"), headers=auth("operator"))
        assert first.status_code == 500  # an internal failure, said as one
        again = post(client, foreign(ident="retry-1"))
        assert again["duplicate"] is False and [a["site"] for a in again["alerts"]] == [  # type: ignore[index]
            "saraqeb", "saraqeb-hospital"
        ]  # fmt: skip
        assert post(client, foreign(ident="retry-1"))["duplicate"] is True  # now it was read in
        assert client.get("/api/v1/health").json()["status"] == "ok"
