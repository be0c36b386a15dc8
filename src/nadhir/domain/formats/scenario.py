"""Read a scenario folder in the shared format (see ``docs/scenario-format.md``).

Reading is tolerant: a malformed line, a missing field, a value that breaks
one of the input rules (:mod:`nadhir.domain.validation`) or an unknown kind is
recorded in :class:`~nadhir.domain.Problems` with its line number and skipped;
everything else goes on. So is an event far out of time order (see
:mod:`nadhir.domain.formats.timeline`), and a damaged ``.gz`` keeps the lines before
its damage. A sites, gazetteer or reporters file that cannot be read at all,
or a sites file without a usable site, is a :class:`ScenarioError`: the
scenario cannot be used.
"""

from __future__ import annotations

import contextlib
import io
import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO, TypeVar

from nadhir.domain import Event, Place, Problems, Reporter, Site
from nadhir.domain import validation as rules
from nadhir.domain.formats.events import (
    MAX_ID_CHARS,
    lat_lon,
    optional,
    parse_events,
    required_text,
    text_or,
    type_name,
)
from nadhir.domain.formats.timeline import set_aside_suspects
from nadhir.domain.validation import InvalidInput

DEFAULT_RADIUS_M = {"town": 2000.0}
OTHER_RADIUS_M = 500.0
MAX_RADIUS_M = 100_000.0  # a site is a town, a camp, a hospital: not a province
MAX_SHELTER_S = 3_600.0
MAX_POPULATION = 100_000_000


class ScenarioError(Exception):
    """The scenario folder cannot be used at all (no usable site, an unreadable input file)."""


@dataclass
class Scenario:
    """A scenario's static inputs and the path to its events."""

    root: Path
    sites: list[Site]
    places: list[Place]
    reporters: list[Reporter]
    events_path: Path
    problems: Problems = field(default_factory=Problems)
    suspect_events: int = 0  # events set aside as far out of time order, by the last events()

    def events(self) -> Iterator[tuple[int, Event]]:
        """Yield ``(line_no, event)`` in file order; bad lines and suspect times go to ``problems``."""
        self.suspect_events = 0
        name = self.events_path.name

        def suspect(line_no: int, reason: str) -> None:
            self.suspect_events += 1
            self.problems.add(name, line_no, reason)

        lines = read_lines(self.events_path, self.problems)
        yield from set_aside_suspects(parse_events(lines, self.problems, name), suspect)


def load_scenario(root: str | Path) -> Scenario:
    """Load sites, gazetteer and reporters, and locate the events of a scenario folder."""
    root = Path(root)
    if not root.is_dir():
        raise ScenarioError(f"{root}: not a folder")
    for name in ("events.jsonl", "events.jsonl.gz"):
        if (root / name).exists():
            events_path = root / name
            break
    else:
        raise ScenarioError(f"{root}: no events.jsonl or events.jsonl.gz")
    problems = Problems()
    sites = load_sites(root / "sites.geojson", problems)
    places = load_gazetteer(root / "gazetteer.json", problems)
    reporters = load_reporters(root / "reporters.json", problems)
    return Scenario(root, sites, places, reporters, events_path, problems)


def read_lines(path: Path, problems: Problems) -> Iterator[str]:
    """The lines of an events file (``.gz`` unpacked), up to any damage, which goes to ``problems``.

    A damaged ``.gz`` (cut short, or corrupt inside) gives every whole line
    before the damage; the damage is reported at the line it cut (the piece of
    that line is not passed on). Text is decoded as UTF-8 with bad bytes
    replaced: such a line then fails as JSON.
    """
    read = 0
    raw: _SalvagingGzip | None = None
    fh: TextIO
    try:
        if path.name.endswith(".gz"):
            raw = _SalvagingGzip(path.open("rb"))
            fh = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", errors="replace")
        else:
            fh = path.open(encoding="utf-8", errors="replace")
        with fh:
            for line in fh:
                read += 1
                if raw is not None and raw.error is not None and not line.endswith("\n"):
                    read -= 1  # the piece of a line the damage cut off: reported below, as that line
                    break
                yield line
    except OSError as exc:
        problems.add(path.name, read + 1, f"file unreadable from here on ({exc.strerror or exc})")
        return
    if raw is not None and raw.error is not None:
        problems.add(path.name, read + 1, f"compressed data {raw.error}; the rest of the file is lost")


