"""``nadhir drill``: a fire drill of the cluster, checked against a one-process replay.

It starts a small cluster of local processes (an intake, ``engines`` engines and a
delivery worker, each ``nadhir serve --role ...``) against the configured NATS and
PostgreSQL, in names of its own (a fresh database and a NATS prefix, removed after),
posts the scenario's events to the intake over HTTP as fast as it takes them (one
connection, in file order), kills the active engine (SIGKILL) once ``kill_at`` of
them are in, lets the run on after the last event pass (a clock record, as replay's
run-on), and compares what the outbox holds with ``nadhir replay`` of the same events:

- ``alerts_match_replay``: the same multiset of (site, level, action) alerts;
- ``lost_alerts``: replay's alerts missing from the outbox, by (site, level, action);
- ``late_alerts``: alerts of the outbox whose time is later than replay's for the same
  (site, level, action) occurrence (an alert delayed, in the events' time);
- ``duplicate_siren_commands``: siren commands in the outbox beyond the ones replay's
  alerts make, per siren, pattern, site, level and action (one siren sounded twice);
- ``takeover_s``: wall seconds from the kill until a standby is the region's active engine
  (its lease taken, the last snapshot loaded, reading the stream), warning again;
- ``catch_up_s``: wall seconds from the kill until that engine has processed the stream as it
  stood at the kill (what the killed engine had not yet processed is processed then: alerts
  that come out of it are that much later than they would have been).

Events posted are the ones replay reads (``Scenario.events``: lines that parse, and
not set aside as far out of time order), so that both see the same input.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from nadhir.bus.jetstream import BusError, JetStreamBus
from nadhir.delivery.router import AlertRouter
from nadhir.domain import Alert, Problems
from nadhir.domain.formats.scenario import Scenario, load_scenario, read_lines
from nadhir.engine.replay import replay_scenario
from nadhir.engine.stepper import RUN_ON_S
from nadhir.service.cluster_names import KIND_HEADER, ClusterNames
from nadhir.service.partitions import partitions
from nadhir.service.settings import Settings
from nadhir.service.stream_wire import clock_bytes
from nadhir.store.outbox_models import OutboxAlertRow, OutboxDeliveryRow

PATHS = {"report": "reports", "acoustic": "acoustic", "impact": "impacts"}
# The drill feeds a scenario's time as fast as the cluster takes it, so wall time says nothing of the
# scenario's: an engine's idle clock (the stream quiet for idle_clock_s of wall time moves its clock
# on, as it must live) would, in a stall of the feed on a loaded machine or while NATS restarts, move
# the region's clock ahead of events still to come and make other alerts than replay. The drill ends
# with its own clock record at the run-on instead, so the engines' idle clock waits an hour.
DRILL_IDLE_CLOCK_S = 3600.0
START_TIMEOUT_S = 180.0  # a loaded machine takes long to start Python processes
SETTLE_TIMEOUT_S = 120.0


Hook = Callable[[int, "Cluster"], None]


class DrillError(RuntimeError):
    """The drill could not be run (a server missing, a process that did not start)."""


@dataclass
class DrillResult:
    """What ``nadhir drill`` prints (``--json``)."""

    events: int
    events_per_s: float
    alerts: int
    alerts_match_replay: bool
    lost_alerts: int
    late_alerts: int
    duplicate_siren_commands: int
    takeover_s: float | None
    catch_up_s: float | None = None
    replay_alerts: int = 0
    same_keys: bool = False  # every alert stored under the key replay's alert has (stronger than match)
    killed_pid: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Nothing lost, nothing sounded twice."""
        return self.lost_alerts == 0 and self.duplicate_siren_commands == 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def free_port() -> int:
    """A TCP port free now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scenario_lines(scenario: Scenario) -> list[str]:
    """The raw lines of the events replay reads, in file order."""
    wanted = {line_no for line_no, _ in scenario.events()}
    lines = read_lines(scenario.events_path, Problems())
    return [line.strip() for i, line in enumerate(lines, 1) if i in wanted]


@contextlib.contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``url``; dropped afterwards."""
    base = make_url(url)
    if not base.drivername.startswith("postgresql"):
        raise DrillError(f"the drill needs PostgreSQL (--db postgresql+psycopg://...), not {base.drivername}")
    name = f"nadhir_drill_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise DrillError(f"cannot create a database on {base.host}:{base.port}: {exc}") from exc
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception), admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def remove_names(bus: JetStreamBus, names: ClusterNames) -> None:
    """Delete the streams and buckets of a drill's cluster."""
    for stream in (names.events_stream, names.feed_stream, f"KV_{names.leases}", f"KV_{names.status}",
                   f"OBJ_{names.snapshots}", f"KV_{names.actions}", f"KV_{names.runs}",
                   f"KV_{names.telegram}"):  # fmt: skip
        with contextlib.suppress(BusError):
            bus.delete_stream(stream)


