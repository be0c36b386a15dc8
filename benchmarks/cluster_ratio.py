"""Two engines on two regions against one: the throughput ratio (issue 16).

Usage: python benchmarks/cluster_ratio.py [SCENARIO_DIR] [--halo-km KM] [--events N] [--repeat N]

The scenario's sites are split into two regions at their median longitude (west and east), each
widened by a halo (``--halo-km``, the settings' default 60 km) as ``nadhir serve --role engine``
partitions them (:mod:`nadhir.service.partitions`). The events are routed first, untimed, as
the intake routes them (``regions_of``: an event inside both halos goes to both, reports go to
every region), into one events file per region. Each region's engine is then run as the
cluster runs it, without the bus: a fresh process builds the region's pipeline (its own sites
and its neighbours' inside its box, in the whole scenario's frame), reads its region's events
and steps through them with the replay's stepper. The two region processes run at once, one per core
(``taskset``); the one-engine run is a single process with every site and every event.

Printed: per run the events it took, its CPU time and elapsed time; then the throughput ratio,
the scenario's events over the slower region's time against the same over the one engine's
time, both by elapsed time (what a cluster would see) and by CPU time (what the engines cost,
whatever else the machine runs). A ratio of 2 would be perfect partitioning; the halos' overlap
(events heard in both regions are processed twice) and the regions' unequal loads take it down.

Default scenario: the country scenario of benchmarks/replay_speed.py (simulated into its cache
on first use), cut to its first ``--events`` lines (default 30,000; 0 for all).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import replay_speed

ENGINE_CODE = """
import json, resource, sys, time
start = time.perf_counter()
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.stepper import Stepper
from nadhir.service.partitions import Partition

root, spec = sys.argv[1], json.loads(sys.argv[2])
scenario = load_scenario(root)
if spec is None:
    pipeline = build_pipeline(scenario)
else:
    region = Partition(spec["id"], tuple(spec["sites"]), *spec["box"])
    pipeline = build_pipeline(scenario, sites=region.context_sites(scenario))
alerts = []
summary = Stepper(pipeline, alerts.append).run(event for _, event in scenario.events())
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"events": summary.events, "alerts": len(alerts), "cpu": usage.ru_utime + usage.ru_stime,
                  "elapsed": time.perf_counter() - start}))
"""


def split_regions(scenario: Path, halo_km: float) -> list[dict[str, object]]:
    """West and east halves of the scenario's sites at their median longitude, as partitions."""
    from nadhir.domain.formats.scenario import load_scenario
    from nadhir.service.partitions import partition_for
    from nadhir.service.settings import RegionSpec

    sites = load_scenario(scenario).sites
    middle = statistics.median(s.lon for s in sites)
    halves = {
        "west": tuple(s.id for s in sites if s.lon <= middle),
        "east": tuple(s.id for s in sites if s.lon > middle),
    }
    by_id = {s.id: s for s in sites}
    parts = [partition_for(RegionSpec(name, ids, halo_km), by_id) for name, ids in halves.items() if ids]
    return [{"id": p.id, "sites": list(p.sites), "box": [p.south, p.north, p.west, p.east]} for p in parts]


def cut(scenario: Path, events: int, into: Path) -> Path:
    """The scenario with only its first ``events`` lines of events (a folder in ``into``)."""
    if events <= 0:
        return scenario
    folder = into / f"{scenario.name}-first{events}"
    folder.mkdir()
    for item in scenario.iterdir():
        if item.name.startswith("events.jsonl"):
            continue
        (folder / item.name).symlink_to(item.resolve())
    with open(replay_speed.events_file(scenario), encoding="utf-8") as src:
        (folder / "events.jsonl").write_text(
            "".join(line for _, line in zip(range(events), src, strict=False))
        )
    return folder


def route(scenario: Path, regions: list[dict[str, object]], into: Path) -> dict[str, Path]:
    """One scenario folder per region in ``into``, with the events the intake routes to it."""
    from nadhir.domain.formats.scenario import load_scenario
    from nadhir.service.partitions import Partition, regions_of

    parts = [Partition(str(r["id"]), tuple(r["sites"]), *r["box"]) for r in regions]  # type: ignore[arg-type]
    taken: dict[str, set[int]] = {p.id: set() for p in parts}
    for line_no, event in load_scenario(scenario).events():
        for region in regions_of(event, parts):
            taken[region].add(line_no)
    folders = {}
    for part in parts:
        folder = into / part.id
        folder.mkdir()
        for item in scenario.iterdir():
            if not item.name.startswith("events.jsonl"):
                (folder / item.name).symlink_to(item.resolve())
        with open(replay_speed.events_file(scenario), encoding="utf-8") as src:
            lines = (line for line_no, line in enumerate(src, 1) if line_no in taken[part.id])
            (folder / "events.jsonl").write_text("".join(lines), encoding="utf-8")
        folders[part.id] = folder
    return folders


def engine(
    scenario: Path, spec: dict[str, object] | None, core: str, env: dict[str, str]
) -> subprocess.Popen[str]:
    """Start one engine's process on ``core``."""
    command = ["taskset", "-c", core, sys.executable, "-c", ENGINE_CODE, str(scenario), json.dumps(spec)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)


def result(process: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"an engine failed (exit {process.returncode})")
    parsed: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return parsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", type=Path, help="scenario folder (default: the country scenario)")
    ap.add_argument("--halo-km", type=float, default=60.0)
    ap.add_argument("--events", type=int, default=30_000, help="first N events only (0: all)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the best is kept")
    ap.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "nadhir-bench")
    args = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    base = args.scenario or replay_speed.country_scenario(args.cache_dir, env)
    with tempfile.TemporaryDirectory() as tmp:
        scenario = cut(base, args.events, Path(tmp))
        total = replay_speed.count_lines(replay_speed.events_file(scenario))
        regions = split_regions(scenario, args.halo_km)
        folders = route(scenario, regions, Path(tmp))
        one: dict[str, float] | None = None
        two: list[dict[str, float]] | None = None
        for _ in range(args.repeat):
            single = result(engine(scenario, None, "0", env))
            if one is None or single["elapsed"] < one["elapsed"]:
                one = single
            started = [engine(folders[str(r["id"])], r, str(k % 2), env) for k, r in enumerate(regions)]
            pair = [result(p) for p in started]
            if two is None or max(r["elapsed"] for r in pair) < max(r["elapsed"] for r in two):
                two = pair
        assert one is not None and two is not None
    load = os.getloadavg()[0]
    print(f"scenario {base.name}, first {total} events, halo {args.halo_km:g} km, load average {load:.1f}")
    print(f"{'engine':<10}{'sites':>6}{'events':>9}{'alerts':>8}{'cpu s':>9}{'elapsed s':>11}")
    print(
        f"{'one':<10}{'all':>6}{one['events']:>9.0f}{one['alerts']:>8.0f}{one['cpu']:>9.2f}{one['elapsed']:>11.2f}"
    )
    for region, run in zip(regions, two, strict=True):
        sites = len(region["sites"])  # type: ignore[arg-type]
        print(
            f"{region['id']!s:<10}{sites:>6}{run['events']:>9.0f}{run['alerts']:>8.0f}"
            f"{run['cpu']:>9.2f}{run['elapsed']:>11.2f}"
        )
    by_wall = one["elapsed"] / max(r["elapsed"] for r in two)
    by_cpu = one["cpu"] / max(r["cpu"] for r in two)
    print(f"throughput ratio, 2 engines against 1: {by_wall:.2f} by elapsed time, {by_cpu:.2f} by CPU time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
