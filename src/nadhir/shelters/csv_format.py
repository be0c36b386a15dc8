"""The shelters CSV: one row per site update, read and written with exactly these columns.

``site_id, name, name_ar, type, lat, lon, households, individuals, latrines_working,
showers_working, water_litres_per_day, tents, tents_flooded, covered_area_m2, updated``

- ``type``: ``planned-camp``, ``self-settled-camp``, ``collective-centre`` or ``reception-centre``
  (spaces or underscores for the hyphens, any case);
- ``updated``: an ISO 8601 time or date (``2026-12-05T09:00:00Z``, ``2026-12-05``; naive is UTC);
- an empty figure is unknown (``None``), not 0.

A later row for the same site is a new update of it, not a duplicate. A row that cannot be read is
reported with its line number (the header is line 1) and skipped; the others are read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nadhir.domain.displacement import SITE_TYPES, SiteRecordError, SiteType, SiteUpdate
from nadhir.domain.timefmt import format_time, parse_time

COLUMNS: tuple[str, ...] = (
    "site_id", "name", "name_ar", "type", "lat", "lon", "households", "individuals",
    "latrines_working", "showers_working", "water_litres_per_day", "tents", "tents_flooded",
    "covered_area_m2", "updated",
)  # fmt: skip
_COUNTS = ("households", "individuals", "latrines_working", "showers_working", "tents", "tents_flooded")
_AMOUNTS = ("water_litres_per_day", "covered_area_m2")
MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that was skipped, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class CsvRead:
    """What a CSV file held: the updates read, and the rows skipped."""

    updates: list[SiteUpdate]
    problems: list[RowProblem]


class CsvFormatError(ValueError):
    """The file as a whole cannot be read (its header is not the shelters CSV's)."""


def site_type(text: str) -> SiteType:
    """A site type from its name as people write it (``Collective centre`` -> ``collective-centre``)."""
    key = "-".join(text.strip().lower().replace("_", " ").split())
    for t in SITE_TYPES:
        if key == t:
            return t
    raise SiteRecordError(f"type: must be one of {', '.join(SITE_TYPES)} (got {text!r})")


def _whole(text: str, name: str) -> int | None:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise SiteRecordError(f"{name}: not a number ({text!r})") from None
    if not value.is_integer():
        raise SiteRecordError(f"{name}: must be a whole number (got {text!r})")
    return int(value)


def _number(text: str, name: str, required: bool = False) -> float | None:
    if text == "":
        if required:
            raise SiteRecordError(f"{name}: required")
        return None
    try:
        return float(text)
    except ValueError:
        raise SiteRecordError(f"{name}: not a number ({text!r})") from None


def row_update(row: dict[str, str], source: str) -> SiteUpdate:
    """One CSV row as an update; :class:`SiteRecordError` says what is wrong with it."""
    cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
    if None in row:  # more cells than columns
        raise SiteRecordError(f"{len(row[None])} cell(s) more than the {len(COLUMNS)} columns")  # type: ignore[index]
    if not cells.get("updated"):
        raise SiteRecordError("updated: required")
    try:
        updated = parse_time(cells["updated"])
    except ValueError as exc:
        raise SiteRecordError(f"updated: {exc}") from None
    lat = _number(cells.get("lat", ""), "lat", required=True)
    lon = _number(cells.get("lon", ""), "lon", required=True)
    assert lat is not None and lon is not None
    figures: dict[str, int | float | None] = {n: _whole(cells.get(n, ""), n) for n in _COUNTS}
    figures.update({n: _number(cells.get(n, ""), n) for n in _AMOUNTS})
    return SiteUpdate(
        site_id=cells.get("site_id", ""),
        name=cells.get("name", ""),
        name_ar=cells.get("name_ar") or None,
        type=site_type(cells.get("type", "")),
        lat=lat,
        lon=lon,
        updated=updated,
        source=source,
        **figures,  # type: ignore[arg-type]
    )


def read_csv(text: str, source: str = "csv") -> CsvRead:
    """Read a shelters CSV; raises :class:`CsvFormatError` only when the header is wrong."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CsvFormatError(
            f"the header lacks column(s): {', '.join(missing)} (columns: {', '.join(COLUMNS)})"
        )
    reader.fieldnames = header
    updates: list[SiteUpdate] = []
    problems: list[RowProblem] = []
    seen: set[tuple[str, float]] = set()
    for row in reader:
        line = reader.line_num
        if len(updates) + len(problems) >= MAX_ROWS:
            problems.append(RowProblem(line, f"more than {MAX_ROWS} rows: the rest skipped"))
            break
        if all(not (v or "").strip() for k, v in row.items() if k is not None) and None not in row:
            continue  # a blank line
        try:
            update = row_update(row, f"{source}:{line}")
        except (SiteRecordError, ValueError) as exc:
            problems.append(RowProblem(line, str(exc)))
            continue
        key = (update.site_id, update.updated)
        if key in seen:
            again = f"site {update.site_id} has another row for {cells_time(update)}"
            problems.append(RowProblem(line, again))
            continue
        seen.add(key)
        updates.append(update)
    return CsvRead(updates, problems)


def cells_time(u: SiteUpdate) -> str:
    """The ``updated`` cell of an update (ISO 8601 UTC)."""
    return format_time(u.updated)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(updates: Sequence[SiteUpdate] | Iterable[SiteUpdate]) -> str:
    """The updates as a shelters CSV (header first), in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for u in updates:
        writer.writerow([cells_time(u) if c == "updated" else _cell(getattr(u, c)) for c in COLUMNS])
    return out.getvalue()
