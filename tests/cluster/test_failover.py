"""Faults against real servers: the drill's cluster (intake, engines, delivery as processes) on a
nats-server of the test's own and a fresh PostgreSQL database, fed a public scenario over HTTP.

Each test checks what the drill checks (nothing lost, no siren command twice, the alerts of
``nadhir replay``, with the same keys) through a different fault: the active engine killed -9, the
NATS server killed and restarted mid-stream, an engine frozen (SIGSTOP: cut off from the cluster)
and woken after a standby took its region.
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


def test_a_frozen_engine_loses_its_region_and_steps_down_when_it_wakes(nats: NatsServer, pg_url: str) -> None:
    """SIGSTOP the active engine (as cut off from NATS and the database): the standby takes the region
    when the lease lapses; SIGCONT it: it must find its lease gone and step down, and whatever it
    does before it notices must not send a siren command twice. Then kill the engine that leads."""
    frozen: list[int] = []

    def hook(i: int, cluster: Cluster) -> None:
        if i == 300:
            pid = cluster.active_pid("all")
            assert pid is not None
            os.kill(pid, signal.SIGSTOP)
            frozen.append(pid)
            time.sleep(4.0)  # two lease lives: the standby takes over meanwhile
        if i == 600 and frozen:
            os.kill(frozen[0], signal.SIGCONT)

    result = run_drill(SCENARIOS / "idlib-basic", _settings(nats, pg_url), engines=2, kill_at=0.75, hook=hook)
    _assert_like_replay(result)
    assert frozen and result.killed_pid is not None


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
