"""Training the strike model on simulated scenarios.

Each scenario is replayed through the real pipeline with a recorder on the
threat assessor; every assessment of a site becomes one example, labelled
1 when a strike falls in that site's area (grown by the scorer's 1.5 km
margin) within the model's horizon after it. Scenarios come from the
project's own simulator (:mod:`nadhir_lab.simulator`), never from the
public scenarios, which stay held out for evaluation.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nadhir.domain.formats.scenario import Scenario, load_scenario
from nadhir.domain.timefmt import parse_time
from nadhir.engine.factory import build_pipeline
from nadhir.engine.stepper import Stepper
from nadhir.geo.distance import haversine_m
from nadhir.threat.learned import FEATURES, Matrix, StrikeModel, Vector, brier, fit, reliability
from nadhir.tracking.track import Track

DEFAULT_HORIZON_S = 600.0
STRIKE_MARGIN_M = 1500.0


@dataclass
class Examples:
    """Feature rows with labels, and which scenario each came from."""

    x: list[Vector] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    group: list[str] = field(default_factory=list)

    def extend(self, other: Examples) -> None:
        self.x.extend(other.x)
        self.y.extend(other.y)
        self.group.extend(other.group)

    def arrays(self) -> tuple[Matrix, Vector]:
        if not self.x:
            return np.zeros((0, len(FEATURES))), np.zeros(0)
        return np.vstack(self.x), np.asarray(self.y, dtype=np.float64)


def collect(scenario: Scenario, horizon_s: float = DEFAULT_HORIZON_S, name: str | None = None) -> Examples:
    """Replay a scenario that has ``truth.json`` and label every site assessment it makes."""
    truth = json.loads((scenario.root / "truth.json").read_text(encoding="utf-8"))
    strikes = [(parse_time(s["t"]), float(s["lat"]), float(s["lon"])) for s in truth.get("strikes", [])]
    sites = {s.id: s for s in scenario.sites}
    strike_times: dict[str, list[float]] = {
        sid: sorted(
            t
            for t, lat, lon in strikes
            if haversine_m(s.lat, s.lon, lat, lon) <= s.radius_m + STRIKE_MARGIN_M
        )
        for sid, s in sites.items()
    }
    out = Examples()
    label = name or scenario.root.name

    def record(t: float, track: Track, site_ids: list[str], x: Matrix) -> None:
        for site_id, row in zip(site_ids, x, strict=True):
            hit = any(t < ts <= t + horizon_s for ts in strike_times[site_id])
            out.x.append(row.copy())
            out.y.append(1.0 if hit else 0.0)
            out.group.append(label)

    pipeline = build_pipeline(scenario, strike_model=None)
    pipeline.assessor.recorder = record
    Stepper(pipeline, lambda _alert: None).run(event for _, event in scenario.events())
    return out


def simulated_examples(
    regions: Iterable[str],
    seeds: Iterable[int],
    hours: float,
    twists: tuple[str, ...],
    horizon_s: float = DEFAULT_HORIZON_S,
    progress: Callable[[str], None] | None = None,
) -> Examples:
    """Simulate a scenario per region and seed, replay each, and collect labelled examples."""
    from nadhir_lab.simulator import load_region, simulate, write_scenario

    examples = Examples()
    with tempfile.TemporaryDirectory() as tmp:
        for region_name in regions:
            region = load_region(region_name)
            for seed in seeds:
                root = Path(tmp) / f"{region_name}-{seed}"
                write_scenario(simulate(region, seed, hours=hours, twists=twists), root)
                examples.extend(collect(load_scenario(root), horizon_s, root.name))
                if progress is not None:
                    progress(root.name)
    return examples


@dataclass(frozen=True)
class TrainingReport:
    """How the model fits: sizes, Brier scores and the reliability table on held-out scenarios."""

    train_rows: int
    test_rows: int
    positives: float
    brier_train: float
    brier_test: float
    brier_baseline: float
    reliability_test: list[tuple[float, float, int]]


def train(
    examples: Examples,
    test_share: float = 0.25,
    horizon_s: float = DEFAULT_HORIZON_S,
    meta: dict[str, object] | None = None,
) -> tuple[StrikeModel, TrainingReport]:
    """Fit on most scenarios, report calibration on the rest, then refit on all of them."""
    x, y = examples.arrays()
    if len(y) == 0 or y.sum() == 0:
        raise ValueError("no positive examples: simulate more or longer scenarios")
    groups = sorted(set(examples.group))
    n_test = max(1, round(len(groups) * test_share)) if len(groups) > 1 else 0
    test_groups = set(groups[-n_test:]) if n_test else set()
    is_test = np.array([g in test_groups for g in examples.group])
    model = fit(x[~is_test], y[~is_test], horizon_s)
    p_train = model.predict(x[~is_test])
    p_test = model.predict(x[is_test]) if is_test.any() else p_train
    y_test = y[is_test] if is_test.any() else y[~is_test]
    report = TrainingReport(
        train_rows=int((~is_test).sum()),
        test_rows=int(is_test.sum()),
        positives=float(y.mean()),
        brier_train=brier(p_train, y[~is_test]),
        brier_test=brier(p_test, y_test),
        brier_baseline=brier(np.full_like(y_test, y[~is_test].mean()), y_test),
        reliability_test=reliability(p_test, y_test),
    )
    final = fit(
        x,
        y,
        horizon_s,
        meta={
            **(meta or {}),
            "rows": len(y),
            "positives": float(y.mean()),
            "brier_test": round(report.brier_test, 5),
        },
    )
    return final, report
