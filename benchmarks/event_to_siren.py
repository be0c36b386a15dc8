"""Event to siren: latency from an input event to its siren command at the MQTT broker (target p99 <= 100 ms).

    .venv/bin/python benchmarks/event_to_siren.py [SCENARIO_DIR] [--runs 3] [--broker 127.0.0.1:1883]

The scenario's events (default: the bundled demo) are moved to the present and
fed to the live pipeline batch by batch, as fast as it takes them. Every alert
goes the whole production path at once: alert router (CAP 1.2 composed and
validated against the schema), the outbox (alert and deliveries committed,
fsynced, before any send), the dispatcher (attempt recorded, command published
at QoS 1). Simulated sirens in another process acknowledge every command. An
independent ``mosquitto_sub`` subscribed to every siren's command topic stamps
each command as the broker hands it on. Latency = that stamp minus the moment
the triggering batch was handed to the pipeline (one clock; same machine).
Alerts raised by the clock alone (all-clears after quiet time) have no
triggering event and are not counted.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

from nadhir.alerting.cap import CapComposer
from nadhir.delivery.channels.mqtt_sirens import SirenChannel, SirenNetwork
from nadhir.delivery.dispatcher import Dispatcher
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.router import AlertRouter
from nadhir.delivery.siren_fleet import SirenFleet, sirens_for_sites
from nadhir.domain import Event
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.stepper import TICK_S
from nadhir_siren.protocol import parse_broker, parse_line
from siren_sim import responder

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "src" / "nadhir" / "data" / "scenarios" / "demo-idlib"


def one_run(scenario_dir: Path, host: str, port: int, workdir: Path) -> tuple[list[float], int, float]:
    scenario = load_scenario(scenario_dir)
    events: list[Event] = [e for _, e in scenario.events()]
    shift = time.time() + 5.0 - events[0].t
    events = [replace(e, t=e.t + shift) for e in events]  # type: ignore[type-var]
    pipeline = build_pipeline(scenario)
    root = f"bench-{uuid.uuid4().hex[:8]}/sirens"
    sirens = sirens_for_sites(scenario.sites)

    ctx = mp.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    sim = ctx.Process(
        target=responder, args=(host, port, root, [s.id for s in sirens], ready, stop), daemon=True
    )
    sim.start()
    if not ready.wait(15):
        raise SystemExit("simulated sirens did not subscribe")
    stamps_path = workdir / f"{root.split('/')[0]}.log"
    stamps_fh = stamps_path.open("wb")
    watcher = subprocess.Popen(
        ["mosquitto_sub", "-h", host, "-p", str(port), "-q", "1", "-t", f"{root}/+/cmd", "-F", "%U %t %p"],
        stdout=stamps_fh,
    )
    time.sleep(0.5)

    outbox = Outbox.open(f"sqlite:///{workdir / (root.split('/')[0] + '.sqlite3')}")
    fleet = SirenFleet(sirens, silent_after_s=3600.0)
    net = SirenNetwork(host, port, fleet, root=root)
    net.start(background=False)
    dispatcher = Dispatcher(outbox, {"siren": SirenChannel(net)})
    router = AlertRouter(scenario.sites, fleet=fleet, cap=CapComposer(scenario.sites))
    started: dict[str, float] = {}

    stages: dict[str, tuple[float, float, float, float]] = {}  # key -> pipeline, plan, store, send (ms)

    def deliver(alerts: list, t_start: float | None, t_pipe: float = 0.0) -> None:  # type: ignore[type-arg]
        keys: list[str] = []
        t_plan = t_store = 0.0
        for alert in alerts:
            t1 = time.perf_counter()
            plan = router.plan(alert)
            t2 = time.perf_counter()
            outbox.store_alert(alert, plan.deliveries, cap=None if plan.cap is None else plan.cap.decode())
            t3 = time.perf_counter()
            t_plan, t_store = t_plan + t2 - t1, t_store + t3 - t2
            if t_start is not None:
                for d in plan.deliveries:
                    started[d.key] = t_start
                    keys.append(d.key)
        t4 = time.perf_counter()
        while dispatcher.step():
            pass
        net.pump(0.0)
        t_send = time.perf_counter() - t4
        dispatcher.maintain()  # as Dispatcher.run does between sends
        for key in keys:
            stages[key] = (t_pipe * 1000, t_plan * 1000, t_store * 1000, t_send * 1000)

    clock: float | None = None
    batch: list[Event] = []
    t_wall = time.perf_counter()

    def flush(batch: list[Event]) -> None:
        nonlocal clock
        t = batch[0].t
        if clock is not None:
            tick = clock + TICK_S
            while tick < t:
                deliver(pipeline.advance(tick).alerts, None)
                tick += TICK_S
        t_start = time.time()
        t0 = time.perf_counter()
        out = pipeline.process(batch)
        deliver(out.alerts, t_start, time.perf_counter() - t0)
        clock = t

    for e in events:
        if batch and e.t != batch[0].t:
            flush(batch)
            batch = []
        batch.append(e)
    if batch:
        flush(batch)
    wall = time.perf_counter() - t_wall
    end = time.monotonic() + 5
    while time.monotonic() < end and outbox.open_count():
        dispatcher.step()
        net.pump(0.05)
    time.sleep(0.5)
    watcher.terminate()
    watcher.wait(5)
    stamps_fh.close()
    net.stop()
    stop.set()
    sim.join(5)
    outbox.close()

    first_seen: dict[str, float] = {}
    for raw in stamps_path.read_text().splitlines():
        stamp, _topic, payload = raw.split(" ", 2)
        key = parse_line(payload).key  # type: ignore[union-attr]
        first_seen.setdefault(key, float(stamp))
    latencies = [(first_seen[k] - t0) * 1000.0 for k, t0 in started.items() if k in first_seen]
    missing = sum(1 for k in started if k not in first_seen)
    worst = sorted(((first_seen[k] - t0) * 1000.0, k) for k, t0 in started.items() if k in first_seen)[-3:]
    for ms, key in reversed(worst):
        pipe, plan, store, send = stages[key]
        print(f"  slow: {ms:.1f} ms = pipeline {pipe:.1f} + route/CAP {plan:.1f} + store {store:.1f} "
              f"+ claim/publish {send:.1f} + broker {ms - pipe - plan - store - send:.1f}")  # fmt: skip
    return latencies, missing, wall


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100.0 * len(ordered) + 0.5) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--broker", default="127.0.0.1:1883")
    args = ap.parse_args()
    host, port = parse_broker(args.broker)
    all_lat: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.runs):
            lat, missing, wall = one_run(args.scenario, host, port, Path(tmp))
            all_lat.extend(lat)
            print(f"run {r + 1}: {len(lat)} siren commands from events, {missing} not seen, "
                  f"replay took {wall:.1f} s; p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms, "
                  f"max {max(lat):.1f} ms")  # fmt: skip
    print(f"all runs: {len(all_lat)} commands; p50 {pct(all_lat, 50):.1f} ms, "
          f"p90 {pct(all_lat, 90):.1f} ms, p99 {pct(all_lat, 99):.1f} ms, max {max(all_lat):.1f} ms, "
          f"mean {statistics.fmean(all_lat):.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "main"
    raise SystemExit(main())