class Cluster:
    """The drill's processes: each ``python -m nadhir.service.cli serve --role ...``."""

    def __init__(
        self, workdir: Path, settings_file: Path, env: dict[str, str], bus: JetStreamBus, names: ClusterNames
    ) -> None:
        self.workdir = workdir
        self.settings_file = settings_file
        self.env = env
        self.bus = bus
        self.names = names
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def active_pid(self, region: str) -> int | None:
        """The process id of the region's active engine, by its last status."""
        status = region_status(self.bus, self.names, region)
        return None if status is None else int(status["pid"])

    def start(self, name: str, role: str, port: int) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        cmd = [sys.executable, "-m", "nadhir.service.cli", "serve", "--role", role,
               "--settings", str(self.settings_file), "--port", str(port)]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.workdir)
        self.procs[name] = proc
        return proc

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15.0
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                proc.kill()
                proc.wait(5.0)


class Poster:
    """One keep-alive HTTP connection to the intake; each event retried while it answers 503."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.retries = 0

    def post(self, line: str) -> None:
        kind = json.loads(line).get("kind")
        path = f"/api/v1/intake/{PATHS.get(kind, 'reports')}"
        for _ in range(600):
            try:
                self.conn.request("POST", path, body=line.encode(), headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.retries += 1
                time.sleep(0.1)
                continue
            if response.status == 202:
                return
            if response.status in (429, 503):
                self.retries += 1
                time.sleep(0.05)
                continue
            raise DrillError(f"intake refused an event ({response.status}): {body[:200]!r}")
        raise DrillError("intake did not take an event within a minute of retries")


def wait_for(check: Callable[[], bool], timeout: float, what: str, poll_s: float = 0.1) -> float:
    """Poll ``check`` until true; the seconds it took. DrillError after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(BusError):
            if check():
                return time.monotonic() - started
        time.sleep(poll_s)
    raise DrillError(f"timed out after {timeout:.0f} s waiting for {what}")


def region_status(bus: JetStreamBus, names: ClusterNames, region: str) -> dict[str, Any] | None:
    entry = bus.kv(names.status).get(region)
    return None if entry is None else dict(json.loads(entry.value))


