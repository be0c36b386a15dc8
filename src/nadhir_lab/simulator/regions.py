"""A region: the data file a simulation is driven by (places, air bases, how busy the sky is)."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Kind = Literal["jet", "helicopter", "drone"]


KINDS: tuple[Kind, ...] = ("jet", "helicopter", "drone")


class RegionError(Exception):
    """A region cannot be found or its file is not a valid region description."""


class _Named(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    name_ar: str | None = None
    aliases: tuple[str, ...] = ()
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)


class AirBase(_Named):
    """An air base and the aircraft types that fly from it."""

    aircraft: tuple[Kind, ...] = KINDS


class RegionSite(_Named):
    """A place that can be warned (becomes a ``sites.geojson`` feature)."""

    kind: str = "town"
    radius_m: float | None = Field(default=None, gt=0)
    population: int | None = Field(default=None, ge=0)
    town: str | None = None  # the town a facility belongs to
    polygon: tuple[tuple[float, float], ...] | None = None  # optional outer ring, (lon, lat)
    sirens: int | None = Field(default=None, ge=0)
    shelter_seconds: float | None = Field(default=None, gt=0)

    @property
    def radius(self) -> float:
        """The site's area radius (the format's defaults when not given)."""
        if self.radius_m is not None:
            return self.radius_m
        return 2000.0 if self.kind == "town" else 500.0


class RegionPlace(_Named):
    """A village or landmark; ``listed: false`` keeps it out of the gazetteer."""

    kind: str = "village"
    listed: bool = True


class SensorPlan(BaseModel):
    """How many acoustic nodes, laid out how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(default=36, ge=0, le=1000)
    layout: Literal["grid", "scattered"] = "grid"
    id_prefix: str = "ac"
    sigma_deg: tuple[float, float] = (5.0, 10.0)


def _default_mix() -> dict[Kind, float]:
    return {"jet": 0.4, "helicopter": 0.35, "drone": 0.25}


def _default_recon() -> dict[Kind, float]:
    return {"jet": 0.2, "helicopter": 0.1, "drone": 0.4}


class Region(BaseModel):
    """A region description: geography (all names) and how busy its sky and its listeners are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    title: str = ""
    title_ar: str | None = None
    description: str = ""
    date: str = "2025-06-01"
    start_hours_utc: tuple[int, int] = (0, 20)
    sorties_per_hour: float = Field(default=2.5, gt=0, le=30)
    aircraft_mix: dict[Kind, float] = Field(default_factory=_default_mix)
    recon_share: dict[Kind, float] = Field(default_factory=_default_recon)
    observers: int = Field(default=24, ge=0, le=1000)
    relays: int = Field(default=4, ge=0, le=100)
    sensors: SensorPlan = Field(default_factory=SensorPlan)
    civil_defence: bool = True
    airbases: tuple[AirBase, ...] = Field(min_length=1)
    sites: tuple[RegionSite, ...] = Field(min_length=1)
    places: tuple[RegionPlace, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Region:
        seen: set[str] = set()
        for item in (*self.airbases, *self.sites, *self.places):
            if item.id in seen:
                raise ValueError(f"duplicate id {item.id!r}")
            seen.add(item.id)
        towns = {s.id for s in self.sites if s.kind == "town"}
        if not towns:
            raise ValueError("a region needs at least one town")
        for site in self.sites:
            if site.town is not None and site.town not in towns:
                raise ValueError(f"site {site.id!r}: unknown town {site.town!r}")
        if sum(max(0.0, v) for v in self.aircraft_mix.values()) <= 0:
            raise ValueError("aircraft_mix gives no aircraft")
        for kind, share in self.aircraft_mix.items():
            if share > 0 and not any(kind in base.aircraft for base in self.airbases):
                raise ValueError(f"no air base flies {kind}")
        lo, hi = self.start_hours_utc
        if not 0 <= lo <= hi <= 23:
            raise ValueError("start_hours_utc must be two hours 0..23, in order")
        datetime.fromisoformat(self.date)
        return self


def _regions_dir() -> Any:
    return resources.files("nadhir_lab") / "data" / "regions"


def list_regions() -> list[str]:
    """Names of the regions bundled with the package."""
    return sorted(
        entry.name.removesuffix(".json") for entry in _regions_dir().iterdir() if entry.name.endswith(".json")
    )


def load_region(name_or_path: str | Path) -> Region:
    """A bundled region by name (``wadi-karam``), or a region file by path."""
    path = Path(name_or_path)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        label = str(path)
    else:
        name = str(name_or_path)
        entry = _regions_dir() / f"{name}.json"
        if path.suffix == ".json" or not entry.is_file():
            raise RegionError(f"no region {name!r}: not a file, and bundled regions are {list_regions()}")
        text = entry.read_text(encoding="utf-8")
        label = name
    try:
        return Region.model_validate_json(text)
    except ValidationError as exc:
        raise RegionError(f"{label}: not a valid region: {exc}") from exc
