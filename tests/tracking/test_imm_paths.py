"""The IMM's fast paths give the same answers as its general forms.

Speed-ups in :mod:`nadhir.tracking.imm` take shortcuts: one bearing per
track is updated in covariance form rather than information form, the
step matrices are cached per motion profile, and a bearing update is only
relinearised when its correction was large; :mod:`nadhir.tracking.scalar`
redoes the few-track cases in plain floats. Each is checked here against
the general computation it replaces.
"""

from __future__ import annotations

import math

import numpy as np

from nadhir.tracking import associator, imm, merger, scalar
from nadhir.tracking.associator import Associator
from nadhir.tracking.measurements import BearingFix, PositionFix
from nadhir.tracking.motion import PROFILES, REPORT_LIKELIHOOD, SOUND_LIKELIHOOD
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Updater

T = 9  # tracks in a batch


def _scene(seed: int, spread_m: float) -> tuple[np.ndarray, ...]:
    """A batch of tracks ``spread_m`` off their aircraft, each heard by one sensor 5-20 km away."""
    rng = np.random.default_rng(seed)
    mu = rng.dirichlet(np.ones(imm.N_MODELS), size=T)
    truth = np.concatenate([rng.normal(size=(T, 2)) * 20_000.0, rng.normal(size=(T, 2)) * 100.0], axis=1)
    xs = truth[:, None, :] + rng.normal(size=(T, imm.N_MODELS, 4)) * np.array(
        [spread_m, spread_m, 30.0, 30.0]
    )
    ps = np.tile(np.diag([spread_m**2, spread_m**2, 50.0**2, 50.0**2]), (T, imm.N_MODELS, 1, 1))
    angle = rng.uniform(0.0, 2.0 * math.pi, size=T)
    dist = rng.uniform(5_000.0, 20_000.0, size=T)
    away = np.stack([np.sin(angle), np.cos(angle)], axis=1) * dist[:, None]  # (T, 2)
    sensors = (truth[:, :2] - away)[:, None, :]  # (T, 1, 2)
    offset = truth[:, None, :2] - sensors
    bearings = np.arctan2(offset[..., 0], offset[..., 1]) + rng.normal(size=(T, 1)) * 0.05
    return mu, xs, ps, sensors, bearings


def test_one_bearing_matches_the_information_form() -> None:
    """A lone bearing (covariance form) equals the same bearing padded to two (information form)."""
    for spread in (300.0, 3000.0):
        mu, xs, ps, sensors, bearings = _scene(1, spread)
        variances = np.full((T, 1), 0.05**2)
        alt, alt_sigma = np.full(T, 2000.0), np.full(T, 1000.0)
        # Padding with an infinite-variance slot forces the general information-form path.
        padded = (
            np.concatenate([sensors, np.zeros((T, 1, 2))], axis=1),
            np.concatenate([bearings, np.zeros((T, 1))], axis=1),
            np.concatenate([variances, np.full((T, 1), np.inf)], axis=1),
        )
        for iterations in (1, 2):
            fast = imm.update_bearings_batch(
                mu, xs, ps, sensors, bearings, variances, alt, alt_sigma, iterations
            )
            general = imm.update_bearings_batch(mu, xs, ps, *padded, alt, alt_sigma, iterations)
            for a, b in zip(fast, general, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-6)


def test_relinearising_stops_only_when_it_would_change_little() -> None:
    """Skipping the second Gauss-Newton step moves no estimate by more than a few metres."""
    mu, xs, ps, sensors, bearings = _scene(2, 300.0)
    variances = np.full((T, 1), 0.05**2)
    alt, alt_sigma = np.full(T, 2000.0), np.full(T, 1000.0)
    two = imm.update_bearings_batch(mu, xs, ps, sensors, bearings, variances, alt, alt_sigma, iterations=2)
    many = imm.update_bearings_batch(mu, xs, ps, sensors, bearings, variances, alt, alt_sigma, iterations=6)
    # Positions agree to a small fraction of the 300 m prior spread.
    assert np.abs(two[1][..., :2] - many[1][..., :2]).max() < 30.0


def test_cached_step_matrices_equal_fresh_ones() -> None:
    """The cached, packed step matrices are the ones the model builders give."""
    for kind in ("jet", "helicopter", "drone", "unknown"):
        prof = PROFILES[kind]
        for dt in (1.0, 5.0, 37.0):
            f, q = imm.transition_matrices(prof, dt)
            pi = imm.switching_matrix(prof, dt)
            cached = imm.step_models(prof, dt)
            assert imm.step_models(prof, dt) is cached
            np.testing.assert_array_equal(cached.f, f)
            np.testing.assert_array_equal(cached.q, q)
            np.testing.assert_array_equal(cached.pi, pi)
            np.testing.assert_array_equal(cached.ft, np.swapaxes(f, 1, 2))
            uf, uq, upi, uft = imm.unpack_steps(np.array([cached.packed, cached.packed]))
            np.testing.assert_array_equal(uf[1], f)
            np.testing.assert_array_equal(uq[1], q)
            np.testing.assert_array_equal(upi[1], pi)
            np.testing.assert_array_equal(uft[1], np.swapaxes(f, 1, 2))
            assert not cached.packed.flags.writeable


