"""The prediction paths give the same bits however a predictor is used.

A long-lived ``Predictor`` (as the tracker's) and a fresh one per call must
move tracks identically, with tracks updated, edited in place, retyped and
deleted in between: a guard for any reuse of arrays across calls (one was
tried and measured slower, see docs/benchmarks.md, Replay speed). And
``imm.combine``'s one-track form equals its general form to the bit.
"""

from __future__ import annotations

import numpy as np

from nadhir.tracking import imm
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Predictor


def _tracks(n: int, seed: int) -> list[Track]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        a = rng.normal(size=(4, 4))
        types = np.array([0.8, 0.1, 0.1]) if i % 2 else np.array([0.1, 0.8, 0.1])
        out.append(
            Track(
                id=f"T{i}",
                t=0.0,
                x=np.concatenate([rng.normal(size=2) * 5000.0, rng.normal(size=2) * 100.0]),
                p=a @ a.T * 1e4 + np.eye(4) * 100.0,
                type_probs=types,
                created=0.0,
                last_update=0.0,
            )
        )
    return out


def _state(tracks: list[Track]) -> list[bytes]:
    return [
        np.concatenate([tr.mu, tr.xs.ravel(), tr.ps.ravel(), tr.x, tr.p.ravel()]).tobytes() for tr in tracks
    ]


def test_reused_batches_equal_fresh_ones_to_the_bit() -> None:
    reused, fresh = _tracks(5, 1), _tracks(5, 1)
    keep = Predictor()
    rng = np.random.default_rng(2)
    for k in range(1, 30):
        t = 5.0 * k + (0.0 if k % 3 else 1.0)
        keep.predict_all(reused, t)
        Predictor().predict_all(fresh, t)  # a new predictor: stacks everything afresh
        assert _state(reused) == _state(fresh)
        if k % 4 == 0:  # one track updated in between (new arrays), another edited in place
            for group in (reused, fresh):
                tr = group[k % len(group)]
                tr.set_models(tr.mu.copy(), tr.xs + 10.0, tr.ps.copy())
            shift = rng.normal(size=4)
            reused[(k + 1) % len(reused)].xs[1] += shift
            fresh[(k + 1) % len(fresh)].xs[1] += shift
        if k % 7 == 0:  # a type change (another profile) and a deleted track
            for group in (reused, fresh):
                group[0].type_probs = group[0].type_probs[::-1].copy()
                del group[-1]


def test_one_track_combine_equals_the_general_form() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        mu = rng.random(imm.N_MODELS)
        mu /= mu.sum()
        xs = rng.normal(size=(imm.N_MODELS, 4)) * 1000.0
        a = rng.normal(size=(imm.N_MODELS, 4, 4))
        ps = a @ np.swapaxes(a, 1, 2) * 100.0
        x1, p1 = imm.combine(mu, xs, ps)
        xg, pg = imm.combine(mu[None, None], xs[None, None], ps[None, None])  # the ellipsis form
        assert x1.tobytes() == xg[0, 0].tobytes()
        assert p1.tobytes() == pg[0, 0].tobytes()
