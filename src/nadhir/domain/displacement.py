"""Displacement sites' records: one time-stamped update of a site's figures, as IOM DTM assesses them.

A site's register is the list of its updates; none is ever overwritten, so trends show. The fields
follow the DTM site assessment (Site Management, Demographics, Shelter, WASH):

- who and where: ``site_id``, ``name`` / ``name_ar``, ``lat`` / ``lon``, ``type`` (one of
  :data:`SITE_TYPES`), ``managing_agency``, ``admin_area`` and its ``pcode``;
- people: ``households``, ``individuals``, and the ``movements`` since the last update
  (arrivals and departures, each with its date and place of origin or destination);
- shelter: ``tents``, ``tents_flooded`` (damaged or flooded: DTM counts them together as tents
  that no longer keep weather out), ``covered_area_m2``;
- WASH: ``latrines_working``, ``showers_working``, ``water_litres_per_day`` supplied,
  ``water_points``.

A figure not reported is ``None`` (unknown), never 0: 0 latrines is a fact, not a gap in the form.
Lives in the domain so that the store keeps it and the shelters room computes on it without either
importing the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

SiteType = Literal["planned-camp", "self-settled-camp", "collective-centre", "reception-centre"]
SITE_TYPES: tuple[SiteType, ...] = get_args(SiteType)

MovementKind = Literal["arrival", "departure"]

# Ceilings that catch a slipped digit, not real limits: the largest camp in the world holds
# fewer than a million people.
MAX_PEOPLE = 2_000_000
MAX_COUNT = 1_000_000
MAX_WATER_L = 1e9
MAX_AREA_M2 = 1e8
MAX_TEXT = 200


class SiteRecordError(ValueError):
    """A site update that cannot be kept; the text names the field and why."""


def _count(value: int | None, name: str, hi: int = MAX_COUNT) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise SiteRecordError(f"{name}: must be a whole number, not {type(value).__name__}")
    if not 0 <= value <= hi:
        raise SiteRecordError(f"{name}: must be between 0 and {hi} (got {value})")


def _amount(value: float | None, name: str, hi: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SiteRecordError(f"{name}: must be a finite number")
    if not 0 <= value <= hi:
        raise SiteRecordError(f"{name}: must be between 0 and {hi:g} (got {value:g})")


def _text(value: str | None, name: str, required: bool = False) -> None:
    if value is None or value == "":
        if required:
            raise SiteRecordError(f"{name}: required")
        return
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise SiteRecordError(f"{name}: must be text of at most {MAX_TEXT} characters")


@dataclass(frozen=True, slots=True)
class Movement:
    """People who arrived at (or left) a site on a day, from (or to) a place."""

    kind: MovementKind
    on: float  # POSIX seconds of the day (or moment) they moved
    individuals: int
    place: str | None = None  # where they came from (arrival) or went (departure)
    lat: float | None = None  # that place's position, when known (links arrivals to strikes)
    lon: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in get_args(MovementKind):
            raise SiteRecordError(f"movement kind: must be arrival or departure (got {self.kind!r})")
        _amount(self.on, "movement date", 4.1e9)
        _count(self.individuals, "movement individuals", MAX_PEOPLE)
        _text(self.place, "movement place")
        if (self.lat is None) != (self.lon is None):
            raise SiteRecordError("movement place: give both lat and lon, or neither")
        if self.lat is not None and self.lon is not None:
            _position(self.lat, self.lon)


def _position(lat: float, lon: float) -> None:
    for value, name, hi in ((lat, "lat", 90.0), (lon, "lon", 180.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise SiteRecordError(f"{name}: must be a finite number")
        if not -hi <= value <= hi:
            raise SiteRecordError(f"{name}: must be between {-hi:g} and {hi:g} (got {value:g})")


@dataclass(frozen=True, slots=True)
class SiteUpdate:
    """A displacement site's figures as of ``updated`` (POSIX seconds). Valid by construction."""

    site_id: str
    name: str
    type: SiteType
    lat: float
    lon: float
    updated: float
    name_ar: str | None = None
    managing_agency: str | None = None
    admin_area: str | None = None
    pcode: str | None = None
    households: int | None = None
    individuals: int | None = None
    tents: int | None = None
    tents_flooded: int | None = None  # damaged or flooded
    covered_area_m2: float | None = None
    latrines_working: int | None = None
    showers_working: int | None = None
    water_litres_per_day: float | None = None
    water_points: int | None = None
    movements: tuple[Movement, ...] = ()
    source: str = ""  # who or what sent it: "csv:camps.csv:4", "api:health:amal", "sms:+963..."

    def __post_init__(self) -> None:
        _text(self.site_id, "site_id", required=True)
        if not all(c.isalnum() or c in "-_." for c in self.site_id):
            raise SiteRecordError(f"site_id: letters, digits, '-', '_' and '.' only (got {self.site_id!r})")
        _text(self.name, "name", required=True)
        for name in ("name_ar", "managing_agency", "admin_area", "pcode"):
            _text(getattr(self, name), name)
        if self.type not in SITE_TYPES:
            raise SiteRecordError(f"type: must be one of {', '.join(SITE_TYPES)} (got {self.type!r})")
        _position(self.lat, self.lon)
        _amount(self.updated, "updated", 4.1e9)
        _count(self.households, "households", MAX_PEOPLE)
        _count(self.individuals, "individuals", MAX_PEOPLE)
        for name in ("tents", "tents_flooded", "latrines_working", "showers_working", "water_points"):
            _count(getattr(self, name), name)
        _amount(self.covered_area_m2, "covered_area_m2", MAX_AREA_M2)
        _amount(self.water_litres_per_day, "water_litres_per_day", MAX_WATER_L)
        if self.tents is not None and self.tents_flooded is not None and self.tents_flooded > self.tents:
            raise SiteRecordError(f"tents_flooded: {self.tents_flooded} is more than the {self.tents} tents")
        if (
            self.households is not None
            and self.individuals is not None
            and self.households > self.individuals
        ):
            raise SiteRecordError(
                f"households: {self.households} households cannot hold only {self.individuals} individuals"
            )
        for m in self.movements:
            if not isinstance(m, Movement):
                raise SiteRecordError("movements: must be Movement records")
