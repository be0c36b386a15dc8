"""Score a warning system's alerts (and tracks) for one scenario against its truth.

This is the "Scoring" section of ``docs/scenario-format.md``; the shared
reference scorer (``../shared/tools/score_scenario.py``) is its definition and
this module agrees with it metric for metric.

* Every true strike pairs with every site whose area contains it.
* A pair is *warned* when an episode for that site is open at the strike time;
  its lead is the strike time minus the episode's start, capped at 30 min.
  The *oracle* lead starts at the striking aircraft's take-off instead.
* The *siren* lead starts at the episode's first ``imminent`` line.
* An episode is a *false alarm* when no strike falls within 1.5 km of the
  site's area between its start and 10 min after its end.
* Alert- and imminent-minutes are divided by sites x scenario hours.
* With tracks, OSPA (c = 10 km, p = 2) against the true aircraft positions,
  averaged over a 10 s grid.

Episodes: an ``alert`` (or a stray ``update``) for a site with none open starts
one; ``update`` and repeated ``alert`` continue it; ``all_clear`` ends it; it
also ends 20 min after its last ``alert``/``update``; it is cut at the
scenario's end. A line without a ``level`` counts as ``imminent``.

Malformed alert and track lines are skipped, counted and reported, never fatal.
"""

from __future__ import annotations

import bisect
import gzip
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from scipy.optimize import linear_sum_assignment

from nadhir.domain import Problems, Site
from nadhir.domain.formats.scenario import ScenarioError, load_sites
from nadhir.domain.timefmt import parse_time
from nadhir.geo.distance import EARTH_RADIUS_M, haversine_m

LEAD_CAP_S = 30 * 60.0  # a longer warning earns no more
SIREN_MIN_LEAD_S = 60.0  # an imminent warning this early lets people reach shelter
FALSE_ALARM_GRACE_S = 10 * 60.0  # a strike this soon after an episode still justifies it
FALSE_ALARM_MARGIN_M = 1500.0  # a strike this close to a site's area still justifies its warning
STALE_EPISODE_S = 20 * 60.0  # an episode without all_clear ends this long after its last alert/update
OSPA_C_M = 10_000.0
OSPA_P = 2
OSPA_STEP_S = 10.0
TRACK_MAX_AGE_S = 10.0  # a track state older than this at a scored time does not count
METRES_PER_DEGREE = 111_320.0  # dead reckoning, as in the reference scorer
LISTED_PROBLEMS = 20  # the report lists this many problems; it counts them all

ALERT_ACTIONS = ("alert", "update", "all_clear")
ALERT_LEVELS = ("early", "imminent")

# The report's keys, in the reference scorer's order.
REPORT_KEYS = (
    "strike_site_pairs",
    "warned_share",
    "lead_time_p50_s",
    "lead_time_p10_s",
    "oracle_lead_p50_s",
    "lead_vs_oracle",
    "oracle_alert_minutes_per_site_hour",
    "siren_lead_p50_s",
    "siren_lead_p10_s",
    "siren_warned_60s_share",
    "episodes",
    "false_alarm_share",
    "imminent_episodes",
    "imminent_false_alarm_share",
    "imminent_minutes_per_site_hour",
    "alert_minutes_per_site_hour",
    "ospa_m",
    "strikes",
    "scenario_hours",
    "malformed_lines",
    "problems",
    "sites",
)


class ScoreInputError(Exception):
    """An input the score cannot do without is missing or unusable (folder, sites, truth, alerts)."""


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Strike:
    t: float
    lat: float
    lon: float
    aircraft: str | None


@dataclass(frozen=True, slots=True)
class AircraftPath:
    """One true aircraft: its path sorted by time."""

    id: str
    times: tuple[float, ...]
    points: tuple[tuple[float, float], ...]  # (lat, lon)

    @property
    def takeoff(self) -> float:
        return self.times[0]

    def position_at(self, t: float) -> tuple[float, float] | None:
        """Linearly interpolated (lat, lon), or None outside the path's time."""
        if not self.times or t < self.times[0] or t > self.times[-1]:
            return None
        i = bisect.bisect_right(self.times, t)
        if i >= len(self.times):
            return self.points[-1]
        (lat0, lon0), (lat1, lon1) = self.points[i - 1], self.points[i]
        f = (t - self.times[i - 1]) / max(1e-9, self.times[i] - self.times[i - 1])
        return lat0 + f * (lat1 - lat0), lon0 + f * (lon1 - lon0)


