"""A health facility's status: what it can still do, by HeRAMS' codes (:mod:`nadhir.health.codes`).

One record type serves both as a full status and as an update: a field left ``None`` (or a
mapping left empty) is "not said". :func:`carry_forward` lays an update over the last status, so
that a message saying only "fuel 2 days" keeps everything else the facility said before;
:func:`check` refuses a status that cannot be (5 incubators working of 4, negative staff, fuel
for ten years). :func:`status_from_json` reads the JSON form the API, the store and the console
share, and refuses unknown fields and codes by name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from nadhir.health.codes import (
    ACCESSIBILITY,
    AVAILABILITY,
    BARRIERS,
    BUILDING_CONDITIONS,
    CADRES,
    CAUSES,
    FUNCTIONALITY,
    POWER_SOURCES,
    SERVICES,
    SUPPLIES,
)

# Bounds of the counts: beyond them a number is a slip (an extra digit), not a facility.
MAX_STAFF = 1_000  # per cadre on duty
MAX_BEDS = 5_000
MAX_INCUBATORS = 500
MAX_THEATRES = 100
MAX_FUEL_DAYS = 365.0  # a year of fuel is already more than any facility here stores


class StatusError(ValueError):
    """A status that cannot be taken; the text says which field and why."""


@dataclass(frozen=True, slots=True)
class FacilityStatus:
    """A facility's status, or an update of it (``None``/empty: not said).

    Codes are those of :mod:`nadhir.health.codes`. ``incubators_occupied`` and ``theatres_in_use``
    say who cannot be moved quickly now (they feed the warning: :mod:`nadhir.health.readiness`);
    ``evacuated`` says the facility's people have left it.
    """

    functionality: str | None = None
    causes: tuple[str, ...] | None = None
    building: str | None = None
    accessibility: str | None = None
    barriers: tuple[str, ...] | None = None
    evacuated: bool | None = None
    services: Mapping[str, str] = field(default_factory=dict)
    staff: Mapping[str, int] = field(default_factory=dict)
    beds_total: int | None = None
    beds_working: int | None = None
    incubators_total: int | None = None
    incubators_working: int | None = None
    incubators_occupied: int | None = None
    theatres_in_use: int | None = None
    power: str | None = None
    fuel_days: float | None = None
    water: str | None = None
    oxygen: str | None = None

    def is_empty(self) -> bool:
        """Whether nothing at all is said (an update that would change nothing)."""
        return self == FacilityStatus()

    def not_available(self) -> list[str]:
        """The services said to be not available (not those a facility never provides)."""
        return [s for s in SERVICES if self.services.get(s) == "not"]


_ONE_CODE: dict[str, tuple[str, ...]] = {
    "functionality": FUNCTIONALITY,
    "building": BUILDING_CONDITIONS,
    "accessibility": ACCESSIBILITY,
    "power": POWER_SOURCES,
    "water": SUPPLIES,
    "oxygen": SUPPLIES,
}
_MANY_CODES: dict[str, tuple[str, ...]] = {"causes": CAUSES, "barriers": BARRIERS}
_COUNTS = {"beds_total": MAX_BEDS, "beds_working": MAX_BEDS, "incubators_total": MAX_INCUBATORS,
           "incubators_working": MAX_INCUBATORS, "incubators_occupied": MAX_INCUBATORS,
           "theatres_in_use": MAX_THEATRES}  # fmt: skip


def carry_forward(last: FacilityStatus | None, update: FacilityStatus) -> FacilityStatus:
    """``update`` laid over ``last``: what the update says replaces, what it does not say stays.

    Services and staff are merged cadre by cadre and service by service. A facility said to be
    fully functioning (accessible) again loses the causes (barriers) it had, unless the update
    names new ones; one said to be functioning again is no longer evacuated, unless it says so.
    """
    if last is None:
        return update
    changes: dict[str, Any] = {}
    for f in fields(FacilityStatus):
        value = getattr(update, f.name)
        if isinstance(value, Mapping):
            changes[f.name] = {**getattr(last, f.name), **value}
        elif value is not None:
            changes[f.name] = value
    if update.functionality == "fully" and update.causes is None:
        changes["causes"] = ()
    if update.accessibility == "fully" and update.barriers is None:
        changes["barriers"] = ()
    if update.functionality in ("fully", "partially") and update.evacuated is None:
        changes["evacuated"] = False
    return replace(last, **changes)


def check(status: FacilityStatus) -> None:
    """Raise :class:`StatusError` naming what is wrong, or return when ``status`` can be."""
    for name, codes in _ONE_CODE.items():
        value = getattr(status, name)
        if value is not None and value not in codes:
            raise StatusError(f"{name} must be one of {', '.join(codes)}, not {value!r}")
    for name, many in _MANY_CODES.items():
        values = getattr(status, name)
        for value in values or ():
            if value not in many:
                raise StatusError(f"{name} must be among {', '.join(many)}, not {value!r}")
        if values is not None and len(set(values)) != len(values):
            raise StatusError(f"{name} names one twice")
    for service, value in status.services.items():
        if service not in SERVICES:
            raise StatusError(f"unknown service {service!r} (services: {', '.join(SERVICES)})")
        if value not in AVAILABILITY:
            raise StatusError(f"{service} must be one of {', '.join(AVAILABILITY)}, not {value!r}")
    for cadre, n in status.staff.items():
        if cadre not in CADRES:
            raise StatusError(f"unknown cadre {cadre!r} (cadres: {', '.join(CADRES)})")
        _count(f"{cadre} on duty", n, MAX_STAFF)
    for name, most in _COUNTS.items():
        value = getattr(status, name)
        if value is not None:
            _count(name.replace("_", " "), value, most)
    _at_most(status.beds_working, status.beds_total, "beds working", "beds in all")
    _at_most(status.incubators_working, status.incubators_total, "incubators working", "incubators in all")
    _at_most(
        status.incubators_occupied, status.incubators_working, "incubators occupied", "incubators working"
    )
    fuel = status.fuel_days
    if fuel is not None and not (
        isinstance(fuel, int | float) and math.isfinite(fuel) and 0 <= fuel <= MAX_FUEL_DAYS
    ):
        raise StatusError(f"days of fuel must be between 0 and {MAX_FUEL_DAYS:.0f}, not {fuel!r}")
    if status.functionality == "fully" and status.causes:
        raise StatusError("a fully functioning facility has no causes of non-functioning")
    if status.accessibility == "fully" and status.barriers:
        raise StatusError("a fully accessible facility has no barriers")
    if status.evacuated and status.functionality == "fully":
        raise StatusError("an evacuated facility is not fully functioning")


def _count(what: str, n: object, most: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise StatusError(f"{what} must be a whole number, not {n!r}")
    if not 0 <= n <= most:
        raise StatusError(f"{what} must be between 0 and {most}, not {n}")


def _at_most(part: int | None, whole: int | None, part_name: str, whole_name: str) -> None:
    if part is not None and whole is not None and part > whole:
        raise StatusError(f"{part} {part_name} of {whole} {whole_name}: there cannot be more")


def status_to_json(status: FacilityStatus) -> dict[str, Any]:
    """The JSON form: only what is said (``None`` fields and empty mappings left out)."""
    out: dict[str, Any] = {}
    for f in fields(FacilityStatus):
        value = getattr(status, f.name)
        if value is None or (isinstance(value, Mapping) and not value):
            continue
        if isinstance(value, Mapping):
            out[f.name] = dict(value)
        elif isinstance(value, tuple):
            out[f.name] = list(value)
        else:
            out[f.name] = value
    return out


_FIELDS = {f.name for f in fields(FacilityStatus)}


def status_from_json(obj: object) -> FacilityStatus:
    """A status (or update) from its JSON form, checked; :class:`StatusError` says what is wrong."""
    if not isinstance(obj, dict):
        raise StatusError("a status is a JSON object")
    unknown = sorted(set(obj) - _FIELDS)
    if unknown:
        raise StatusError(f"unknown field(s): {', '.join(unknown)} (fields: {', '.join(sorted(_FIELDS))})")
    values: dict[str, Any] = {}
    for name, value in obj.items():
        if value is None:
            continue
        if name in ("causes", "barriers"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise StatusError(f"{name} must be a list of codes")
            values[name] = tuple(value)
        elif name in ("services", "staff"):
            if not isinstance(value, dict):
                raise StatusError(f"{name} must be an object")
            values[name] = dict(value)
        elif name == "evacuated":
            if not isinstance(value, bool):
                raise StatusError("evacuated must be true or false")
            values[name] = value
        elif name == "fuel_days":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise StatusError(f"days of fuel must be a number, not {value!r}")
            values[name] = float(value)
        elif name in _COUNTS:
            values[name] = value  # checked as a whole number below
        elif not isinstance(value, str):
            raise StatusError(f"{name} must be a code (a string), not {value!r}")
        else:
            values[name] = value
    status = FacilityStatus(**values)
    check(status)
    return status
