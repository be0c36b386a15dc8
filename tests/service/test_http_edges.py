"""Bad HTTP input answers 4xx and names what is wrong; bodies are capped while they stream in; kiosks keep
their own rate bucket. (Issue 13: "Smaller holes", and "every HTTP case answers 4xx, never 500".)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from service_helpers import T0, auth, make_settings, serving

from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock
from nadhir.service.settings import RateLimit

LIMIT = 64 * 1024  # the default max_body_bytes

# Every route that reads a JSON body, with the role that may call it.
JSON_ROUTES = [
    ("observer", "/api/v1/intake/reports"),
    ("sensor", "/api/v1/intake/acoustic"),
    ("observer", "/api/v1/intake/impacts"),
    ("operator", "/api/v1/operator/sites/saraqeb/alert"),
    ("operator", "/api/v1/operator/sites/saraqeb/confirm"),
    ("operator", "/api/v1/operator/sites/saraqeb/cancel"),
    ("operator", "/api/v1/operator/sites/saraqeb/test-alarm"),
    ("operator", "/api/v1/subscriptions"),
    ("operator", "/api/v1/operator/test-alarms"),
]
# Raw bodies that break a JSON rule, the words the answer must have, and the field it names first
# ("body" where the rule is about the whole body).
BAD_JSON = [
    (b'{"lat": 35.8, "lon": 1e400, "text": "jet", "eta_s": 1e400}', "1e400 is out of range", "lon"),
    (b'{"lat": NaN, "lon": 36.6, "text": "jet", "eta_s": NaN}', "NaN is not a number", "lat"),
    (b'{"lat": 35.8, "lon": Infinity, "eta_s": Infinity}', "Infinity is not a number", "lon"),
    (b'{"lat": 35.8, "lon": -Infinity, "eta_s": -Infinity}', "-Infinity is not a number", "lon"),
    (b'{"note": ' + b"[" * 30_000 + b"]" * 30_000 + b"}", "nested deeper than 32 levels", "body"),
    (b'{"count": ' + b"9" * 5000 + b"}", "not usable", "body"),
    (b"{oops", "not JSON", "body"),
]


@pytest.fixture
def roomy(tmp_path: Path) -> Iterator[TestClient]:
    """A service whose rate limits do not get in the way of many requests from one test."""
    settings = make_settings(tmp_path)
    limits = dict(settings.rate_limits)
    limits["observer"] = limits["sensor"] = limits["operator"] = RateLimit(1000.0, 1000)
    settings = make_settings(tmp_path, rate_limits=limits)
    with TestClient(create_app(settings, clock=ManualClock(T0)), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(("body", "words", "field"), BAD_JSON, ids=[w for _, w, _f in BAD_JSON])
def test_json_that_breaks_a_rule_is_refused_with_4xx_on_every_route(
    roomy: TestClient, body: bytes, words: str, field: str
) -> None:
    for role, path in JSON_ROUTES:
        r = roomy.post(path, content=body, headers={**auth(role), "Content-Type": "application/json"})
        assert r.status_code in (400, 422), (path, r.status_code, r.text)
        assert words in r.json()["detail"], (path, r.text)
        if words != "not JSON":
            assert r.status_code == 422 and r.json()["detail"].startswith(f"{field}: "), (path, r.text)
    assert roomy.get("/api/v1/health").json()["status"] == "ok"
    assert roomy.get("/api/v1/alerts", headers=auth("viewer")).json() == []  # nothing got through


async def _post_endless(
    app: object, path: str, chunk: int, total: int, headers: list[tuple[bytes, bytes]]
) -> tuple[int, int]:
    """POST a chunked body of ``total`` bytes straight into the ASGI app; (status, bytes it pulled)."""
    pulled = 0
    status: list[int] = []
    piece = b" " * chunk

    async def receive() -> dict[str, object]:
        nonlocal pulled
        if pulled >= total:
            return {"type": "http.disconnect"}
        pulled += chunk
        return {"type": "http.request", "body": piece, "more_body": pulled < total}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))  # type: ignore[call-overload]

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), *headers], "client": ("10.0.0.9", 5000),
        "server": ("testserver", 80),
    }  # fmt: skip
    await app(scope, receive, send)  # type: ignore[operator]
    return status[0], pulled


@pytest.mark.parametrize(
    ("role", "path"),
    [("observer", "/api/v1/intake/reports"), ("operator", "/api/v1/intake/cap"),
     ("operator", "/api/v1/operator/sites/saraqeb/alert"), (None, "/api/v1/kiosk/dana")],
)  # fmt: skip
def test_a_chunked_body_is_cut_off_at_the_limit_not_read_whole(
    tmp_path: Path, role: str | None, path: str
) -> None:
    app = create_app(make_settings(tmp_path), clock=ManualClock(T0))
    headers = [] if role is None else [(k.lower().encode(), v.encode()) for k, v in auth(role).items()]
    total = 64 * 1024 * 1024  # (the probe sent 400 MB); never allocated here, only counted
    status, pulled = asyncio.run(_post_endless(app, path, 16 * 1024, total, headers))
    assert status == 413
    assert pulled <= LIMIT + 16 * 1024  # stopped at the first chunk past the limit


def test_a_declared_length_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path), clock=ManualClock(T0))
    headers = [(b"content-length", str(10 * LIMIT).encode()), (b"content-type", b"application/json")]
    status, pulled = asyncio.run(_post_endless(app, "/api/v1/subscriptions", 16 * 1024, 10 * LIMIT, headers))
    assert (status, pulled) == (413, 0)


def test_over_a_real_socket_the_server_stops_reading_a_huge_chunked_body(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path), clock=ManualClock(T0))
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        piece = b" " * (1024 * 1024)
        for _ in range(256):  # 256 MB (the probe sent 400 MB)
            sent += len(piece)
            yield piece

    with serving(app) as base:
        r = httpx.post(f"{base}/api/v1/intake/reports", content=body(), headers=auth("observer"), timeout=30)
        assert r.status_code == 413 and "body larger than 65536 bytes" in r.json()["detail"]
        # The server closed the connection at the limit: the client could not push the rest
        # (a few MB may sit in the sockets' buffers).
        assert sent < 32 * 1024 * 1024, sent
        assert httpx.get(f"{base}/api/v1/health").json()["status"] == "ok"


def test_bad_token_spam_does_not_starve_the_kiosks_behind_the_same_address(tmp_path: Path) -> None:
    limits = dict(make_settings(tmp_path).rate_limits)
    limits["anonymous"] = RateLimit(0.01, 30)  # refills too slowly to matter during the test, however slow
    settings = make_settings(tmp_path, rate_limits=limits)
    with TestClient(create_app(settings, clock=ManualClock(T0))) as client:
        spam = [
            client.get(
                "/api/v1/sites", headers={"Authorization": "Bearer wrong-token-0123456789"}
            ).status_code
            for _ in range(60)
        ]
        assert spam[0] == 401 and spam[-1] == 429  # the spammer is still slowed down
        kiosks = [client.get("/api/v1/kiosk/dana").status_code for _ in range(20)]
        assert kiosks == [200] * 20
        with client.stream("GET", "/api/v1/kiosk/dana/sse") as stream:
            assert stream.status_code == 200
        assert client.get("/api/v1/sites", headers={"Authorization": "Bearer wrong"}).status_code == 429
