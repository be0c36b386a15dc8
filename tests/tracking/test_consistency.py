"""Filter consistency: the IMM's covariance must match its actual errors (NEES within chi-square bounds).

Monte Carlo, seeded. Truth is flown with the motion the models describe
(a straight leg, then a coordinated turn), measured by position fixes or
by acoustic bearings from a few sensors (with the sound's travel delay).
The average normalised estimation error squared over ``N`` runs, times
``N``, is chi-square with ``4 N`` degrees of freedom for a consistent
filter; we check the time-averaged NEES against the two-sided 99 %
interval and each step's against a wider 99.9 % one for all but a few steps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nadhir.tracking import imm
from nadhir.tracking.motion import PROFILES, MotionProfile

RUNS = 40
STEPS = 60
DT = 5.0
# After the aircraft changes its manoeuvre, the IMM needs about a minute of measurements to notice
# (a drone turning at 1.2 deg/s strays only ~70 m from a straight line in 15 s).
SETTLE_STEPS = 12


def _truth(rng: np.random.Generator, prof: MotionProfile, turn: bool) -> tuple[np.ndarray, np.ndarray]:
    """States over time, flown by the models themselves.

    Straight flight keeps to the straight model; turning flight starts
    straight and then switches between models as the filter's own Markov
    chain says, starting with a left turn a third of the way in.
    """
    x = np.array([0.0, 0.0, prof.cruise_mps, 0.0])
    out = []
    f, q = imm.transition_matrices(prof, DT)
    pi = imm.switching_matrix(prof, DT)
    model = 0
    settled = np.ones(STEPS, dtype=bool)
    for k in range(STEPS):
        before = model
        if turn and k == STEPS // 3:
            model = 1
        elif turn and k > STEPS // 3:
            model = int(rng.choice(imm.N_MODELS, p=pi[model]))
        if model != before:
            settled[k : k + SETTLE_STEPS] = False
        x = f[model] @ x + rng.multivariate_normal(np.zeros(4), q[model])
        out.append(x)
    return np.array(out), settled


def _run(prof: MotionProfile, turn: bool, bearings: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """NEES of every run and step, and which steps are not just after a change of manoeuvre."""
    rng = np.random.default_rng(seed)
    nees = np.zeros((RUNS, STEPS))
    settled = np.zeros((RUNS, STEPS), dtype=bool)
    sensors = np.array([[-8000.0, 6000.0], [6000.0, 8000.0], [20_000.0, -6000.0], [5000.0, -9000.0]])
    sigma_pos, sigma_brg = 300.0, math.radians(2.0)
    for run in range(RUNS):
        truth, settled[run] = _truth(rng, prof, turn)
        x0 = truth[0] + rng.normal(0.0, [500.0, 500.0, 20.0, 20.0])
        mu = imm.INITIAL_MODE_PROBS.copy()
        xs = np.tile(x0, (imm.N_MODELS, 1))
        ps = np.tile(np.diag([500.0**2, 500.0**2, 20.0**2, 20.0**2]), (imm.N_MODELS, 1, 1))
        for k in range(STEPS):
            if k > 0:
                mu, xs, ps = imm.predict(mu, xs, ps, DT, prof)
            tx, ty, tvx, tvy = truth[k]
            if bearings:
                theta, _, _, _ = imm.heard_bearing(
                    tx - sensors[:, 0], ty - sensors[:, 1], np.full(4, tvx), np.full(4, tvy), 0.0
                )
                z = theta + rng.normal(0.0, sigma_brg, size=4)
                mu, xs, ps, _ = imm.update_bearings(mu, xs, ps, sensors, z, np.full(4, sigma_brg**2))
            else:
                z = truth[k, :2] + rng.normal(0.0, sigma_pos, size=2)
                y = z[None, :] - xs[:, :2]
                h = np.broadcast_to(np.eye(2, 4), (imm.N_MODELS, 2, 4))
                mu, xs, ps, _ = imm.update_linear(mu, xs, ps, y, h, np.eye(2) * sigma_pos**2)
            x, p = imm.combine(mu, xs, ps)
            e = truth[k] - x
            nees[run, k] = float(e @ np.linalg.solve(p, e))
    settled[:, :5] = False  # start-up transient
    return nees, settled


@pytest.mark.parametrize(
    ("kind", "turn", "bearings"),
    [
        ("jet", False, False),
        ("jet", True, False),
        ("helicopter", True, False),
        ("drone", True, False),
        ("helicopter", False, True),
        ("jet", True, True),
        ("drone", True, True),
    ],
)
def test_nees_within_chi_square_bounds(kind: str, turn: bool, bearings: bool) -> None:
    """Never overconfident; conservative by at most a factor of two.

    Upper side: the average NEES over settled steps must not exceed the
    99 % chi-square bound, and single NEES values beyond chi-square(4)'s
    99.9 % point must stay rare. Lower side: an IMM is conservative by
    construction (it keeps some weight on the turn and manoeuvre models, whose
    spread widens the mixture's covariance), so the average must only stay
    above half the lower bound.
    """
    seed = {"jet": 11, "helicopter": 12, "drone": 13}[kind] + 10 * turn + 100 * bearings
    nees, settled = _run(PROFILES[kind], turn, bearings, seed)
    values = nees[settled]
    n = len(values)
    lo, hi = stats.chi2.ppf([0.005, 0.995], 4 * n) / n
    average = float(values.mean())
    assert average <= hi, (average, hi)
    assert average >= 0.5 * lo, (average, lo)
    assert float(np.mean(values > stats.chi2.ppf(0.999, 4))) <= 0.02