class _SalvagingGzip(io.RawIOBase):
    """A gzip file's bytes up to its first damage, which is kept in ``error`` instead of raised.

    ``gzip.open`` raises on damage and loses what it had unpacked of the piece
    it was reading; this hands out every byte the stream gives before the
    damage (the piece that fails is unpacked again a byte at a time), then
    ends. Several members one after the other are read as one stream, as gzip
    does.
    """

    CHUNK = 64 * 1024
    MAGIC = b"\x1f\x8b"

    def __init__(self, fh: BinaryIO) -> None:
        super().__init__()
        self._fh = fh
        self._inflate = zlib.decompressobj(31)  # 31: a gzip header and trailer (CRC, length)
        self._input = b""
        self._salvaged = b""
        self._done = False
        self.error: str | None = None

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._fh.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self._salvaged:
                n = min(len(view), len(self._salvaged))
                view[:n] = self._salvaged[:n]
                self._salvaged = self._salvaged[n:]
                return n
            if self._done:
                return 0
            out = self._step(len(view))
            if out:
                view[: len(out)] = out
                return len(out)

    def _step(self, size: int) -> bytes:
        """Unpack up to ``size`` bytes; b"" when this step only moved on (or the stream ended)."""
        data = self._inflate.unconsumed_tail or self._input or self._fh.read(self.CHUNK)
        self._input = b""
        if not data:  # the file's end: what zlib still holds, then the end of the stream or not
            self._done = True
            with contextlib.suppress(zlib.error):  # then it is truncated, as said below
                self._salvaged = self._inflate.flush()
            if not self._inflate.eof:
                self.error = "truncated: the file ends inside its compressed stream"
            return b""
        before = self._inflate.copy()
        try:
            out = self._inflate.decompress(data, size)
        except zlib.error as exc:
            self._salvaged = _unpack_until_damage(before, data)
            self.error = f"corrupt ({exc})"
            self._done = True
            return b""
        if self._inflate.eof:
            self._next_member()
        return out

    def _next_member(self) -> None:
        rest = self._inflate.unused_data
        while len(rest) < len(self.MAGIC):
            more = self._fh.read(self.CHUNK)
            if not more:
                break
            rest += more
        if rest.startswith(self.MAGIC):
            self._inflate = zlib.decompressobj(31)
            self._input = rest
        elif rest.strip(b"\0") or self._fh.read(self.CHUNK).strip(b"\0"):
            self.error = "corrupt (bytes after the end of the compressed stream are not gzip data)"
            self._done = True
        else:  # padding with zero bytes, as some writers leave: the end
            self._done = True


def _unpack_until_damage(inflate: Any, data: bytes) -> bytes:
    """What ``inflate`` gives for ``data`` fed a byte at a time, up to the byte that breaks it."""
    out = []
    for i in range(len(data)):
        try:
            out.append(inflate.decompress(data[i : i + 1]))
        except zlib.error:
            break
    return b"".join(out)


def _polygon_centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(lat, lon, radius_m) of a ring's vertex mean and the farthest vertex from it."""
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    k = 111_320.0
    radius = max(math.hypot((p[0] - lon) * k * math.cos(math.radians(lat)), (p[1] - lat) * k) for p in ring)
    return lat, lon, radius


def _read_json(path: Path, what: str) -> Any:
    """A whole JSON input file by the input rules; :class:`ScenarioError` names the file and why not."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: {what} unreadable ({exc.strerror or exc})") from exc
    try:
        return rules.load_json(data)
    except InvalidInput as exc:
        raise ScenarioError(f"{path}: {what} unreadable: {exc.rule}") from exc


def load_sites(path: Path, problems: Problems) -> list[Site]:
    """Sites from a GeoJSON FeatureCollection (Point + ``radius_m``, or Polygon).

    A feature that breaks a rule is reported and skipped; a file that cannot
    be read, or holds no usable site, is a :class:`ScenarioError`.
    """
    collection = _read_json(path, "sites")
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise ScenarioError(f"{path}: not a GeoJSON FeatureCollection")
    if not features:
        raise ScenarioError(f"{path}: no features (a scenario needs at least one site)")
    sites: list[Site] = []
    seen: set[str] = set()
    first_reason = ""
    for i, feature in enumerate(features, 1):
        try:
            site = _site_from_feature(feature)
        except InvalidInput as exc:
            problems.add(path.name, i, f"feature {i} skipped: {exc}")
            first_reason = first_reason or f"feature {i}: {exc}"
            continue
        if site.id in seen:
            problems.add(path.name, i, f"duplicate site id {site.id!r} skipped")
            continue
        seen.add(site.id)
        sites.append(site)
    if not sites:
        raise ScenarioError(f"{path}: no usable site, every feature was refused ({first_reason})")
    return sites


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(field, f"must be an object, not {type_name(value)}")
    return value


def _text_list(value: Any, field: str) -> tuple[str, ...]:
    """A list of strings (ids, aliases); a bare string is refused, not read letter by letter."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInput(field, f"must be a list of text, not {type_name(value)}")
    return tuple(rules.text(item, f"{field}[{i}]", MAX_ID_CHARS) for i, item in enumerate(value))


