"""Hypothesis against the HTTP intake and the bodies the API reads: whatever comes in, never a 5xx.

``test_openapi_fuzz.py`` (schemathesis) sends what the OpenAPI document describes, as JSON a client
library writes. This sends what no document describes: JSON with ``NaN``, ``Infinity``, numbers
that overflow a double or run to thousands of digits, deep nesting, the fields of the schemas with
values of any type, arbitrary bytes, and CAP messages with their text mangled. After each test the
service must still be healthy, take a valid report and move its clock on.

Bounded for CI: 75 examples a test, a few seconds each, no deadline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_helpers import T0, auth, make_settings, wait_for
from test_cap_intake import foreign

from nadhir.domain.validation import load_json
from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.settings import RateLimit

FUZZ = settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
ADMIN = auth("admin")  # admins may call every route and submit for any source; their limit is high

# The fields of each request schema (schemas.py), so that generated objects get past "unknown field"
# and reach the readers and the engine.
EVENT_FIELDS = [
    "kind", "t", "channel", "text", "aircraft", "count", "lat", "lon", "place", "heading_deg", "heading",
    "origin", "class", "confidence", "bearing_deg", "bearing_sigma_deg",
]  # fmt: skip
ALERT_FIELDS = ["level", "aircraft", "eta_s", "note"]
SUBSCRIPTION_FIELDS = ["id", "channel", "address", "lang", "sites", "lat", "lon", "radius_m"]
SIREN_TEST_FIELDS = ["sites", "at", "duration_s"]
ALL_FIELDS = sorted(
    {*EVENT_FIELDS, *ALERT_FIELDS, *SUBSCRIPTION_FIELDS, *SIREN_TEST_FIELDS, "reporter", "sensor"}
)
# Number literals that are JSON only in name, or that break a double or an int.
ODD_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "9" * 5000, "-0", "1e308", "-5"]
WORDS = ["jet", "drone", "helicopter", "Saraqeb", "saraqeb", "all", "imminent", "early", "sms", "ar",
         "+963944000001", "2025-05-02T04:00:00Z", "+30m", "1746158460"]  # fmt: skip

leaves = st.one_of(
    st.just("null"),
    st.booleans().map(json.dumps),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.text(max_size=40).map(json.dumps),
    st.sampled_from(ODD_NUMBERS),
    st.sampled_from(WORDS).map(json.dumps),
)
keys = st.one_of(st.sampled_from(ALL_FIELDS), st.text(max_size=12))


def _object(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"


values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
        st.lists(st.tuples(keys, inner), max_size=5).map(_object),
    ),
    max_leaves=25,
)
# Nesting up to what fits in the 64 KB body limit; past about 1,000 levels a recursive parser fails.
deep = st.tuples(st.integers(1, 30_000), st.sampled_from(["[", '{"a":'])).map(
    lambda n_open: n_open[1] * n_open[0] + "1" + ("]" if n_open[1] == "[" else "}") * n_open[0]
)


# A good value for each field, so that objects often get past every check but the one under test.
GOOD: dict[str, list[object]] = {
    "kind": ["report", "acoustic", "impact"], "t": ["2025-05-02T04:00:00Z"], "channel": ["sms", "telegram"],
    "text": ["jet over Saraqeb"], "aircraft": ["jet", "drone", "unknown"], "place": ["Saraqeb"],
    "heading": ["N"], "origin": ["Hama"], "class": ["jet", "explosion"], "level": ["imminent", "early"],
    "note": ["fuzz"], "id": ["fuzz-1"], "address": ["+963944000001"], "lang": ["ar", "en"],
    "sites": [["saraqeb"], ["all"]], "at": ["+30m"],
}  # fmt: skip
numbers = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.integers().map(str),
)


def field_value(name: str) -> st.SearchStrategy[str]:
    """A number (odd ones often) for a numeric field, else a good value or anything."""
    good = st.sampled_from(GOOD[name]).map(json.dumps) if name in GOOD else numbers
    return st.one_of(good, good, leaves, values)


def objects(fields: list[str], sources: list[list[tuple[str, str]]] | None = None) -> st.SearchStrategy[str]:
    """JSON objects with some of ``fields``, and (for events) a source."""
    pairs = st.lists(st.sampled_from(fields), unique=True).flatmap(
        lambda names: st.tuples(*(st.tuples(st.just(n), field_value(n)) for n in names)).map(list)
    )
    return st.tuples(pairs, st.sampled_from(sources or [[]])).map(lambda parts: _object(parts[1] + parts[0]))


def bodies(fields: list[str], sources: list[list[tuple[str, str]]] | None = None) -> st.SearchStrategy[bytes]:
    """What may be posted: objects of the schema, any JSON, deep JSON, or bytes."""
    return st.one_of(objects(fields, sources), objects(fields, sources), values, deep).map(
        str.encode
    ) | st.binary(max_size=600)


EVENT_SOURCES = [[], [("reporter", '"obs-field-16"')], [("sensor", '"ac-0013"')]]
content_types = st.sampled_from(["application/json", "application/xml", "text/plain", None])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ManualClock]]:
    tmp = tmp_path_factory.mktemp("http-fuzz")
    limits = dict(make_settings(tmp).rate_limits)
    limits["admin"] = RateLimit(100_000.0, 100_000)
    clock = ManualClock(T0)
    with TestClient(create_app(make_settings(tmp, rate_limits=limits), clock=clock),
                    raise_server_exceptions=False) as client:  # fmt: skip
        yield client, clock


def post(client: TestClient, path: str, body: bytes, content_type: str | None) -> int:
    """No 5xx, and any answer is JSON by the rules (no bare NaN or Infinity); the status."""
    headers = dict(ADMIN) | ({"Content-Type": content_type} if content_type else {})
    r = client.post(path, content=body, headers=headers)
    assert r.status_code < 500, (path, body[:300], r.status_code, r.text[:300])
    if r.content:
        load_json(r.content)
    return r.status_code


def still_alive(client: TestClient, clock: ManualClock) -> None:
    """Healthy, takes a valid report, processes it, and its clock moves on."""
    before = client.get("/api/v1/health").json()
    assert before["status"] == "ok", before
    clock.t += 60.0
    report = {"reporter": "obs-field-16", "text": "jet over Saraqeb", "place": "Saraqeb"}
    assert client.post("/api/v1/intake/reports", json=report, headers=ADMIN).status_code == 202

    def caught_up() -> bool:
        s = client.get("/api/v1/admin/stats", headers=ADMIN).json()
        return bool(s["processed"] == s["accepted"])

    wait_for(caught_up)
    after = client.get("/api/v1/health").json()
    assert after["status"] == "ok" and after["now"] is not None and after["now"] >= clock.t - 1.0, after


def test_intake_never_answers_5xx(service: tuple[TestClient, ManualClock]) -> None:
    @FUZZ
    @given(
        kind=st.sampled_from(["reports", "acoustic", "impacts"]),
        body=bodies(EVENT_FIELDS, EVENT_SOURCES),
        content_type=content_types,
    )
    def fuzz(kind: str, body: bytes, content_type: str | None) -> None:
        post(service[0], f"/api/v1/intake/{kind}", body, content_type)

    fuzz()
    still_alive(*service)


OPERATOR_ROUTES = [
    (f"/api/v1/operator/sites/{site}/{action}", ALERT_FIELDS if action == "alert" else ["note"])
    # Several sites, so that manual alerts keep opening (an open alert answers a second one with nothing).
    for site in ("saraqeb", "dana", "saraqeb-hospital", "idlib-maternity-hospital", "all", "nowhere")
    for action in ("alert", "confirm", "cancel", "test-alarm")
] + [("/api/v1/subscriptions", SUBSCRIPTION_FIELDS), ("/api/v1/operator/test-alarms", SIREN_TEST_FIELDS)]


def test_operator_and_people_bodies_never_answer_5xx(service: tuple[TestClient, ManualClock]) -> None:
    @FUZZ
    @given(data=st.data(), content_type=st.sampled_from(["application/json", None]))
    def fuzz(data: st.DataObject, content_type: str | None) -> None:
        route, fields = data.draw(st.sampled_from(OPERATOR_ROUTES))
        if post(service[0], route, data.draw(bodies(fields)), content_type) == 200 and route.endswith(
            "/alert"
        ):
            # Ended at once, so that the next manual alert there opens anew (and answers with it).
            post(service[0], route.replace("/alert", "/cancel"), b"", None)

    fuzz()
    still_alive(*service)


cap_text = st.text(st.characters(codec="utf-8", exclude_characters="<&"), max_size=30)
cap_tags = st.sampled_from([
    "identifier", "sender", "sent", "status", "msgType", "scope", "urgency", "severity", "onset", "expires",
    "polygon", "circle", "valueName", "value",
])  # fmt: skip


@st.composite
def cap_bodies(draw: st.DrawFn) -> bytes:
    """A valid message from another system with one element's text replaced, cut short, or re-encoded."""
    xml = foreign(ident=f"fuzz-{draw(st.integers(0, 10**6))}").decode()
    tag = draw(cap_tags)
    start = xml.find(f"<{tag}>")
    if start >= 0:
        end = xml.index(f"</{tag}>", start)
        xml = xml[: start + len(tag) + 2] + draw(cap_text) + xml[end:]
    how = draw(st.sampled_from(["utf-8", "utf-16", "cut", "bytes"]))
    if how == "cut":
        return xml.encode()[: draw(st.integers(0, len(xml)))]
    if how == "bytes":
        return draw(st.binary(max_size=300)) + xml.encode()
    return xml.encode(how)


def test_cap_intake_never_answers_5xx(service: tuple[TestClient, ManualClock]) -> None:
    @FUZZ
    @given(body=st.one_of(cap_bodies(), bodies(EVENT_FIELDS)))
    def fuzz(body: bytes) -> None:
        post(service[0], "/api/v1/intake/cap", body, "application/cap+xml")

    fuzz()
    still_alive(*service)
