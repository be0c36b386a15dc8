"""``nadhir drill`` as an operator (and CI) runs it: the command, its JSON and its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cluster_helpers import NatsServer

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
SRC = [
    str(Path(__file__).resolve().parents[2] / "src"),
    str(Path(__file__).resolve().parents[2] / "siren" / "src"),
]


def test_drill_on_a_public_scenario_two_engines_killed_at_half(nats: NatsServer, pg_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*SRC, os.environ.get("PYTHONPATH", "")])}
    env.pop("NADHIR_SETTINGS", None)
    scenario = str(SCENARIOS / "idlib-basic")
    done = subprocess.run(
        [sys.executable, "-m", "nadhir.service.cli", "drill", scenario, "--engines", "2", "--kill-at", "0.5",
         "--json", "--db", pg_url, "--nats", nats.url],
        capture_output=True, text=True, env=env, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    print(result)
    keys = {"events", "events_per_s", "alerts", "alerts_match_replay", "lost_alerts", "late_alerts",
            "duplicate_siren_commands", "takeover_s"}  # fmt: skip
    assert keys <= set(result)
    assert result["events"] == 1494 and result["alerts"] == result["replay_alerts"] > 0
    assert result["lost_alerts"] == 0 and result["duplicate_siren_commands"] == 0
    assert result["alerts_match_replay"] is True and result["same_keys"] is True
    assert result["takeover_s"] is not None and result["killed_pid"] is not None