@dataclass(frozen=True, slots=True)
class Truth:
    strikes: tuple[Strike, ...]
    aircraft: tuple[AircraftPath, ...]
    start: float
    end: float

    @property
    def hours(self) -> float:
        return max(1e-9, (self.end - self.start) / 3600.0)


@dataclass(frozen=True, slots=True)
class AlertLine:
    t: float
    line_no: int
    action: str
    site: str
    level: str


@dataclass(frozen=True, slots=True)
class Episode:
    """One site's warning from its first line to its end (already cut at the scenario's end)."""

    site: str
    start: float
    end: float
    imminent_start: float | None  # first moment at level "imminent", if it got there

    @property
    def imminent_s(self) -> float:
        return 0.0 if self.imminent_start is None else self.end - self.imminent_start


@dataclass(slots=True)
class _OpenEpisode:
    site: str
    start: float
    last_activity: float
    end: float | None = None
    imminent_start: float | None = None

    def closed(self, span_end: float) -> Episode:
        end = self.last_activity + STALE_EPISODE_S if self.end is None else self.end
        end = min(end, max(span_end, self.start))
        imminent = self.imminent_start
        if imminent is not None and imminent > end:
            imminent = None
        return Episode(self.site, self.start, end, imminent)


@dataclass(frozen=True, slots=True)
class TrackFix:
    """One line of tracks.jsonl, as needed for OSPA."""

    t: float
    lat: float
    lon: float
    speed_mps: float
    heading_deg: float

    def dead_reckoned(self, t: float) -> tuple[float, float]:
        dist = self.speed_mps * (t - self.t)
        heading = math.radians(self.heading_deg)
        lat = self.lat + dist * math.cos(heading) / METRES_PER_DEGREE
        # The reference scales longitude by the cosine of the *moved* latitude.
        lon = self.lon + dist * math.sin(heading) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
        return lat, lon


@dataclass(frozen=True, slots=True)
class PairScore:
    """One strike-site pair."""

    site: str
    lead_s: float | None  # None when unwarned
    siren_lead_s: float | None
    oracle_lead_s: float


@dataclass(frozen=True, slots=True)
class SiteScore:
    name: str
    kind: str
    strike_site_pairs: int
    warned: int
    episodes: int
    false_alarms: int
    alert_minutes: float  # rounded to 0.1

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "strike_site_pairs": self.strike_site_pairs,
            "warned": self.warned,
            "episodes": self.episodes,
            "false_alarms": self.false_alarms,
            "alert_minutes": self.alert_minutes,
        }


@dataclass(frozen=True, slots=True)
class ScoreTotals:
    """The raw counts and sums behind a report's metrics; what :func:`combine` adds up."""

    strikes: int
    site_count: int
    hours: float
    site_hours: float  # sites x hours, summed over scenarios when combined (not their product)
    leads_s: tuple[float, ...]  # one per strike-site pair; 0 when unwarned
    siren_leads_s: tuple[float, ...]
    oracle_leads_s: tuple[float, ...]
    warned_pairs: int
    episodes: int
    false_alarms: int
    imminent_episodes: int
    imminent_false_alarms: int
    alert_s: float
    imminent_s: float
    ospa_sum_m: float = 0.0
    ospa_samples: int = 0
    with_tracks: bool = False

    def __add__(self, other: ScoreTotals) -> ScoreTotals:
        return ScoreTotals(
            strikes=self.strikes + other.strikes,
            site_count=self.site_count + other.site_count,
            hours=self.hours + other.hours,
            site_hours=self.site_hours + other.site_hours,
            leads_s=self.leads_s + other.leads_s,
            siren_leads_s=self.siren_leads_s + other.siren_leads_s,
            oracle_leads_s=self.oracle_leads_s + other.oracle_leads_s,
            warned_pairs=self.warned_pairs + other.warned_pairs,
            episodes=self.episodes + other.episodes,
            false_alarms=self.false_alarms + other.false_alarms,
            imminent_episodes=self.imminent_episodes + other.imminent_episodes,
            imminent_false_alarms=self.imminent_false_alarms + other.imminent_false_alarms,
            alert_s=self.alert_s + other.alert_s,
            imminent_s=self.imminent_s + other.imminent_s,
            ospa_sum_m=self.ospa_sum_m + other.ospa_sum_m,
            ospa_samples=self.ospa_samples + other.ospa_samples,
            with_tracks=self.with_tracks or other.with_tracks,
        )


