"""Training the siren model (:mod:`nadhir.alerting.siren_model`) and checking it region by region.

Each scenario is replayed through the real pipeline, with the rules alone
deciding, and a recorder on the alert policy: every call the rules make for
sirens at a site becomes one example, labelled 1 when a strike falls in that
site's area grown by the scorer's 1.5 km margin (the strikes that would make
the siren a true one) within the model's horizon after the call. The
scenarios are the tuning set's only (``benchmarks/evaluation_sets.py``); the
report set is never read here.

Skill is measured leaving one region out: fitted on the other regions' calls,
scored on that region's, as a region the model has never seen would be.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nadhir.alerting.siren_model import SIREN_FEATURES, SirenModel
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.stepper import Stepper
from nadhir.threat.learned import Matrix, Vector, brier, fit, reliability
from nadhir_lab.scoring import justifying_strike_times, load_truth

DEFAULT_HORIZON_S = 600.0


@dataclass(frozen=True)
class SirenExamples:
    """The calls for sirens of some scenarios: features, labels, and where each came from."""

    x: Matrix
    y: Vector
    scenario: list[str]
    region: list[str]
    next_strike_s: Vector  # seconds from each call to the next strike at the site (inf: none)

    def relabelled(self, horizon_s: float) -> SirenExamples:
        """The same calls labelled for another horizon."""
        y: Vector = (self.next_strike_s <= horizon_s).astype(np.float64)
        return SirenExamples(self.x, y, self.scenario, self.region, self.next_strike_s)

    @staticmethod
    def concat(parts: Sequence[SirenExamples]) -> SirenExamples:
        """All the parts' examples, in order."""
        if not parts:
            return SirenExamples(np.zeros((0, len(SIREN_FEATURES))), np.zeros(0), [], [], np.zeros(0))
        return SirenExamples(
            np.vstack([p.x for p in parts]),
            np.concatenate([p.y for p in parts]),
            [s for p in parts for s in p.scenario],
            [r for p in parts for r in p.region],
            np.concatenate([p.next_strike_s for p in parts]),
        )

    def save(self, path: Path) -> None:
        """Cache the examples (a .npz file)."""
        np.savez_compressed(
            path,
            x=self.x,
            y=self.y,
            scenario=np.asarray(self.scenario),
            region=np.asarray(self.region),
            next_strike_s=self.next_strike_s,
        )

    @staticmethod
    def load(path: Path) -> SirenExamples:
        """Read examples cached by :meth:`save`."""
        with np.load(path) as data:
            return SirenExamples(
                data["x"],
                data["y"],
                [str(s) for s in data["scenario"]],
                [str(r) for r in data["region"]],
                data["next_strike_s"],
            )


def collect(scenario_dir: Path, horizon_s: float = DEFAULT_HORIZON_S) -> SirenExamples:
    """Replay a scenario that has ``truth.json`` and label every call the rules make for sirens."""
    scenario = load_scenario(scenario_dir)
    truth = load_truth(scenario_dir)
    meta = json.loads((scenario_dir / "truth.json").read_text(encoding="utf-8")).get("meta", {})
    region = str(meta.get("region", scenario_dir.name))
    strikes = {s.id: sorted(justifying_strike_times(truth.strikes, s)) for s in scenario.sites}
    rows: list[list[float]] = []
    ahead: list[float] = []

    def record(t: float, site_id: str, row: list[float]) -> None:
        rows.append(row)
        ahead.append(min((ts - t for ts in strikes[site_id] if ts >= t), default=math.inf))

    pipeline = build_pipeline(scenario)
    pipeline.policy.siren_recorder = record
    Stepper(pipeline, lambda _alert: None).run(event for _, event in scenario.events())
    x = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(SIREN_FEATURES))
    next_strike = np.asarray(ahead, dtype=np.float64)
    return SirenExamples(
        x, np.zeros(len(rows)), [scenario_dir.name] * len(rows), [region] * len(rows), next_strike
    ).relabelled(horizon_s)


@dataclass(frozen=True)
class HeldOutRegion:
    """How the model fitted on the other regions does on one region's calls for sirens."""

    region: str
    rows: int
    positives: float
    brier: float
    brier_base: float  # the training regions' base rate, predicted for every call

    @property
    def skill(self) -> float:
        """Brier skill score against the base rate: 1 - brier / brier_base."""
        return 1.0 - self.brier / self.brier_base if self.brier_base > 0 else 0.0


def _fit(examples: SirenExamples, sel: np.ndarray, horizon_s: float, l2: float) -> SirenModel:
    m = fit(examples.x[sel], examples.y[sel], horizon_s, l2=l2)
    return SirenModel(
        weights=tuple(float(w) for w in m.weights),
        bias=m.bias,
        mean=tuple(float(v) for v in m.mean),
        std=tuple(float(v) for v in m.std),
        horizon_s=horizon_s,
        threshold=0.0,
    )


def predict(model: SirenModel, x: Matrix) -> Vector:
    """The model's probability for each row."""
    out: Vector = np.array([model.probability(list(row)) for row in x], dtype=np.float64)
    return out


def leave_one_region_out(
    examples: SirenExamples, horizon_s: float = DEFAULT_HORIZON_S, l2: float = 1.0
) -> tuple[list[HeldOutRegion], Vector]:
    """Each region scored by a model fitted on the others; also every row's held-out probability."""
    regions = np.asarray(examples.region)
    held = np.zeros(len(examples.y))
    out = []
    for region in sorted(set(examples.region)):
        test = regions == region
        model = _fit(examples, ~test, horizon_s, l2)
        p = predict(model, examples.x[test])
        held[test] = p
        y = examples.y[test]
        base = float(examples.y[~test].mean())
        out.append(
            HeldOutRegion(
                region, int(test.sum()), float(y.mean()), brier(p, y), brier(np.full_like(y, base), y)
            )
        )
    return out, held


def train(
    examples: SirenExamples,
    threshold: float,
    horizon_s: float = DEFAULT_HORIZON_S,
    l2: float = 1.0,
    meta: dict[str, object] | None = None,
) -> SirenModel:
    """The model fitted on all the examples, at the operating point ``threshold``."""
    model = _fit(examples, np.ones(len(examples.y), dtype=bool), horizon_s, l2)
    return SirenModel(
        model.weights,
        model.bias,
        model.mean,
        model.std,
        horizon_s,
        threshold,
        {**(meta or {}), "rows": len(examples.y), "positives": round(float(examples.y.mean()), 4)},
    )


def reliability_table(p: Vector, y: Vector, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean predicted, observed frequency, count) per probability bin."""
    return reliability(p, y, bins)
