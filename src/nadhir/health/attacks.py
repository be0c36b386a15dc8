"""The register of attacks on health care: one record per attack, with WHO SSA's fields.

An :class:`AttackRecord` holds what the Surveillance System for Attacks on Health Care (SSA)
collects about one attack: its types (several per attack), the health resources it affected,
the weapon and the reported perpetrator, staff, patients and others killed and injured, the
damage to the building (HeRAMS' scale), the services interrupted and for how long, a narrative,
and its sources. Its certainty is never set by hand: :func:`nadhir.health.certainty.certainty`
derives it from the kinds of its sources.

A record is drafted (by :mod:`nadhir.health.attack_drafts`, or by a person), then reviewed by a
health focal point: ``draft`` -> ``confirmed`` or ``rejected``. Records are values: every change
gives a new record, checked whole by :func:`check_record` before anything keeps it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, cast, get_args

from nadhir.health.certainty import Certainty, SourceKind, certainty

# SSA's types of attack (WHO, "Attacks on health care initiative: documenting the problem", and
# the SSA methodology v1.0, 2018). An attack may be of several types at once.
AttackType = Literal[
    "violence_with_heavy_weapons",
    "violence_with_individual_weapons",
    "psychological_violence",
    "obstruction_to_care",
    "assault_without_weapons",
    "sexual_assault",
    "denial_of_access",
    "armed_search",
    "removal_of_assets",
    "setting_fire",
    "militarization",
    "abduction_arrest_detention",
    "chemical_agent",
    "other",
]
ATTACK_TYPES: tuple[AttackType, ...] = get_args(AttackType)

# SSA's health resources an attack may affect.
Resource = Literal["facility", "transport", "personnel", "patients", "supplies", "warehouse"]
RESOURCES: tuple[Resource, ...] = get_args(Resource)

# HeRAMS' building condition, the same scale as a facility's status.
Damage = Literal["not_damaged", "slightly_damaged", "partially_damaged", "fully_damaged"]
DAMAGE: tuple[Damage, ...] = get_args(Damage)

Review = Literal["draft", "confirmed", "rejected"]
REVIEWS: tuple[Review, ...] = get_args(Review)

# Casualty groups SSA counts apart (published only as totals).
Group = Literal["staff", "patients", "others"]
GROUPS: tuple[Group, ...] = get_args(Group)

# Larger counts are typing mistakes, not attacks on one facility.
MAX_COUNT = 10_000
MAX_TEXT = 4000
MAX_SHORT = 200
MAX_SOURCES = 200


_T = TypeVar("_T")


class AttackError(ValueError):
    """A record, or a change to one, that cannot be kept; the message says every reason."""


class NotDraft(AttackError):
    """A change only a draft can take, asked of a record already confirmed or rejected."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where knowledge of the attack came from.

    ``ref`` identifies it (a reporter id, a sensor pair, an article): private. ``t`` is when it
    was received (POSIX seconds). ``kind`` is what the certainty rules read.
    """

    kind: SourceKind
    ref: str
    t: float | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Casualties:
    """Killed and injured in one group; None: not known (yet)."""

    killed: int | None = None
    injured: int | None = None


@dataclass(frozen=True, slots=True)
class Links:
    """What the warning pipeline knew: the alert episodes (site, start), tracks and impact reports."""

    episodes: tuple[tuple[str, float], ...] = ()
    tracks: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()  # "reporter@ISO time" or "acoustic:sensor+sensor@ISO time"
    run_id: int | None = None


@dataclass(frozen=True, slots=True)
class Facility:
    """The health facility attacked: its id, type, where it is (private) and its admin area (public)."""

    id: str
    name: str
    type: str
    lat: float
    lon: float
    country: str = "SYR"
    admin_area: str | None = None
    pcode: str | None = None


@dataclass(frozen=True, slots=True)
class AttackRecord:
    """One attack on health care (SSA's fields). ``t``: when it happened, POSIX seconds."""

    facility: Facility
    t: float
    attack_types: tuple[AttackType, ...]
    resources: tuple[Resource, ...]
    sources: tuple[Source, ...]
    weapon: str | None = None
    perpetrator: str | None = None
    casualties: Mapping[Group, Casualties] = field(default_factory=dict)
    damage: Damage | None = None
    services_interrupted: tuple[str, ...] = ()
    interruption_days: float | None = None
    narrative: str | None = None
    review: Review = "draft"
    reviewed_by: str | None = None
    review_note: str | None = None
    links: Links = Links()
    id: int | None = None

    @property
    def certainty(self) -> Certainty:
        """SSA's level of certainty, from the kinds of the sources."""
        return certainty(s.kind for s in self.sources)

    @property
    def date(self) -> str:
        """The day of the attack, UTC, ``YYYY-MM-DD``."""
        return day_of(self.t)

    def killed(self) -> int | None:
        """Everyone reported killed, over the groups whose count is known; None if none is."""
        known = [c.killed for c in self.casualties.values() if c.killed is not None]
        return sum(known) if known else None

    def injured(self) -> int | None:
        """Everyone reported injured, over the groups whose count is known; None if none is."""
        known = [c.injured for c in self.casualties.values() if c.injured is not None]
        return sum(known) if known else None


def day_of(t: float) -> str:
    """The UTC day of a POSIX time, ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(t, UTC).date().isoformat()


def _text_problem(name: str, value: object, limit: int, optional: bool = True) -> str | None:
    if value is None:
        return None if optional else f"{name} is required"
    if not isinstance(value, str):
        return f"{name} must be text"
    if optional is False and not value.strip():
        return f"{name} must not be empty"
    if len(value) > limit:
        return f"{name} is longer than {limit} characters"
    return None


def _count_problem(name: str, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{name} must be a whole number"
    if value < 0 or value > MAX_COUNT:
        return f"{name} must be between 0 and {MAX_COUNT}, not {value}"
    return None


def record_problems(record: AttackRecord) -> list[str]:
    """Every reason the record cannot be kept (empty: it can)."""
    problems: list[str] = []
    f = record.facility
    if not f.id:
        problems.append("facility id is required")
    if not (math.isfinite(f.lat) and -90 <= f.lat <= 90 and math.isfinite(f.lon) and -180 <= f.lon <= 180):
        problems.append("facility position is out of range")
    if not isinstance(record.t, (int, float)) or not math.isfinite(record.t):
        problems.append("time of the attack must be a finite time")
    if not record.attack_types:
        problems.append("at least one attack type is required")
    problems += [f"unknown attack type {a!r}" for a in record.attack_types if a not in ATTACK_TYPES]
    if len(set(record.attack_types)) != len(record.attack_types):
        problems.append("an attack type is listed twice")
    if not record.resources:
        problems.append("at least one resource affected is required")
    problems += [f"unknown resource {r!r}" for r in record.resources if r not in RESOURCES]
    if len(set(record.resources)) != len(record.resources):
        problems.append("a resource is listed twice")
    if not record.sources:
        problems.append("at least one source is required")
    if len(record.sources) > MAX_SOURCES:
        problems.append(f"more than {MAX_SOURCES} sources")
    for s in record.sources:
        if s.kind not in get_args(SourceKind):
            problems.append(f"unknown source kind {s.kind!r}")
        if p := _text_problem("source ref", s.ref, MAX_SHORT, optional=False):
            problems.append(p)
        if s.t is not None and not math.isfinite(s.t):
            problems.append("source time must be finite")
    for group, c in record.casualties.items():
        if group not in GROUPS:
            problems.append(f"unknown casualty group {group!r}")
        problems += [
            p
            for p in (
                _count_problem(f"{group} killed", c.killed),
                _count_problem(f"{group} injured", c.injured),
            )
            if p
        ]
    if record.damage is not None and record.damage not in DAMAGE:
        problems.append(f"unknown damage {record.damage!r} (one of {', '.join(DAMAGE)})")
    if record.interruption_days is not None and (
        not math.isfinite(record.interruption_days) or not 0 <= record.interruption_days <= 3650
    ):
        problems.append("interruption_days must be between 0 and 3650")
    if record.interruption_days is not None and not record.services_interrupted:
        problems.append("interruption_days given without the services interrupted")
    for name, value, limit in (
        ("weapon", record.weapon, MAX_SHORT),
        ("perpetrator", record.perpetrator, MAX_SHORT),
        ("narrative", record.narrative, MAX_TEXT),
        ("review_note", record.review_note, MAX_TEXT),
        ("reviewed_by", record.reviewed_by, MAX_SHORT),
    ):
        if p := _text_problem(name, value, limit):
            problems.append(p)
    problems += [
        p for s in record.services_interrupted if (p := _text_problem("service", s, MAX_SHORT, False))
    ]
    if record.review not in REVIEWS:
        problems.append(f"unknown review state {record.review!r}")
    return problems


def check_record(record: AttackRecord) -> AttackRecord:
    """The record itself if it can be kept; otherwise :class:`AttackError` with every reason."""
    problems = record_problems(record)
    if problems:
        raise AttackError("; ".join(problems))
    return record


def reviewed(
    record: AttackRecord, decision: Literal["confirmed", "rejected"], by: str, note: str | None
) -> AttackRecord:
    """The record after a health focal point's review. Only a draft can be reviewed."""
    if record.review != "draft":
        raise NotDraft(f"attack {record.id} is already {record.review}; only a draft can be reviewed")
    if decision not in ("confirmed", "rejected"):
        raise AttackError(f"a review confirms or rejects, not {decision!r}")
    return check_record(dataclasses.replace(record, review=decision, reviewed_by=by, review_note=note))


def with_sources(record: AttackRecord, sources: Sequence[Source], links: Links | None = None) -> AttackRecord:
    """The record with further sources (those it already has, by kind and ref, are not added twice)
    and the links of another report of the same attack joined to its own."""
    have = {(s.kind, s.ref) for s in record.sources}
    added: list[Source] = []
    for s in sources:
        if (s.kind, s.ref) not in have:
            have.add((s.kind, s.ref))
            added.append(s)
    joined = record.links
    if links is not None:
        joined = Links(
            _union(joined.episodes, links.episodes),
            _union(joined.tracks, links.tracks),
            _union(joined.reports, links.reports),
            joined.run_id if joined.run_id is not None else links.run_id,
        )
    return dataclasses.replace(record, sources=record.sources + tuple(added), links=joined)


def _union(a: tuple[_T, ...], b: tuple[_T, ...]) -> tuple[_T, ...]:
    return a + tuple(x for x in b if x not in a)


# --- JSON form: how records are kept in the store and sent by the API -------------------------


def record_to_json(record: AttackRecord) -> dict[str, Any]:
    """The whole record as JSON-ready data (private fields included; see attack_views for views)."""
    f = record.facility
    return {
        "id": record.id,
        "facility": {
            "id": f.id,
            "name": f.name,
            "type": f.type,
            "lat": f.lat,
            "lon": f.lon,
            "country": f.country,
            "admin_area": f.admin_area,
            "pcode": f.pcode,
        },
        "t": record.t,
        "attack_types": list(record.attack_types),
        "resources": list(record.resources),
        "sources": [{"kind": s.kind, "ref": s.ref, "t": s.t, "note": s.note} for s in record.sources],
        "weapon": record.weapon,
        "perpetrator": record.perpetrator,
        "casualties": {g: {"killed": c.killed, "injured": c.injured} for g, c in record.casualties.items()},
        "damage": record.damage,
        "services_interrupted": list(record.services_interrupted),
        "interruption_days": record.interruption_days,
        "narrative": record.narrative,
        "review": record.review,
        "reviewed_by": record.reviewed_by,
        "review_note": record.review_note,
        "links": {
            "episodes": [[site, start] for site, start in record.links.episodes],
            "tracks": list(record.links.tracks),
            "reports": list(record.links.reports),
            "run_id": record.links.run_id,
        },
    }


def _texts(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise TypeError(f"{name} must be a list of text")
    return tuple(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def record_from_json(data: Mapping[str, Any], id: int | None = None) -> AttackRecord:
    """A record from its JSON form; :class:`AttackError` if it is malformed (not checked further:
    call :func:`check_record`)."""
    try:
        f = data["facility"]
        links = data.get("links") or {}
        record = AttackRecord(
            facility=Facility(
                str(f["id"]),
                str(f.get("name") or f["id"]),
                str(f.get("type") or "hospital"),
                float(f["lat"]),
                float(f["lon"]),
                str(f.get("country") or "SYR"),
                f.get("admin_area"),
                f.get("pcode"),
            ),
            t=float(data["t"]),
            attack_types=cast(tuple[AttackType, ...], _texts(data["attack_types"], "attack_types")),
            resources=cast(tuple[Resource, ...], _texts(data["resources"], "resources")),
            sources=tuple(
                Source(s["kind"], s["ref"], None if s.get("t") is None else float(s["t"]), s.get("note"))
                for s in data["sources"]
            ),
            weapon=data.get("weapon"),
            perpetrator=data.get("perpetrator"),
            casualties={
                cast(Group, g): Casualties(c.get("killed"), c.get("injured"))
                for g, c in (data.get("casualties") or {}).items()
            },
            damage=data.get("damage"),
            services_interrupted=_texts(data.get("services_interrupted") or [], "services_interrupted"),
            interruption_days=_opt_float(data.get("interruption_days")),
            narrative=data.get("narrative"),
            review=data.get("review", "draft"),
            reviewed_by=data.get("reviewed_by"),
            review_note=data.get("review_note"),
            links=Links(
                tuple((str(site), float(start)) for site, start in links.get("episodes") or ()),
                tuple(str(x) for x in links.get("tracks") or ()),
                tuple(str(x) for x in links.get("reports") or ()),
                links.get("run_id"),
            ),
            id=id if id is not None else data.get("id"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AttackError(f"malformed attack record: {type(exc).__name__}: {exc}") from None
    return record