@dataclass(frozen=True)
class ScoreReport:
    """One scenario's score. :meth:`as_dict` gives exactly the reference scorer's keys;
    each key is also an attribute. ``totals`` keeps the raw sums for :func:`combine`.
    """

    totals: ScoreTotals
    problems: tuple[str, ...]  # every problem; the dict form lists the first 20
    sites: dict[str, SiteScore]

    @property
    def strike_site_pairs(self) -> int:
        return len(self.totals.leads_s)

    @property
    def warned_share(self) -> float | None:
        return _share(self.totals.warned_pairs, self.strike_site_pairs)

    @property
    def lead_time_p50_s(self) -> float | None:
        return percentile(self.totals.leads_s, 50)

    @property
    def lead_time_p10_s(self) -> float | None:
        return percentile(self.totals.leads_s, 10)

    @property
    def oracle_lead_p50_s(self) -> float | None:
        return percentile(self.totals.oracle_leads_s, 50)

    @property
    def lead_vs_oracle(self) -> float | None:
        oracle = sum(self.totals.oracle_leads_s)
        return sum(self.totals.leads_s) / oracle if oracle > 0 else None

    @property
    def oracle_alert_minutes_per_site_hour(self) -> float | None:
        return self._per_site_hour(sum(self.totals.oracle_leads_s))

    @property
    def siren_lead_p50_s(self) -> float | None:
        return percentile(self.totals.siren_leads_s, 50)

    @property
    def siren_lead_p10_s(self) -> float | None:
        return percentile(self.totals.siren_leads_s, 10)

    @property
    def siren_warned_60s_share(self) -> float | None:
        enough = sum(1 for lead in self.totals.siren_leads_s if lead >= SIREN_MIN_LEAD_S)
        return _share(enough, self.strike_site_pairs)

    @property
    def episodes(self) -> int:
        return self.totals.episodes

    @property
    def false_alarm_share(self) -> float | None:
        return _share(self.totals.false_alarms, self.totals.episodes)

    @property
    def imminent_episodes(self) -> int:
        return self.totals.imminent_episodes

    @property
    def imminent_false_alarm_share(self) -> float | None:
        return _share(self.totals.imminent_false_alarms, self.totals.imminent_episodes)

    @property
    def imminent_minutes_per_site_hour(self) -> float | None:
        return self._per_site_hour(self.totals.imminent_s)

    @property
    def alert_minutes_per_site_hour(self) -> float | None:
        return self._per_site_hour(self.totals.alert_s)

    @property
    def ospa_m(self) -> float | None:
        if not self.totals.with_tracks:
            return None
        samples = self.totals.ospa_samples
        return self.totals.ospa_sum_m / samples if samples else 0.0

    @property
    def strikes(self) -> int:
        return self.totals.strikes

    @property
    def scenario_hours(self) -> float:
        return round(self.totals.hours, 3)

    @property
    def malformed_lines(self) -> int:
        return len(self.problems)

    def _per_site_hour(self, seconds: float) -> float | None:
        if not self.totals.site_count:
            return None
        return seconds / 60.0 / self.totals.site_hours

    def as_dict(self) -> dict[str, Any]:
        """The report as the reference scorer's result: same keys, same order."""
        out: dict[str, Any] = {key: getattr(self, key) for key in REPORT_KEYS}
        out["problems"] = list(self.problems[:LISTED_PROBLEMS])
        out["sites"] = {site_id: row.as_dict() for site_id, row in self.sites.items()}
        return out


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation percentile (q in 0..100); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