def _position(value: Any, field: str) -> tuple[float, float]:
    """A GeoJSON position ``[lon, lat, ...]`` as (lon, lat)."""
    if not isinstance(value, list) or len(value) < 2:
        raise InvalidInput(field, "a position is [lon, lat]")
    return rules.longitude(value[0], f"{field}[0]"), rules.latitude(value[1], f"{field}[1]")


def _site_from_feature(feature: Any) -> Site:
    feature = _object(feature, "feature")
    props = _object(feature.get("properties") or {}, "properties")
    geom = _object(feature.get("geometry"), "geometry")
    site_id = required_text(props, "id")
    kind = text_or(props, "kind", "town")
    polygon: tuple[tuple[float, float], ...] | None = None
    geom_type = geom.get("type")
    if geom_type == "Point":
        lon, lat = _position(geom.get("coordinates"), "geometry.coordinates")
        given = props.get("radius_m")
        default = DEFAULT_RADIUS_M.get(kind, OTHER_RADIUS_M)
        radius = default if given is None else rules.positive(given, "radius_m", MAX_RADIUS_M)
    elif geom_type == "Polygon":
        rings = geom.get("coordinates")
        if not isinstance(rings, list) or not rings:
            raise InvalidInput("geometry.coordinates", "a Polygon is a list of rings")
        ring = rules.polygon_ring(rings[0], "geometry.coordinates[0]")
        polygon = (*ring, ring[0])  # kept closed, as given
        lat, lon, radius = _polygon_centroid(list(polygon))
    else:
        shown = geom_type if isinstance(geom_type, str) else type_name(geom_type)
        raise InvalidInput("geometry.type", f"unsupported geometry {shown[:40]!r} (Point or Polygon)")
    population = optional(props, "population", lambda v, f: rules.whole(v, f, 0, MAX_POPULATION))
    shelter = optional(props, "shelter_seconds", lambda v, f: rules.finite(v, f, 0, MAX_SHELTER_S))
    return Site(
        id=site_id,
        name=text_or(props, "name", site_id),
        kind=kind,
        lat=lat,
        lon=lon,
        radius_m=radius,
        name_ar=rules.optional_text(props.get("name_ar"), "name_ar", MAX_ID_CHARS),
        polygon=polygon,
        sirens=_text_list(props.get("sirens"), "sirens"),
        population=population,
        shelter_seconds=shelter,
    )


T = TypeVar("T")


def _load_rows(path: Path, problems: Problems, what: str, build: Callable[[dict[str, Any]], T]) -> list[T]:
    """Rows of an optional JSON list file, each built by ``build``; bad rows are reported and skipped.

    A missing file gives none; one that cannot be read, or is not a list, is a
    :class:`ScenarioError` (a gazetteer or reporters list that is there but
    unreadable would silently change who is trusted and which names are known).
    """
    if not path.exists():
        return []
    rows = _read_json(path, what)
    if not isinstance(rows, list):
        raise ScenarioError(f"{path}: {what} unreadable: not a JSON list of entries")
    out: list[T] = []
    for i, row in enumerate(rows, 1):
        try:
            out.append(build(_object(row, "entry")))
        except InvalidInput as exc:
            problems.add(path.name, i, f"entry {i} skipped: {exc}")
    return out


def _place(row: dict[str, Any]) -> Place:
    place_id = required_text(row, "id")
    lat, lon = lat_lon(row, required=True)
    assert lat is not None and lon is not None
    return Place(
        id=place_id,
        name=text_or(row, "name", place_id),
        lat=lat,
        lon=lon,
        kind=text_or(row, "kind", "place"),
        name_ar=rules.optional_text(row.get("name_ar"), "name_ar", MAX_ID_CHARS),
        aliases=_text_list(row.get("aliases"), "aliases"),
    )


def _reporter(row: dict[str, Any]) -> Reporter:
    kind = row.get("kind", "observer")
    if kind not in ("observer", "sensor"):
        raise InvalidInput("kind", f"unknown kind {str(kind)[:40]!r} (observer or sensor)")
    lat, lon = lat_lon(row, required=False)
    trust = row.get("trust")
    return Reporter(
        id=required_text(row, "id"),
        kind=kind,
        lat=lat,
        lon=lon,
        trust=0.5 if trust is None else rules.finite(trust, "trust", 0.0, 1.0),
        speaks_for=_text_list(row.get("speaks_for"), "speaks_for"),
    )


def load_gazetteer(path: Path, problems: Problems) -> list[Place]:
    """Places from ``gazetteer.json`` (optional: a missing file gives none)."""
    return _load_rows(path, problems, "gazetteer", _place)


def load_reporters(path: Path, problems: Problems) -> list[Reporter]:
    """Known observers and sensors from ``reporters.json`` (optional)."""
    return _load_rows(path, problems, "reporters", _reporter)
