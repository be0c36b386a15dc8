"""The learned strike model: P(a strike hits this site within the next minutes | track, site).

The geometric assessment (:mod:`nadhir.threat.assessor`) says whether an
aircraft *can* reach a site; whether it will *strike* there depends on more
(is the site at the centre of its orbit, how long has it flown, what kind of
aircraft, how sure is the track). A logistic regression over those
features, trained on scenarios from the project's own simulator (never on
the public scenarios), turns them into a calibrated probability.

Logistic regression is hand-written here (a dozen lines of numpy and a
scipy optimiser) rather than taken from scikit-learn: the model is 20
weights, loads from a small JSON file shipped in the package, and predicts
with one dot product in the hot loop.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

FEATURES: tuple[str, ...] = (
    "p_geometric",
    "logit_p_geometric",
    "existence",
    "eta_min",
    "distance_10km",
    "cross_5km",
    "cue_approach",
    "cue_overhead",
    "cue_circling",
    "cue_nearby",
    "p_jet",
    "p_helicopter",
    "p_drone",
    "speed_over_cruise",
    "sigma_5km",
    "sighted",
    "age_10min",
    "unobserved_min",
    "vulnerable_site",
    "p_x_circling",
    "p_x_overhead",
    "p_x_eta",
)

Matrix = NDArray[np.float64]
Vector = NDArray[np.float64]

BUNDLED_MODEL = "strike_model.json"


@dataclass(frozen=True)
class StrikeModel:
    """Standardised logistic regression: ``p = sigmoid(w . (x - mean) / std + b)``."""

    weights: Vector
    bias: float
    mean: Vector
    std: Vector
    horizon_s: float
    meta: dict[str, object]

    def predict(self, x: Matrix) -> Vector:
        """Strike probability for each row of features (columns in :data:`FEATURES` order)."""
        z = ((x - self.mean) / self.std) @ self.weights + self.bias
        out: Vector = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
        return out

    def to_json(self) -> str:
        """The model as JSON, with its feature names so a mismatch is caught on load."""
        return json.dumps(
            {
                "features": list(FEATURES),
                "weights": [round(float(w), 6) for w in self.weights],
                "bias": round(self.bias, 6),
                "mean": [round(float(m), 6) for m in self.mean],
                "std": [round(float(s), 6) for s in self.std],
                "horizon_s": self.horizon_s,
                "meta": self.meta,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> StrikeModel:
        """Load a model written by :meth:`to_json`; raises ValueError if it does not fit this code."""
        data = json.loads(text)
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError("strike model was trained on other features; retrain it (nadhir train-threat)")
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            std=np.asarray(data["std"], dtype=np.float64),
            horizon_s=float(data["horizon_s"]),
            meta=dict(data.get("meta", {})),
        )

    @classmethod
    def bundled(cls) -> StrikeModel | None:
        """The model shipped in the package, or None if none is shipped."""
        path = resources.files("nadhir") / "data" / "models" / BUNDLED_MODEL
        if not path.is_file():
            return None
        return cls.from_json(path.read_text(encoding="utf-8"))

    @classmethod
    def load(cls, path: Path) -> StrikeModel:
        """Load a model file."""
        return cls.from_json(path.read_text(encoding="utf-8"))


def fit(
    x: Matrix, y: Vector, horizon_s: float, l2: float = 1.0, meta: dict[str, object] | None = None
) -> StrikeModel:
    """Fit an L2-regularised logistic regression by L-BFGS on standardised features."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-9] = 1.0
    xs = (x - mean) / std
    n, k = xs.shape

    def loss(theta: Vector) -> tuple[float, Vector]:
        w, b = theta[:k], theta[k]
        z = xs @ w + b
        # log(1 + e^z) - y z, computed stably
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z)) / n + 0.5 * l2 * float(w @ w) / n
        p = 1.0 / (1.0 + np.exp(-z))
        grad_w = xs.T @ (p - y) / n + l2 * w / n
        grad_b = float(np.sum(p - y)) / n
        return nll, np.concatenate([grad_w, [grad_b]])

    # Loaded here, not at module level: the replay loads this module but never trains.
    from scipy.optimize import minimize

    result = minimize(loss, np.zeros(k + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    theta = result.x
    return StrikeModel(theta[:k], float(theta[k]), mean, std, horizon_s, meta or {})


def reliability(p: Vector, y: Vector, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean predicted, observed frequency, count) per probability bin, for a reliability diagram."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for lo, hi in itertools.pairwise(edges):
        sel = (p >= lo) & ((p < hi) if hi < 1.0 else (p <= hi))
        if sel.any():
            out.append((float(p[sel].mean()), float(y[sel].mean()), int(sel.sum())))
    return out


def brier(p: Vector, y: Vector) -> float:
    """Mean squared error of probabilities."""
    return float(np.mean((p - y) ** 2))


def logit(p: Vector) -> Vector:
    """log(p / (1 - p)), clipped away from 0 and 1."""
    q = np.clip(p, 1e-4, 1.0 - 1e-4)
    out: Vector = np.log(q / (1.0 - q))
    return out