# ---------------------------------------------------------------- site areas


def site_contains(site: Site, lat: float, lon: float, margin_m: float = 0.0) -> bool:
    """True when (lat, lon) lies in the site's area grown by ``margin_m``."""
    if site.polygon is not None:
        return _point_in_ring(lat, lon, site.polygon) or (
            margin_m > 0 and _distance_to_ring_m(lat, lon, site.polygon) <= margin_m
        )
    return haversine_m(site.lat, site.lon, lat, lon) <= site.radius_m + margin_m


def _point_in_ring(lat: float, lon: float, ring: Sequence[tuple[float, float]]) -> bool:
    """Ray casting over a ring of (lon, lat)."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _distance_to_ring_m(lat: float, lon: float, ring: Sequence[tuple[float, float]]) -> float:
    """Distance from a point to a ring's edges in metres (local flat approximation)."""
    m = EARTH_RADIUS_M * math.pi / 180.0
    k = math.cos(math.radians(lat)) * m
    best = math.inf
    for (lon1, lat1), (lon2, lat2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        ax, ay = (lon1 - lon) * k, (lat1 - lat) * m
        dx, dy = (lon2 - lon) * k - ax, (lat2 - lat) * m - ay
        f = 0.0 if dx == dy == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(ax + f * dx, ay + f * dy))
    return best


# ---------------------------------------------------------------- reading


def _open_text(path: Path) -> TextIO:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_json_objects(path: Path, problems: Problems, label: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_no, object)`` for each JSON object line; record the rest in ``problems``."""
    with _open_text(path) as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                problems.add(label, line_no, "not JSON")
                continue
            if not isinstance(obj, dict):
                problems.add(label, line_no, "not an object")
                continue
            yield line_no, obj


def _finite(value: Any) -> float:
    out = float(value)
    if not math.isfinite(out):
        raise ValueError("not a finite number")
    return out


def load_truth(scenario_dir: Path) -> Truth:
    """Strikes, aircraft paths and the scenario's time span from ``truth.json``."""
    path = scenario_dir / "truth.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        strikes = tuple(_strike(s) for s in raw.get("strikes") or [])
        aircraft = tuple(_aircraft(a) for a in raw.get("aircraft") or [])
        start, end = _scenario_span(scenario_dir, raw.get("meta") or {}, strikes, aircraft)
    except OSError as exc:
        raise ScoreInputError(f"{path}: cannot read truth ({exc})") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ScoreInputError(f"{path}: unusable truth ({type(exc).__name__}: {exc})") from exc
    return Truth(strikes, aircraft, start, end)


def _strike(raw: dict[str, Any]) -> Strike:
    aircraft = raw.get("aircraft")
    return Strike(
        parse_time(raw["t"]),
        _finite(raw["lat"]),
        _finite(raw["lon"]),
        None if aircraft is None else str(aircraft),
    )


def _aircraft(raw: dict[str, Any]) -> AircraftPath:
    points = sorted(
        ((parse_time(p["t"]), _finite(p["lat"]), _finite(p["lon"])) for p in raw.get("path") or []),
        key=lambda p: p[0],
    )
    return AircraftPath(
        id=str(raw["id"]),
        times=tuple(p[0] for p in points),
        points=tuple((p[1], p[2]) for p in points),
    )


def _scenario_span(
    scenario_dir: Path, meta: dict[str, Any], strikes: Sequence[Strike], aircraft: Sequence[AircraftPath]
) -> tuple[float, float]:
    """Truth's meta start/end if given, else every time in the events and the truth."""
    if "start" in meta and "end" in meta:
        return parse_time(meta["start"]), parse_time(meta["end"])
    times = list(_event_times(scenario_dir))
    for ac in aircraft:
        times.extend(ac.times)
    times.extend(s.t for s in strikes)
    if not times:
        raise ValueError("cannot tell the scenario's time span")
    return min(times), max(times)


