"""Faults against real servers: the drill's cluster (intake, engines, delivery as processes) on a
nats-server of the test's own and a fresh PostgreSQL database, fed a public scenario over HTTP.

Each test checks what the drill checks (nothing lost, no siren command twice, the alerts of
``nadhir replay``, with the same keys) through a different fault: the active engine killed -9, the
NATS server killed and restarted mid-stream, a standby frozen (SIGSTOP: cut off from the cluster)
and woken, then the active engine frozen and woken after the standby took its region; two regions.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from pathlib import Path

from cluster_helpers import NatsServer

from nadhir.service.drill import Cluster, DrillResult, run_drill
from nadhir.service.settings import RegionSpec, Settings

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"


def _settings(nats: NatsServer, pg_url: str) -> Settings:
    return Settings(db=pg_url, nats=nats.url, lease_s=2.0, snapshot_s=1.0)


def _assert_like_replay(result: DrillResult) -> None:
    print(result.as_dict())
    assert result.lost_alerts == 0, result
    assert result.duplicate_siren_commands == 0, result
    assert result.alerts_match_replay and result.same_keys, result
    assert result.passed


def test_the_active_engine_killed_mid_scenario(nats: NatsServer, pg_url: str) -> None:
    result = run_drill(SCENARIOS / "idlib-basic", _settings(nats, pg_url), engines=2, kill_at=0.5)
    _assert_like_replay(result)
    assert result.killed_pid is not None and result.takeover_s is not None and result.catch_up_s is not None


def test_the_nats_server_restarted_mid_stream(nats: NatsServer, pg_url: str) -> None:
    def hook(i: int, cluster: Cluster) -> None:
        if i == 400:
            nats.restart(down_s=1.0)

    result = run_drill(SCENARIOS / "idlib-basic", _settings(nats, pg_url), engines=2, kill_at=None, hook=hook)
    _assert_like_replay(result)


def test_frozen_engines_standby_and_active(nats: NatsServer, pg_url: str) -> None:
    """Cut engines off (SIGSTOP: no NATS, no database, no lease renewal) and let them back.

    First the standby, for a while: the active engine goes on and the standby comes back as a
    standby. Then the active engine: the standby takes the region when the lease lapses; the frozen
    one, woken, must find its lease gone and step down, and whatever it does before it notices must
    not send a siren command twice. Last, the engine then leading is killed."""
    frozen: dict[str, int] = {}

    def hook(i: int, cluster: Cluster) -> None:
        if i == 150:
            active = cluster.active_pid("all")
            engines = [p.pid for name, p in cluster.procs.items() if name.startswith("engine")]
            frozen["standby"] = next(pid for pid in engines if pid != active)
            os.kill(frozen["standby"], signal.SIGSTOP)
        if i == 250:
            os.kill(frozen["standby"], signal.SIGCONT)
            assert cluster.active_pid("all") != frozen["standby"]
        if i == 300:
            pid = cluster.active_pid("all")
            assert pid is not None
            os.kill(pid, signal.SIGSTOP)
            frozen["active"] = pid
            time.sleep(4.0)  # two lease lives: the standby takes over meanwhile
        if i == 600:
            os.kill(frozen["active"], signal.SIGCONT)

    result = run_drill(SCENARIOS / "idlib-basic", _settings(nats, pg_url), engines=2, kill_at=0.75, hook=hook)
    _assert_like_replay(result)
    assert set(frozen) == {"standby", "active"} and result.killed_pid is not None


def test_two_regions_with_halos_warn_as_one_process(nats: NatsServer, pg_url: str) -> None:
    north = ("sarmada", "harem", "salqin", "dana", "atarib", "kafr-takharim", "maarrat-misrin", "taftanaz",
             "binnish", "idlib", "idlib-maternity-hospital", "idlib-national-hospital", "sarmada-hospital",
             "atarib-hospital")  # fmt: skip
    scenario_sites = [
        "saraqeb", "maarat-al-numan", "ariha", "jisr-al-shughur", "khan-shaykhun", "kafr-nabl", "sarjah",
        "ihsim", "saraqeb-hospital", "maarat-central-hospital", "ariha-surgical-hospital",
        "kafr-nabl-surgical-hospital", "jisr-hospital",
    ]  # fmt: skip
    regions = (RegionSpec("north", north, 60.0), RegionSpec("south", tuple(scenario_sites), 60.0))
    settings = replace(_settings(nats, pg_url), regions=regions)
    result = run_drill(SCENARIOS / "idlib-basic", settings, engines=2, kill_at=0.5)
    _assert_like_replay(result)
