"""The siren model: P(a strike lands at or near this site within the horizon | a siren is called for).

The rules of :mod:`nadhir.alerting.policy` call for sirens (``imminent``) on a
cue that may sound them (a strike reported nearby, an aircraft circling the
site), a probability, an arrival within the site's window and two independent
witnesses. Most of those calls are false (``benchmarks/siren_causes.py``).
This model looks again at each such call with what the rules do not weigh:
the cue, the aircraft, the witnesses, the arrival time and distance, the alert
episode so far, and the site's recent history (strikes reported at the site
and around it, circling, how many aircraft threatened it lately, how long it
has been threatened). Where it gives a strike less than its operating point,
the site is warned by phone (``early``) rather than by siren.

It is a small standardised logistic regression, fitted in the lab
(``nadhir_lab.siren_training``; ``benchmarks/siren_model.py``) on the tuning
set only, shipped as JSON in ``nadhir/data/models`` and loaded with no download.
The site history it reads is kept by :class:`SirenMemory`, fed by the policy
with the threats it sees each step.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from nadhir.domain import Site, Threat
from nadhir.geo.distance import haversine_m
from nadhir.threat.impacts import ImpactEvidence
from nadhir.tracking.track import Track

SIREN_FEATURES: tuple[str, ...] = (
    "probability",
    "cue_impact",
    "cue_circling",
    "jet",
    "helicopter",
    "drone",
    "witnesses",
    "eta_min",
    "distance_km",
    "vulnerable_site",
    "episode_min",
    "episode_sirens",
    "rearmed",
    "threatened_min",
    "tracks_15min",
    "circling_ago_min",
    "impact_ago_min",
    "area_impact_ago_min",
    "area_impacts_60min",
    "impact_x_area_impacts",
    "circling_x_witnesses",
    "impact_x_witnesses",
    "track_circled_sites",
    "area_impact_sites_now",
    "has_track",
    "track_age_min",
    "track_unobserved_min",
    "track_sigma_km",
    "track_speed_100ms",
    "track_sources",
    "track_sighted",
    "track_type_confidence",
    "impact_reported",
    "impact_nearest_km",
    "impact_hits",
    "impact_named_share",
    "impact_acoustic",
    "impact_expected",
    "impact_newest_ago_min",
)

BUNDLED_SIREN_MODEL = "siren_model.json"
# Sites this close to each other share their strike history ("a strike in the area").
AREA_M = 10_000.0
# History older than this is not counted; "never" reads as this many minutes.
MEMORY_S = 3600.0
RECENT_TRACKS_S = 900.0
MAX_WITNESSES = 5.0


@dataclass(frozen=True)
class SirenModel:
    """Standardised logistic regression over :data:`SIREN_FEATURES`, and its operating point.

    ``threshold``: a call for sirens whose strike probability is below it is
    answered by phone only. It is chosen on the tuning set (docs/benchmarks.md).
    """

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    std: tuple[float, ...]
    horizon_s: float
    threshold: float
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k = len(SIREN_FEATURES)
        if not (len(self.weights) == len(self.mean) == len(self.std) == k):
            raise ValueError(f"a siren model needs {k} weights, means and scales")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"a siren model's threshold is a probability, not {self.threshold}")

    def probability(self, row: list[float]) -> float:
        """Strike probability for one row of features (in :data:`SIREN_FEATURES` order)."""
        z = self.bias
        for x, m, s, w in zip(row, self.mean, self.std, self.weights, strict=True):
            z += w * (x - m) / s
        return 1.0 / (1.0 + math.exp(-min(30.0, max(-30.0, z))))

    def with_threshold(self, threshold: float) -> SirenModel:
        """The same model at another operating point."""
        return replace(self, threshold=threshold)

    def to_json(self) -> str:
        """The model as JSON, with its feature names so that a mismatch is caught on load."""
        return json.dumps(
            {
                "features": list(SIREN_FEATURES),
                "weights": [round(w, 6) for w in self.weights],
                "bias": round(self.bias, 6),
                "mean": [round(m, 6) for m in self.mean],
                "std": [round(s, 6) for s in self.std],
                "horizon_s": self.horizon_s,
                "threshold": self.threshold,
                "meta": self.meta,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> SirenModel:
        """Load a model written by :meth:`to_json`; ValueError if it does not fit this code."""
        data = json.loads(text)
        if tuple(data.get("features", ())) != SIREN_FEATURES:
            raise ValueError(
                "siren model was trained on other features; retrain it (benchmarks/siren_model.py)"
            )
        return cls(
            weights=tuple(float(w) for w in data["weights"]),
            bias=float(data["bias"]),
            mean=tuple(float(m) for m in data["mean"]),
            std=tuple(float(s) for s in data["std"]),
            horizon_s=float(data["horizon_s"]),
            threshold=float(data["threshold"]),
            meta=dict(data.get("meta", {})),
        )

    @classmethod
    def bundled(cls) -> SirenModel | None:
        """The model shipped in the package, or None if none is."""
        path = resources.files("nadhir") / "data" / "models" / BUNDLED_SIREN_MODEL
        if not path.is_file():
            return None
        return cls.from_json(path.read_text(encoding="utf-8"))

    @classmethod
    def load(cls, path: Path) -> SirenModel:
        """Load a model file."""
        return cls.from_json(path.read_text(encoding="utf-8"))

    @classmethod
    def named(cls, spec: str) -> SirenModel:
        """The model a command line names: ``bundled`` or a JSON file's path.

        ValueError says why it cannot be had (the replay and the live service both take it so).
        """
        try:
            model = cls.bundled() if spec == "bundled" else cls.load(Path(spec))
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"cannot load siren model {spec!r}: {exc}") from exc
        if model is None:
            raise ValueError("no siren model is bundled (train one with benchmarks/siren_model.py)")
        return model


@dataclass
class _SiteHistory:
    """What one site has seen lately."""

    impact_onsets: deque[float] = field(default_factory=deque)  # a strike report's threat began
    area_onsets: deque[float] = field(default_factory=deque)  # ... at a site within AREA_M
    last_circling: float | None = None
    threatened_since: float | None = None
    tracks: dict[str, float] = field(default_factory=dict)  # track -> last time it threatened the site
    impact_now: bool = False


@dataclass(frozen=True, slots=True)
class EpisodeView:
    """What the policy tells the model of the site's alert episode (all zero when none is open)."""

    age_s: float = 0.0
    sirens: bool = False
    rearmed: bool = False