def _event_times(scenario_dir: Path) -> Iterator[float]:
    for name in ("events.jsonl", "events.jsonl.gz"):
        path = scenario_dir / name
        if path.exists():
            for _, obj in read_json_objects(path, Problems(), name):
                try:
                    yield parse_time(obj.get("t"))
                except (ValueError, TypeError):
                    continue
            return


def read_alert_lines(path: Path, site_ids: set[str], problems: Problems) -> list[AlertLine]:
    """The usable lines of ``alerts.jsonl``; bad ones are recorded and skipped."""
    lines: list[AlertLine] = []
    for line_no, obj in read_json_objects(path, problems, "alerts"):
        try:
            t = parse_time(obj["t"])
            action, site = obj["action"], obj["site"]
            level = obj.get("level") or "imminent"
        except (KeyError, ValueError, TypeError) as exc:
            problems.add("alerts", line_no, f"bad or missing field ({exc})")
            continue
        if not isinstance(action, str) or action not in ALERT_ACTIONS:
            problems.add("alerts", line_no, f"unknown action {action!r}")
        elif not isinstance(site, str) or site not in site_ids:
            problems.add("alerts", line_no, f"unknown site {site!r}")
        elif not isinstance(level, str) or level not in ALERT_LEVELS:
            problems.add("alerts", line_no, f"unknown level {level!r}")
        else:
            lines.append(AlertLine(t, line_no, action, site, level))
    return lines


def read_track_fixes(path: Path, problems: Problems) -> dict[str, list[TrackFix]]:
    """Each track's states from ``tracks.jsonl``, sorted by time; bad lines are recorded and skipped."""
    fixes: dict[str, list[TrackFix]] = {}
    for line_no, obj in read_json_objects(path, problems, "tracks"):
        try:
            fix = TrackFix(
                t=parse_time(obj["t"]),
                lat=_finite(obj["lat"]),
                lon=_finite(obj["lon"]),
                speed_mps=_finite(obj.get("speed_mps") or 0.0),
                heading_deg=_finite(obj.get("heading_deg") or 0.0),
            )
            track = str(obj["track"])
        except (KeyError, ValueError, TypeError) as exc:
            problems.add("tracks", line_no, f"bad or missing field ({exc})")
            continue
        fixes.setdefault(track, []).append(fix)
    for seq in fixes.values():
        # Same tie-break as the reference: equal times order by position.
        seq.sort(key=lambda f: (f.t, f.lat, f.lon, f.speed_mps, f.heading_deg))
    return fixes


# ---------------------------------------------------------------- episodes


def build_episodes(lines: Iterable[AlertLine], span_end: float) -> list[Episode]:
    """Fold alert lines, in time order, into per-site episodes (in order of their start)."""
    started: list[_OpenEpisode] = []
    open_by_site: dict[str, _OpenEpisode] = {}
    for line in sorted(lines, key=lambda a: (a.t, a.line_no)):
        ep = open_by_site.get(line.site)
        if ep is not None and line.t > ep.last_activity + STALE_EPISODE_S:
            ep.end = ep.last_activity + STALE_EPISODE_S  # went stale before this line
            del open_by_site[line.site]
            ep = None
        if line.action == "all_clear":
            if ep is not None:
                ep.end = line.t
                del open_by_site[line.site]
            continue
        if ep is None:
            ep = _OpenEpisode(line.site, start=line.t, last_activity=line.t)
            open_by_site[line.site] = ep
            started.append(ep)
        ep.last_activity = line.t
        if line.level == "imminent" and ep.imminent_start is None:
            ep.imminent_start = line.t
    return [ep.closed(span_end) for ep in started]


# ---------------------------------------------------------------- pairs and false alarms


def strike_site_pairs(strikes: Sequence[Strike], sites: Sequence[Site]) -> list[tuple[Strike, Site]]:
    """Every strike with every site whose area contains it."""
    return [(s, site) for s in strikes for site in sites if site_contains(site, s.lat, s.lon)]


