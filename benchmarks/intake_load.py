"""Intake under load: N requests/s for S seconds on loopback; latency percentiles and nothing lost.

    .venv/bin/python benchmarks/intake_load.py [--rate 200] [--seconds 60] [--json out.json]

The server runs in its own process (uvicorn, ``nadhir.service.app:app_from_env``) with one token
per source of the bundled scenario, as a deployment would have. The load is open-loop: request i
is due at start + i/rate whatever happened to earlier ones, and its latency runs from when it was
due to when its answer was read, so a slow server shows as latency, not as a lower rate. The
client speaks raw HTTP/1.1 over 32 keep-alive connections so that it costs far less than the
server. Events are the bundled scenario's own (reports, acoustic detections, impacts), each sent
by its own source with its own token, stamped by the server on arrival. Afterwards the service's
own counters must show every accepted event processed and stored: accepted == processed ==
stored == the 202s the client saw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from nadhir.service.region import bundled_scenario

ENDPOINT = {"report": "reports", "acoustic": "acoustic", "impact": "impacts"}
SOURCE_FIELD = {"report": "reporter", "impact": "reporter", "acoustic": "sensor"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def load_events(scenario: Path) -> list[dict[str, Any]]:
    out = []
    for line in (scenario / "events.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            obj.pop("t", None)  # the server stamps arrival
            out.append(obj)
    return out


def write_settings(folder: Path, events: list[dict[str, Any]], scenario: Path) -> tuple[Path, dict[str, str]]:
    reporters = {r["id"]: r["kind"] for r in json.loads((scenario / "reporters.json").read_text())}
    tokens: dict[str, str] = {}
    lines = [f'db = "sqlite:///{folder / "load.sqlite3"}"', ""]
    lines += [
        "[rate_limits]",
        "observer = { rate = 20.0, burst = 50 }",
        "sensor = { rate = 20.0, burst = 50 }",
        "",
    ]
    admin = secrets.token_urlsafe(24)
    tokens["__admin__"] = admin
    lines += ["[[tokens]]", 'role = "admin"', 'subject = "bench"', f'token = "{admin}"', ""]
    for event in events:
        source = event.get(SOURCE_FIELD[event["kind"]])
        if source in tokens:
            continue
        role = reporters.get(source) or ("sensor" if event["kind"] == "acoustic" else "observer")
        tokens[source] = secrets.token_urlsafe(24)
        lines += [
            "[[tokens]]",
            f'role = "{role}"',
            f'subject = "{source}"',
            f'token = "{tokens[source]}"',
            "",
        ]
    path = folder / "settings.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, tokens


class Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough HTTP for this (the client must cost
    far less than the server, or the benchmark measures the client)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, request: bytes) -> int:
        self.writer.write(request)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return int(status_line.split()[1])


def encode(port: int, event: dict[str, Any], token: str) -> bytes:
    body = json.dumps(event, ensure_ascii=False).encode()
    head = (
        f"POST /api/v1/intake/{ENDPOINT[event['kind']]} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def run_load(
    port: int,
    events: list[dict[str, Any]],
    tokens: dict[str, str],
    rate: float,
    seconds: float,
    connections: int = 32,
) -> dict[str, Any]:
    n = int(rate * seconds)
    requests = [
        encode(
            port,
            events[i % len(events)],
            tokens[events[i % len(events)][SOURCE_FIELD[events[i % len(events)]["kind"]]]],
        )
        for i in range(n)
    ]
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(*await asyncio.open_connection("127.0.0.1", port)))
    latencies: list[float] = []
    lags: list[float] = []
    statuses: dict[int, int] = {}

    async def one(request: bytes, at: float) -> None:
        conn = await idle.get()
        sent = time.perf_counter()
        lags.append(sent - at)
        try:
            code = await conn.post(request)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            code = -1
            conn = Connection(*await asyncio.open_connection("127.0.0.1", port))
        # Latency from when the request was due: waiting for a free connection counts against the server.
        latencies.append(time.perf_counter() - at)
        statuses[code] = statuses.get(code, 0) + 1
        idle.put_nowait(conn)

    tasks = []
    start = time.perf_counter() + 0.5
    for i, request in enumerate(requests):
        at = start + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(request, at)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait().writer.close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": n,
        "elapsed_s": round(elapsed, 2),
        "achieved_rate": round(n / elapsed, 1),
        "statuses": statuses,
        "p50_ms": round(pct(0.50), 2),
        "p95_ms": round(pct(0.95), 2),
        "p99_ms": round(pct(0.99), 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "connection_wait_p99_ms": round(sorted(lags)[int(0.99 * len(lags))] * 1000, 2),
    }


def wait_ready(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).json().get("status") == "ok":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    raise SystemExit("server did not start")


def settle(base: str, admin: str, accepted: int, timeout: float = 60.0) -> dict[str, Any]:
    """The service's counters once everything accepted has been processed and stored."""
    deadline = time.monotonic() + timeout
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = httpx.get(
            base + "/api/v1/admin/stats", headers={"Authorization": f"Bearer {admin}"}, timeout=5
        ).json()
        if stats["processed"] >= accepted and stats["stored_events"] >= accepted:
            break
        time.sleep(0.2)
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    scenario = bundled_scenario()
    events = load_events(scenario)
    with tempfile.TemporaryDirectory() as tmp:
        settings, tokens = write_settings(Path(tmp), events, scenario)
        port = free_port()
        env = dict(os.environ, NADHIR_SETTINGS=str(settings))
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "nadhir.service.app:app_from_env",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            result = asyncio.run(run_load(port, events, tokens, args.rate, args.seconds))
            accepted_seen = result["statuses"].get(202, 0)
            stats = settle(base, tokens["__admin__"], accepted_seen)
        finally:
            server.terminate()
            server.wait(30)
    lost = accepted_seen - min(stats.get("processed", 0), stats.get("stored_events", 0))
    result.update(
        accepted_by_service=stats.get("accepted"),
        processed=stats.get("processed"),
        stored=stats.get("stored_events"),
        lost=lost,
        refused=result["requests"] - accepted_seen,
        rate_target=args.rate,
        seconds=args.seconds,
    )
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    ok = lost == 0 and result["refused"] == 0 and result["p99_ms"] <= 50.0
    print(
        "PASS" if ok else "FAIL",
        f"p99 {result['p99_ms']} ms (target 50), lost {lost}, refused {result['refused']}",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