def test_batched_combine_equals_the_general_form() -> None:
    """Combining a batch of tracks (the hot path's fewer views) gives the general form's bits."""
    rng = np.random.default_rng(5)
    n = 7
    mu = rng.dirichlet(np.ones(imm.N_MODELS), size=n)
    xs = rng.normal(size=(n, imm.N_MODELS, 4)) * np.array([2e4, 2e4, 150.0, 150.0])
    a = rng.normal(size=(n, imm.N_MODELS, 4, 4))
    ps = a @ np.swapaxes(a, -1, -2) * 1e5
    x, p = imm.combine(mu, xs, ps)
    # the general form, any leading dimensions
    x_ref = (mu[..., None, :] @ xs)[..., 0, :]
    d = xs - x_ref[..., None, :]
    p_ref = (mu[..., None, :] @ ps.reshape(n, imm.N_MODELS, 16))[..., 0, :].reshape(n, 4, 4)
    p_ref = p_ref + np.swapaxes(d * mu[..., :, None], -1, -2) @ d
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(p, p_ref)
    for i in range(n):  # one track alone: the same moments, to rounding
        x1, p1 = imm.combine(mu[i], xs[i], ps[i])
        np.testing.assert_allclose(x1, x[i], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(p1, p[i], rtol=1e-12, atol=1e-6)


def test_plain_float_lone_bearing_update_equals_the_batched_one() -> None:
    """:func:`scalar.update_one_bearing` (few tracks, plain floats) against the numpy batch."""
    for seed, spread in ((3, 300.0), (4, 3000.0)):
        mu, xs, ps, sensors, bearings = _scene(seed, spread)
        variances = np.full((T, 1), 0.05**2)
        alt, alt_sigma = np.full(T, 2000.0), np.linspace(500.0, 1500.0, T)
        rows = [
            (
                float(sensors[t, 0, 0]),
                float(sensors[t, 0, 1]),
                float(bearings[t, 0]),
                float(variances[t, 0]),
                float(alt[t]),
                float(alt_sigma[t] ** 2),
            )
            for t in range(T)
        ]
        for iterations in (1, 2):
            batched = imm.update_bearings_batch(
                mu, xs, ps, sensors, bearings, variances, alt, alt_sigma, iterations
            )
            mus, xss, pss = scalar.update_one_bearing(
                mu.tolist(),
                xs.tolist(),
                ps.reshape(T, imm.N_MODELS, 16).tolist(),
                rows,
                iterations,
                imm.RELINEARISE_SHARE,
            )
            np.testing.assert_allclose(mus, batched[0], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(xss, batched[1], rtol=1e-9, atol=1e-6)
            np.testing.assert_allclose(
                np.array(pss).reshape(T, imm.N_MODELS, 4, 4), batched[2], rtol=1e-9, atol=1e-6
            )


def _tracks_and_bearings(seed: int) -> tuple[list[Track], list[BearingFix]]:
    """Six tracks of mixed types and sharpness, and bearings from sensors among them."""
    rng = np.random.default_rng(seed)
    tracks = []
    for k in range(6):
        sigma = rng.uniform(300.0, 6000.0)
        track = Track(
            id=f"T{k}",
            t=0.0,
            x=np.array([*rng.normal(size=2) * 15_000.0, *rng.normal(size=2) * 120.0]),
            p=np.diag([sigma**2, (0.7 * sigma) ** 2, 60.0**2, 40.0**2]),
            type_probs=rng.dirichlet(np.ones(3)),
            created=0.0,
            last_update=0.0,
        )
        track.p[0, 1] = track.p[1, 0] = 0.3 * sigma * 0.7 * sigma
        track.p[0, 2] = track.p[2, 0] = 0.2 * sigma * 60.0
        tracks.append(track)
    fixes = []
    for k in range(8):
        target = tracks[k % len(tracks)]
        sx, sy = target.x[:2] + rng.normal(size=2) * 8000.0
        dx, dy = target.x[:2] - (sx, sy)
        kind = ("jet", "helicopter", "drone", "propeller")[k % 4]
        fixes.append(
            BearingFix(
                0.0,
                float(sx),
                float(sy),
                float(math.atan2(dx, dy) + rng.normal() * 0.1),
                0.05,
                f"s{k % 5}",  # some sensors hear two sounds at once
                0.2,
                SOUND_LIKELIHOOD[kind],
                kind,
            )
        )
    return tracks, fixes


def test_plain_float_bearing_scoring_equals_the_batched_one() -> None:
    """Bearing costs and assignments in plain floats (a few pairs) equal the arrays' ones."""
    for seed in range(6):
        tracks, fixes = _tracks_and_bearings(seed)
        assoc = Associator(Updater())
        pm, pt, cost = assoc.bearing_costs(tracks, fixes, use_grid=False)
        small = associator.bearing_costs_small(tracks, fixes)
        assert (small[0], small[1]) == (pm.tolist(), pt.tolist())
        np.testing.assert_allclose(small[2], cost, rtol=1e-12)
        for n in (1, 2, len(fixes)):
            fast = assoc.assign_bearings_gated(tracks, fixes[:n])
            fast_counts = assoc.last_gated_per_track
            general = assoc.assign_bearings_gated(tracks, fixes[:n], use_grid=False)
            assert fast == general
            assert fast_counts == assoc.last_gated_per_track


def test_plain_float_sighting_scoring_equals_the_batched_one() -> None:
    """Sighting costs in plain floats (a few pairs) equal the arrays' ones, heading cues included."""
    for seed in range(6):
        tracks, _ = _tracks_and_bearings(seed)
        rng = np.random.default_rng(100 + seed)
        fixes = []
        for k in range(5):
            target = tracks[k % len(tracks)]
            x, y = target.x[:2] + rng.normal(size=2) * 3000.0
            fixes.append(
                PositionFix(
                    0.0,
                    float(x),
                    float(y),
                    float(rng.uniform(500.0, 5000.0)),
                    f"o{k % 3}",
                    0.5,
                    REPORT_LIKELIHOOD[("jet", "helicopter", "drone", "unknown")[k % 4]],
                    heading_rad=None if k % 2 else float(rng.uniform(-math.pi, math.pi)),
                    count=1 + k % 2,
                    delay_s=(0.0, 20.0)[k % 2],
                )
            )
        for track in tracks[:3]:  # some tracks with a known course
            track.x[2:] = rng.normal(size=2) * 150.0
            track.p[2:, 2:] = np.diag([25.0, 16.0])
        assoc = Associator(Updater())
        batched = assoc.sighting_costs(tracks, fixes)
        small = np.array(associator.sighting_costs_small(tracks, fixes))
        assert ((batched < 1e9) == (small < 1e9)).all() and (small < 1e9).sum() >= 5
        np.testing.assert_allclose(small, batched, rtol=1e-12)

        # A batch without heading cues skips the heading block: its rows are the same bits as
        # those sightings' rows in a batch that has cues (whose mismatch there is 0.0).
        plain = [k for k, fix in enumerate(fixes) if fix.heading_rad is None]
        alone = assoc.sighting_costs(tracks, [fixes[k] for k in plain])
        assert np.array_equal(alone, batched[plain]) and (alone < 1e9).any()


def test_plain_float_merge_screen_equals_the_batched_one() -> None:
    """The merger's cheap bound screens the same pairs in plain floats as in arrays."""
    for seed in range(6):
        tracks, _ = _tracks_and_bearings(seed)
        for track in tracks[3:]:  # near duplicates of the first three
            track.x[:2] = tracks[int(track.id[1:]) - 3].x[:2] + 2000.0
        for rows in ([0], [1, 4], list(range(len(tracks)))):
            small = merger._close_pairs_small(tracks, rows)
            assert small == merger._close_pairs(tracks, rows)
            assert small


def test_plain_float_linear_update_equals_the_batched_one() -> None:
    """:func:`scalar.update_linear` (a sighting with its delay, a heading cue) against the numpy form."""
    mu, xs, ps, _, _ = _scene(5, 2000.0)
    rng = np.random.default_rng(5)
    for t in range(T):
        for h in (
            ((1.0, 0.0, -20.0, 0.0), (0.0, 1.0, 0.0, -20.0)),
            ((0.0, 0.0, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0)),
        ):
            hm = np.array(h)
            z = hm @ xs[t, 0] + rng.normal(size=2) * 1500.0
            y = z[None, :] - xs[t] @ hm.T
            r = np.array(
                [
                    [
                        [4e6 + 10.0 * v[0] ** 2, 10.0 * v[0] * v[1]],
                        [10.0 * v[0] * v[1], 4e6 + 10.0 * v[1] ** 2],
                    ]
                    for v in xs[t]
                ]
            )
            batched = imm.update_linear(mu[t], xs[t], ps[t], y, np.broadcast_to(hm, (imm.N_MODELS, 2, 4)), r)
            small = scalar.update_linear(
                mu[t].tolist(),
                xs[t].tolist(),
                ps[t].reshape(imm.N_MODELS, 16).tolist(),
                [tuple(row) for row in y.tolist()],
                h,
                [tuple(m.ravel().tolist()) for m in r],
            )
            np.testing.assert_allclose(small[0], batched[0], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(small[1], batched[1], rtol=1e-9, atol=1e-6)
            np.testing.assert_allclose(
                np.array(small[2]).reshape(imm.N_MODELS, 4, 4), batched[2], rtol=1e-9, atol=1e-6
            )