def score_pair(
    strike: Strike, site: Site, episodes: Sequence[Episode], takeoffs: dict[str, float]
) -> PairScore:
    """Lead, siren lead and oracle lead of one strike-site pair (episodes are that site's)."""
    lead: float | None = None
    siren: float | None = None
    for ep in episodes:
        if not ep.start <= strike.t <= ep.end:
            continue
        lead = max(lead or 0.0, min(LEAD_CAP_S, strike.t - ep.start))
        if ep.imminent_start is not None and ep.imminent_start <= strike.t:
            siren = max(siren or 0.0, min(LEAD_CAP_S, strike.t - ep.imminent_start))
    takeoff = takeoffs.get(strike.aircraft, strike.t) if strike.aircraft is not None else strike.t
    oracle = min(LEAD_CAP_S, max(0.0, strike.t - takeoff))
    return PairScore(site.id, lead, siren, oracle)


def justifying_strike_times(strikes: Sequence[Strike], site: Site) -> list[float]:
    """Times of the strikes that would justify a warning for ``site`` (area + 1.5 km)."""
    return [s.t for s in strikes if site_contains(site, s.lat, s.lon, FALSE_ALARM_MARGIN_M)]


def is_false_alarm(start: float, end: float, strike_times: Sequence[float]) -> bool:
    """No justifying strike from ``start`` to 10 min after ``end``."""
    return not any(start <= t <= end + FALSE_ALARM_GRACE_S for t in strike_times)


# ---------------------------------------------------------------- OSPA


def ospa(xs: Sequence[tuple[float, float]], ys: Sequence[tuple[float, float]]) -> float:
    """OSPA distance (c = 10 km, p = 2) between two sets of (lat, lon)."""
    if len(xs) > len(ys):
        xs, ys = ys, xs
    m, n = len(xs), len(ys)
    if n == 0:
        return 0.0
    if m == 0:
        return OSPA_C_M
    cost = np.array([[min(OSPA_C_M, haversine_m(a[0], a[1], b[0], b[1])) ** OSPA_P for b in ys] for a in xs])
    rows, cols = linear_sum_assignment(cost)
    total = float(cost[rows, cols].sum()) + OSPA_C_M**OSPA_P * (n - m)
    return float((total / n) ** (1.0 / OSPA_P))


def latest_fix(seq: Sequence[TrackFix], t: float) -> TrackFix | None:
    """A track's latest state at or before ``t``, if at most 10 s old (time-sorted ``seq``)."""
    i = bisect.bisect_right(seq, t, key=lambda f: f.t) - 1
    return seq[i] if i >= 0 and t - seq[i].t <= TRACK_MAX_AGE_S else None


def track_positions_at(tracks: dict[str, list[TrackFix]], t: float) -> list[tuple[float, float]]:
    """Every track's latest state at most 10 s old at ``t``, dead-reckoned to ``t``."""
    return [fix.dead_reckoned(t) for seq in tracks.values() if (fix := latest_fix(seq, t)) is not None]


def ospa_samples(tracks: dict[str, list[TrackFix]], truth: Truth) -> list[float]:
    """OSPA at each 10 s step of the scenario where either set is non-empty."""
    values: list[float] = []
    t = truth.start
    while t <= truth.end:  # accumulated like the reference, so the grid matches exactly
        estimates = track_positions_at(tracks, t)
        truths = [p for ac in truth.aircraft if (p := ac.position_at(t)) is not None]
        if estimates or truths:
            values.append(ospa(estimates, truths))
        t += OSPA_STEP_S
    return values


# ---------------------------------------------------------------- scoring