class SirenMemory:
    """The sites' recent history, fed every step with the threats the policy sees."""

    def __init__(self, sites: list[Site]) -> None:
        self._history: dict[str, _SiteHistory] = {s.id: _SiteHistory() for s in sites}
        # Computed once: which sites share a strike's news (each includes itself).
        self._area: dict[str, list[str]] = {
            s.id: [o.id for o in sites if haversine_m(s.lat, s.lon, o.lat, o.lon) <= AREA_M] for s in sites
        }
        self._vulnerable = {s.id: s.kind == "hospital" for s in sites}
        self._active: set[str] = set()  # sites threatened at the last step
        # This step: how many sites each track circles, and the sites with a strike reported nearby.
        self._circled: dict[str, int] = {}
        self._impact_sites: set[str] = set()
        # The live track of a threat, by its id (set by the pipeline; None: no track features).
        self.track_of: Callable[[str], Track | None] | None = None
        # What the recent strike reports say about a site (set by the pipeline; None: no such features).
        self.impacts_at: Callable[[str], ImpactEvidence | None] | None = None

    def observe(self, t: float, threats: Iterable[Threat]) -> None:
        """Note this step's threats (the policy passes those that may call for a level)."""
        seen: set[str] = set()
        circled: dict[str, int] = {}
        impact_sites: set[str] = set()
        for threat in threats:
            h = self._history.get(threat.site)
            if h is None:
                continue
            seen.add(threat.site)
            if h.threatened_since is None:
                h.threatened_since = t
            if threat.cue == "impact":
                if not h.impact_now:
                    h.impact_onsets.append(t)
                    for other in self._area[threat.site]:
                        self._history[other].area_onsets.append(t)
                h.impact_now = True
                impact_sites.add(threat.site)
            else:
                h.impact_now = False
            if threat.cue == "circling":
                h.last_circling = t
                if threat.track is not None:
                    circled[threat.track] = circled.get(threat.track, 0) + 1
            if threat.track is not None:
                h.tracks[threat.track] = t
        for site_id in self._active - seen:
            h = self._history[site_id]
            h.threatened_since, h.impact_now = None, False
        self._active = seen
        self._circled, self._impact_sites = circled, impact_sites

    def features(self, site: Site, threat: Threat, t: float, episode: EpisodeView) -> list[float]:
        """One row of :data:`SIREN_FEATURES` for a call for sirens at ``site``."""
        h = self._history.get(site.id) or _SiteHistory()
        for onsets in (h.impact_onsets, h.area_onsets):
            while onsets and t - onsets[0] > MEMORY_S:
                onsets.popleft()
        if len(h.tracks) > 8:
            h.tracks = {k: v for k, v in h.tracks.items() if t - v <= RECENT_TRACKS_S}
        never = MEMORY_S / 60.0

        # Minutes, on a log scale: the first minutes after a strike tell more than the fortieth.
        def ago(when: float | None) -> float:
            return math.log1p(never if when is None else min(never, max(0.0, t - when) / 60.0))

        impact = 1.0 if threat.cue == "impact" else 0.0
        circling = 1.0 if threat.cue == "circling" else 0.0
        witnesses = min(MAX_WITNESSES, float(len(threat.witnesses)))
        area_impacts = min(5.0, float(len(h.area_onsets)))
        eta = 0.0 if threat.eta is None else min(15.0, max(0.0, threat.eta - t) / 60.0)
        return [
            threat.probability,
            impact,
            circling,
            1.0 if threat.aircraft == "jet" else 0.0,
            1.0 if threat.aircraft == "helicopter" else 0.0,
            1.0 if threat.aircraft == "drone" else 0.0,
            witnesses,
            eta,
            min(30.0, threat.distance_m / 1000.0),
            1.0 if self._vulnerable.get(site.id, False) else 0.0,
            math.log1p(min(never, episode.age_s / 60.0)),
            1.0 if episode.sirens else 0.0,
            1.0 if episode.rearmed else 0.0,
            ago(h.threatened_since) if h.threatened_since is not None else 0.0,
            min(5.0, float(sum(1 for v in h.tracks.values() if t - v <= RECENT_TRACKS_S))),
            ago(h.last_circling),
            ago(h.impact_onsets[-1] if h.impact_onsets else None),
            ago(h.area_onsets[-1] if h.area_onsets else None),
            area_impacts,
            impact * area_impacts,
            circling * witnesses,
            impact * witnesses,
            min(10.0, float(self._circled.get(threat.track, 0))) if threat.track is not None else 0.0,
            min(10.0, float(sum(1 for s in self._area.get(site.id, ()) if s in self._impact_sites))),
            *self._track_features(threat, t),
            *self._impact_features(site, t, ago),
        ]

    def _impact_features(self, site: Site, t: float, ago: Callable[[float | None], float]) -> list[float]:
        """The recent strike reports at the site: how near its centre, how many, how placed.

        Their number of distinct sources is left out: held out by region it lowered the skill
        (0.152 with it, 0.161 without; docs/benchmarks.md). The witnesses already count them.
        """
        evidence = self.impacts_at(site.id) if self.impacts_at is not None else None
        if evidence is None:
            return [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, ago(None)]
        return [
            1.0,
            math.log1p(min(20_000.0, evidence.nearest_m) / 1000.0),
            math.log1p(min(50.0, float(evidence.hits))),
            evidence.named_share,
            1.0 if evidence.acoustic else 0.0,
            1.0 if evidence.expected else 0.0,
            ago(evidence.newest_t),
        ]

    def _track_features(self, threat: Threat, t: float) -> list[float]:
        """The threat's track: how old, how lately and how well observed, how fast, by how many."""
        track = None
        if threat.track is not None and self.track_of is not None:
            track = self.track_of(threat.track)
        if track is None:
            return [0.0] * 8
        sigma_m = math.sqrt(max(0.0, 0.5 * (float(track.p[0, 0]) + float(track.p[1, 1]))))
        return [
            1.0,
            math.log1p(min(MEMORY_S, max(0.0, t - track.created)) / 60.0),
            math.log1p(min(MEMORY_S, max(0.0, t - track.last_update)) / 60.0),
            math.log1p(min(20_000.0, sigma_m) / 1000.0),
            min(3.0, math.hypot(float(track.x[2]), float(track.x[3])) / 100.0),
            min(MAX_WITNESSES, float(len(track.evidence))),
            1.0 if track.sighted else 0.0,
            float(max(track.type_probs)),
        ]