def run_drill(
    scenario_dir: Path, settings: Settings, *, engines: int = 2, kill_at: float | None = 0.5,
    keep_dir: Path | None = None, hook: Hook | None = None,
) -> DrillResult:  # fmt: skip
    """Run the drill (see the module docstring). ``hook(i, cluster)`` runs before the i-th event is
    posted (the fault tests stop and start servers and processes there)."""
    if engines < 1:
        raise DrillError("at least one engine")
    if kill_at is not None and not 0.0 <= kill_at <= 1.0:
        raise DrillError("--kill-at is a fraction of the events, 0..1")
    if kill_at is not None and engines < 2:
        raise DrillError("killing the active engine needs a standby: --engines 2 or more")
    scenario = load_scenario(scenario_dir)
    lines = scenario_lines(scenario)
    if not lines:
        raise DrillError(f"{scenario_dir}: no events")
    names = ClusterNames(f"drill{secrets.token_hex(4)}")
    try:
        bus = JetStreamBus.connect(settings.nats, name="nadhir-drill")
    except BusError as exc:
        raise DrillError(str(exc)) from exc
    try:
        with (
            fresh_database(settings.db or "") as db_url,
            tempfile.TemporaryDirectory(prefix="nadhir-drill-") as tmp,
        ):
            workdir = keep_dir or Path(tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            return _drill(scenario, lines, settings, names, bus, db_url, workdir, engines, kill_at, hook)
    finally:
        remove_names(bus, names)
        bus.close()


def _drill(
    scenario: Scenario, lines: list[str], settings: Settings, names: ClusterNames, bus: JetStreamBus,
    db_url: str, workdir: Path, engines: int, kill_at: float | None, hook: Hook | None,
) -> DrillResult:  # fmt: skip
    token = secrets.token_urlsafe(24)
    regions = [{"id": r.id, "sites": list(r.sites), "halo_km": r.halo_km} for r in settings.regions]
    config = {
        "scenario": str(scenario.root.resolve()), "db": db_url, "nats": settings.nats,
        "nats_prefix": names.prefix, "lease_s": settings.lease_s, "snapshot_s": settings.snapshot_s,
        "idle_clock_s": DRILL_IDLE_CLOCK_S, "run_name": "drill",
        "tokens": [{"role": "admin", "subject": "drill", "token": token}],
        "rate_limits": {"admin": {"rate": 1e6, "burst": 1_000_000}},
    }  # fmt: skip
    if settings.sirens_broker:
        config["sirens_broker"] = settings.sirens_broker
    toml = workdir / "drill-settings.toml"
    toml.write_text(_toml(config, regions))
    env = dict(os.environ)
    env.pop("NADHIR_SETTINGS", None)
    env.pop("NADHIR_DB", None)
    cluster = Cluster(workdir, toml, env, bus, names)
    parts = partitions(settings.regions, scenario.sites)
    try:
        # Tables first (a migration in one process), so the roles do not race to create them.
        from nadhir.store import Store

        Store.open(db_url).close()
        intake_port = free_port()
        cluster.start("intake", "intake", intake_port)
        for i in range(engines):
            cluster.start(f"engine-{i}", "engine", free_port())
        cluster.start("delivery", "delivery", free_port())
        _wait_started(cluster, bus, names, [p.id for p in parts], intake_port)
        result = _feed_and_kill(cluster, bus, names, parts, lines, intake_port, token, kill_at, hook)
        final_t = max(json_time(line) for line in lines) + RUN_ON_S
        marks = {}
        for part in parts:
            ack = bus.publish(names.events(part.id), clock_bytes(final_t), headers={KIND_HEADER: "clock"},
                              msg_id=f"drill-end-{part.id}")  # fmt: skip
            marks[part.id] = ack.seq
        for region_id, mark in marks.items():
            wait_for(functools.partial(_settled, bus, names, region_id, mark), SETTLE_TIMEOUT_S,
                     f"region {region_id} to process the run-on")  # fmt: skip
        return _compare(scenario, db_url, result)
    except DrillError as exc:
        tails = "\n".join(f"--- {n} ---\n{cluster.log_tail(n)}" for n in cluster.procs)
        raise DrillError(f"{exc}\n{tails}") from exc
    finally:
        cluster.stop()


def _toml(config: dict[str, Any], regions: list[dict[str, Any]]) -> str:
    out = []
    for key, value in config.items():
        if isinstance(value, list | dict):
            continue
        out.append(f"{key} = {json.dumps(value)}")
    out.append(f"[rate_limits.admin]\nrate = {config['rate_limits']['admin']['rate']}\n"
               f"burst = {config['rate_limits']['admin']['burst']}")  # fmt: skip
    for tok in config["tokens"]:
        out.append(f"[[tokens]]\nrole = {json.dumps(tok['role'])}\nsubject = {json.dumps(tok['subject'])}\n"
                   f"token = {json.dumps(tok['token'])}")  # fmt: skip
    for region in regions:
        out.append(f"[[regions]]\nid = {json.dumps(region['id'])}\nsites = {json.dumps(region['sites'])}\n"
                   f"halo_km = {region['halo_km']}")  # fmt: skip
    return "\n".join(out) + "\n"


def json_time(line: str) -> float:
    from nadhir.domain.timefmt import parse_time

    return parse_time(json.loads(line)["t"])


def _wait_started(
    cluster: Cluster, bus: JetStreamBus, names: ClusterNames, regions: list[str], port: int
) -> None:
    def up() -> bool:
        for name, proc in cluster.procs.items():
            if proc.poll() is not None:
                raise DrillError(f"{name} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
        except OSError:
            return False
        return all(region_status(bus, names, r) is not None for r in regions)

    wait_for(up, START_TIMEOUT_S, "the intake and an active engine per region")


@dataclass
class _Fed:
    events: int
    seconds: float
    takeover_s: float | None
    catch_up_s: float | None
    killed_pid: int | None


def _feed_and_kill(
    cluster: Cluster, bus: JetStreamBus, names: ClusterNames, parts: list[Any], lines: list[str], port: int,
    token: str, kill_at: float | None, hook: Hook | None,
) -> _Fed:  # fmt: skip
    poster = Poster(port, token)
    kill_index = None if kill_at is None else min(len(lines) - 1, int(len(lines) * kill_at))
    region = parts[0].id
    killed_pid: int | None = None
    killed_at = killed_wall = 0.0
    head_at_kill = 0
    takeover_s: float | None = None
    catch_up_s: float | None = None
    started = time.monotonic()

    def check_takeover() -> None:
        nonlocal takeover_s, catch_up_s
        status = region_status(bus, names, region)
        if status is None or status.get("pid") == killed_pid or status.get("since") is None:
            return
        if takeover_s is None:
            takeover_s = max(0.0, float(status["since"]) - killed_wall)
        if catch_up_s is None and int(status.get("seq", 0)) >= head_at_kill:
            catch_up_s = time.monotonic() - killed_at

    for i, line in enumerate(lines):
        if hook is not None:
            hook(i, cluster)
        if i == kill_index:
            status = region_status(bus, names, region)
            if status is None:
                raise DrillError(f"no active engine in region {region} to kill")
            killed_pid = int(status["pid"])
            if killed_pid not in {p.pid for p in cluster.procs.values()}:
                raise DrillError(f"the active engine (pid {killed_pid}) is not one of the drill's")
            head_at_kill = bus.last_seq(names.events_stream)
            os.kill(killed_pid, signal.SIGKILL)
            killed_at, killed_wall = time.monotonic(), time.time()
        poster.post(line)
        if killed_pid is not None and catch_up_s is None and i % 10 == 0:
            with contextlib.suppress(BusError):
                check_takeover()
    seconds = time.monotonic() - started
    if killed_pid is not None:

        def done() -> bool:
            check_takeover()
            return catch_up_s is not None

        wait_for(done, SETTLE_TIMEOUT_S, "a standby to take over and catch up")
    return _Fed(len(lines), seconds, takeover_s, catch_up_s, killed_pid)


def _settled(bus: JetStreamBus, names: ClusterNames, region: str, mark: int) -> bool:
    status = region_status(bus, names, region)
    return (
        status is not None and int(status.get("seq", 0)) >= mark and not status.get("unstored_alerts")
        and time.time() - float(status.get("at", 0)) < 2.0
    )  # fmt: skip


def _compare(scenario: Scenario, db_url: str, fed: _Fed) -> DrillResult:
    from nadhir.delivery.states import alert_key, deliverable

    replay = replay_scenario(scenario, keep=True).alerts
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            a, d = OutboxAlertRow, OutboxDeliveryRow
            rows = conn.execute(select(a.id, a.key, a.t, a.site, a.level, a.action)).all()
            sirens = conn.execute(
                select(d.target, d.payload, a.site, a.level, a.action)
                .join(a, a.id == d.alert_id)
                .where(d.channel == "siren")
            ).all()
    finally:
        engine.dispose()
    cluster_alerts = Counter((r.site, r.level, r.action) for r in rows)
    replay_alerts = Counter((x.site, x.level, x.action) for x in replay)
    lost = sum((replay_alerts - cluster_alerts).values())
    keys = {r.key for r in rows}
    same_keys = keys == {alert_key(deliverable(x)) for x in replay}
    late = _late(replay, [(site, level, action, _posix(t)) for _, _, t, site, level, action in rows])
    expected = _siren_commands(scenario, replay)
    actual = Counter((r.target, _pattern(r.payload), r.site, r.level, r.action) for r in sirens)
    duplicates = sum((actual - expected).values())
    return DrillResult(
        events=fed.events, events_per_s=round(fed.events / fed.seconds, 1) if fed.seconds > 0 else 0.0,
        alerts=len(rows), alerts_match_replay=cluster_alerts == replay_alerts, lost_alerts=lost,
        late_alerts=late, duplicate_siren_commands=duplicates,
        takeover_s=None if fed.takeover_s is None else round(fed.takeover_s, 2),
        catch_up_s=None if fed.catch_up_s is None else round(fed.catch_up_s, 2),
        replay_alerts=len(replay), same_keys=same_keys, killed_pid=fed.killed_pid,
    )  # fmt: skip


def _late(replay: list[Alert], stored: list[tuple[str, str, str, float]]) -> int:
    """Stored alerts later (in the events' time) than replay's same occurrence of (site, level, action)."""
    by_kind: dict[tuple[str, str, str], list[float]] = {}
    for x in replay:
        by_kind.setdefault((x.site, x.level, x.action), []).append(x.t)
    mine: dict[tuple[str, str, str], list[float]] = {}
    for site, level, action, t in stored:
        mine.setdefault((site, level, action), []).append(t)
    late = 0
    for kind, times in mine.items():
        for ours, theirs in zip(sorted(times), sorted(by_kind.get(kind, [])), strict=False):
            late += ours > theirs + 1e-3
    return late


def _siren_commands(scenario: Scenario, replay: list[Alert]) -> Counter[tuple[str, str, str, str, str]]:
    """The siren commands replay's alerts make, routed as the engines route them (no fleet news)."""
    router = AlertRouter(scenario.sites)
    out: Counter[tuple[str, str, str, str, str]] = Counter()
    for alert in replay:
        for d in router.plan(alert).sirens:
            out[(d.target, _pattern(d.payload), alert.site, alert.level, alert.action)] += 1
    return out


def _posix(t: datetime) -> float:
    return (t if t.tzinfo is not None else t.replace(tzinfo=UTC)).timestamp()


def _pattern(payload: str) -> str:
    for part in payload.split():
        if part.startswith("p="):
            return part[2:]
    return "?"