def score(scenario_dir: Path, alerts_path: Path, tracks_path: Path | None = None) -> ScoreReport:
    """Score one scenario's alerts (and, with ``tracks_path``, tracks) against its truth.

    Raises :class:`ScoreInputError` when the scenario folder, its sites or truth,
    or the alerts file cannot be used. Bad alert or track lines (and sites the
    reader skipped) only become problems, counted in ``malformed_lines``.
    """
    scenario_dir, alerts_path = Path(scenario_dir), Path(alerts_path)
    if not scenario_dir.is_dir():
        raise ScoreInputError(f"{scenario_dir}: no such scenario folder")
    problems = Problems()
    sites = _load_sites(scenario_dir, problems)
    truth = load_truth(scenario_dir)
    if not alerts_path.is_file():
        raise ScoreInputError(f"{alerts_path}: no such alerts file")

    episodes = build_episodes(read_alert_lines(alerts_path, {s.id for s in sites}, problems), truth.end)
    by_site: dict[str, list[Episode]] = {s.id: [] for s in sites}
    for ep in episodes:
        by_site[ep.site].append(ep)

    takeoffs = {ac.id: ac.takeoff for ac in truth.aircraft if ac.times}
    pairs = [
        score_pair(strike, site, by_site[site.id], takeoffs)
        for strike, site in strike_site_pairs(truth.strikes, sites)
    ]
    justifying = {s.id: justifying_strike_times(truth.strikes, s) for s in sites}
    false_alarms = [ep for ep in episodes if is_false_alarm(ep.start, ep.end, justifying[ep.site])]
    imminent = [ep for ep in episodes if ep.imminent_start is not None]
    imminent_false = [
        ep
        for ep in imminent
        if ep.imminent_start is not None and is_false_alarm(ep.imminent_start, ep.end, justifying[ep.site])
    ]

    ospa_values: list[float] | None = None  # None: no tracks to score
    if tracks_path is not None and Path(tracks_path).is_file():
        ospa_values = ospa_samples(read_track_fixes(Path(tracks_path), problems), truth)
    elif tracks_path is not None:
        problems.add("tracks", 0, f"no file {tracks_path}")

    totals = ScoreTotals(
        strikes=len(truth.strikes),
        site_count=len(sites),
        hours=truth.hours,
        site_hours=len(sites) * truth.hours,
        leads_s=tuple(p.lead_s or 0.0 for p in pairs),
        siren_leads_s=tuple(p.siren_lead_s or 0.0 for p in pairs),
        oracle_leads_s=tuple(p.oracle_lead_s for p in pairs),
        warned_pairs=sum(1 for p in pairs if p.lead_s is not None),
        episodes=len(episodes),
        false_alarms=len(false_alarms),
        imminent_episodes=len(imminent),
        imminent_false_alarms=len(imminent_false),
        alert_s=sum(ep.end - ep.start for ep in episodes),
        imminent_s=sum(ep.imminent_s for ep in imminent),
        ospa_sum_m=sum(ospa_values or ()),
        ospa_samples=len(ospa_values or ()),
        with_tracks=ospa_values is not None,
    )
    rows = {s.id: _site_score(s, pairs, by_site[s.id], false_alarms) for s in sites}
    return ScoreReport(totals, tuple(_problem_text(p.source, p.line, p.reason) for p in problems.items), rows)


def _load_sites(scenario_dir: Path, problems: Problems) -> list[Site]:
    path = scenario_dir / "sites.geojson"
    if not path.is_file():
        raise ScoreInputError(f"{scenario_dir}: no sites.geojson")
    try:
        return load_sites(path, problems)
    except ScenarioError as exc:
        raise ScoreInputError(str(exc)) from exc


def _site_score(
    site: Site, pairs: Sequence[PairScore], episodes: Sequence[Episode], false_alarms: Sequence[Episode]
) -> SiteScore:
    mine = [p for p in pairs if p.site == site.id]
    return SiteScore(
        name=site.name,
        kind=site.kind,
        strike_site_pairs=len(mine),
        warned=sum(1 for p in mine if p.lead_s is not None),
        episodes=len(episodes),
        false_alarms=sum(1 for ep in false_alarms if ep.site == site.id),
        alert_minutes=round(sum(ep.end - ep.start for ep in episodes) / 60.0, 1),
    )


def _problem_text(source: str, line: int, reason: str) -> str:
    return f"{source}:{line}: {reason}" if line else f"{source}: {reason}"


# ---------------------------------------------------------------- several scenarios


def combine(reports: Sequence[ScoreReport]) -> dict[str, Any]:
    """Metrics over several scenarios together: counts and sums are added, then divided.

    Shares are over all pairs or episodes; lead/oracle is total lead over total
    oracle lead; per-site-hour rates are weighted by each scenario's sites x
    hours; percentiles are over the pooled pairs; OSPA is the mean over every
    scored time of the scenarios that had tracks.
    """
    if not reports:
        raise ValueError("nothing to combine")
    totals = reports[0].totals
    for report in reports[1:]:
        totals = totals + report.totals
    problems = tuple(p for report in reports for p in report.problems)
    pooled = ScoreReport(totals, problems, {})
    out: dict[str, Any] = {"scenarios": len(reports)}
    out.update({k: v for k, v in pooled.as_dict().items() if k not in ("problems", "sites")})
    out["site_hours"] = totals.site_hours
    return out


# ---------------------------------------------------------------- output


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def _pct(value: float | None) -> str:
    return _fmt(None if value is None else 100 * value, " %")


def format_summary(report: ScoreReport | dict[str, Any]) -> str:
    """A human summary: headline metrics, skipped lines, then sites with pairs or episodes.

    Takes a report, or a dict with the report's keys (such as :func:`combine`'s).
    """
    r = report.as_dict() if isinstance(report, ScoreReport) else report
    lines = [
        f"strikes: {r['strikes']}   strike-site pairs: {r['strike_site_pairs']}   "
        f"scenario: {r['scenario_hours']} h",
        f"warned share:          {_pct(r['warned_share'])}",
        f"lead time p50 / p10:   {_fmt(r['lead_time_p50_s'], ' s', 0)} / "
        f"{_fmt(r['lead_time_p10_s'], ' s', 0)}",
        f"oracle lead p50:       {_fmt(r['oracle_lead_p50_s'], ' s', 0)}   "
        f"lead/oracle: {_fmt(r['lead_vs_oracle'], '', 2)}",
        f"episodes:              {r['episodes']}  (false alarms {_pct(r['false_alarm_share'])})",
        f"imminent (sirens):     warned >= 60 s {_pct(r['siren_warned_60s_share'])}   lead p50 / p10 "
        f"{_fmt(r['siren_lead_p50_s'], ' s', 0)} / {_fmt(r['siren_lead_p10_s'], ' s', 0)}",
        f"                       episodes {r['imminent_episodes']} "
        f"(false alarms {_pct(r['imminent_false_alarm_share'])})   "
        f"minutes/site/hour {_fmt(r['imminent_minutes_per_site_hour'], '', 2)}",
        f"alert-min/site/hour:   {_fmt(r['alert_minutes_per_site_hour'], '', 2)}   "
        f"(oracle {_fmt(r['oracle_alert_minutes_per_site_hour'], '', 2)})",
        f"OSPA (c=10 km, p=2):   {_fmt(r['ospa_m'], ' m', 0)}",
    ]
    if r["malformed_lines"]:
        lines.append(f"skipped lines:         {r['malformed_lines']}")
        lines.extend(f"  {p}" for p in r.get("problems", []))
    sites = {
        k: s for k, s in sorted((r.get("sites") or {}).items()) if s["strike_site_pairs"] or s["episodes"]
    }
    if sites:
        lines.append("")
        lines.append(
            f"{'site':<28}{'kind':<10}{'pairs':>6}{'warned':>7}{'episodes':>9}{'false':>6}{'alert-min':>10}"
        )
        lines.extend(
            f"{site_id:<28}{s['kind']:<10}{s['strike_site_pairs']:>6}{s['warned']:>7}"
            f"{s['episodes']:>9}{s['false_alarms']:>6}{s['alert_minutes']:>10}"
            for site_id, s in sites.items()
        )
    return "\n".join(lines)


def to_json(report: ScoreReport) -> str:
    """One JSON object with the reference scorer's keys."""
    return json.dumps(report.as_dict(), ensure_ascii=False)


def score_summary(scenario_dir: Path, alerts_path: Path, tracks_path: Path | None = None) -> str:
    """The printed summary of :func:`score` (``nadhir demo`` finds this through the
    ``nadhir.scoring`` entry point, so that the product needs no import of the lab)."""
    return format_summary(score(scenario_dir, alerts_path, tracks_path))
