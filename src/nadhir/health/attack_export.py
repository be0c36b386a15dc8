"""The register of attacks written out: HXL-tagged CSV (checked with libhxl) and JSON.

HXL (the Humanitarian Exchange Language) puts a row of hashtags under the CSV's header row, so
that partners' tools read the columns without a data dictionary. Every column carries one. The
public export has the public fields only (:mod:`nadhir.health.attack_views`); the private one
adds the facility, its coordinates, the sources and their reporters, the narrative and the
casualties by group.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

import hxl

from nadhir.domain.timefmt import format_time
from nadhir.health.attack_views import private_view, public_view
from nadhir.health.attacks import GROUPS, REVIEWS, AttackRecord
from nadhir.health.certainty import CERTAINTIES

Scope = Literal["public", "private"]

# (header, HXL hashtag, value) for each column.
Column = tuple[str, str, Callable[[AttackRecord], object]]

PUBLIC_COLUMNS: tuple[Column, ...] = (
    ("Attack ID", "#event+id", lambda r: r.id),
    ("Date", "#date+occurred", lambda r: r.date),
    ("Country", "#country+code", lambda r: r.facility.country),
    ("Admin area", "#adm2+name", lambda r: r.facility.admin_area),
    ("Admin P-code", "#adm2+code", lambda r: r.facility.pcode),
    ("Facility type", "#loc+type", lambda r: r.facility.type),
    ("Attack types", "#event+type", lambda r: " | ".join(r.attack_types)),
    ("Resources affected", "#impact+type", lambda r: " | ".join(r.resources)),
    ("Killed", "#affected+killed", lambda r: r.killed()),
    ("Injured", "#affected+injured", lambda r: r.injured()),
    ("Certainty", "#status+certainty", lambda r: r.certainty),
    ("Review", "#status+review", lambda r: r.review),
)


def _group_column(group: str, what: Literal["killed", "injured"]) -> Column:
    def value(r: AttackRecord) -> object:
        c = r.casualties.get(group)  # type: ignore[call-overload]
        return None if c is None else getattr(c, what)

    return (f"{group.capitalize()} {what}", f"#affected+{what}+{group}", value)


PRIVATE_COLUMNS: tuple[Column, ...] = (
    *PUBLIC_COLUMNS,
    ("Facility ID", "#loc+code", lambda r: r.facility.id),
    ("Facility name", "#loc+name", lambda r: r.facility.name),
    ("Latitude", "#geo+lat", lambda r: r.facility.lat),
    ("Longitude", "#geo+lon", lambda r: r.facility.lon),
    ("Time (UTC)", "#date+occurred+time", lambda r: format_time(r.t)),
    ("Weapon", "#meta+weapon", lambda r: r.weapon),
    ("Reported perpetrator", "#org+perpetrator", lambda r: r.perpetrator),
    *(_group_column(g, w) for g in GROUPS for w in ("killed", "injured")),
    ("Damage", "#status+damage", lambda r: r.damage),
    ("Services interrupted", "#service+interrupted", lambda r: " | ".join(r.services_interrupted)),
    ("Interruption days", "#service+interrupted+days", lambda r: r.interruption_days),
    ("Narrative", "#description", lambda r: r.narrative),
    ("Sources", "#meta+source", lambda r: " | ".join(f"{s.kind}:{s.ref}" for s in r.sources)),
    ("Reviewed by", "#contact+reviewer", lambda r: r.reviewed_by),
    ("Review note", "#meta+review_note", lambda r: r.review_note),
    (
        "Alert episodes",
        "#meta+episodes",
        lambda r: " | ".join(f"{site}@{start}" for site, start in r.links.episodes),
    ),
    ("Tracks", "#meta+tracks", lambda r: " | ".join(r.links.tracks)),
    ("Reports", "#meta+reports", lambda r: " | ".join(r.links.reports)),
    ("Run", "#meta+run", lambda r: r.links.run_id),
)


def columns(scope: Scope) -> tuple[Column, ...]:
    """The columns an export of this scope has."""
    return PUBLIC_COLUMNS if scope == "public" else PRIVATE_COLUMNS


class ExportError(ValueError):
    """An export that libhxl does not read back as written."""


def to_hxl_csv(records: Sequence[AttackRecord], scope: Scope) -> str:
    """The records as HXL-tagged CSV text, checked by reading it back with libhxl."""
    cols = columns(scope)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c[0] for c in cols])
    writer.writerow([c[1] for c in cols])
    for r in records:
        writer.writerow(["" if (v := c[2](r)) is None else v for c in cols])
    text = out.getvalue()
    check_hxl(text, [c[1] for c in cols], len(records))
    return text


# libhxl's validation schema for the export: types, required values and the closed lists.
SCHEMA: list[list[str]] = [
    ["#valid_tag", "#valid_datatype", "#valid_required", "#valid_value+list"],
    ["#event+id", "number", "true", ""],
    ["#date+occurred", "date", "true", ""],
    ["#country+code", "", "true", ""],
    ["#loc+type", "", "true", ""],
    ["#event+type", "", "true", ""],
    ["#impact+type", "", "true", ""],
    ["#affected", "number", "", ""],
    ["#status+certainty", "", "true", "|".join(CERTAINTIES)],
    ["#status+review", "", "true", "|".join(REVIEWS)],
    ["#geo", "number", "", ""],
]


def check_hxl(text: str, tags: list[str], rows: int) -> None:
    """Parse ``text`` with libhxl and validate it against :data:`SCHEMA`; :class:`ExportError`
    unless it has exactly these hashtags, one on every column, this many data rows, and every
    value of the right type, present where required and in its list where it has one."""
    table = list(csv.reader(io.StringIO(text)))
    data = hxl.data(table)
    found = [c.display_tag for c in data.columns]
    if found != tags:
        raise ExportError(f"HXL hashtags read back as {found}, not {tags}")
    n = sum(1 for _ in data)
    if n != rows:
        raise ExportError(f"HXL export read back with {n} rows, not {rows}")
    errors: list[str] = []
    schema = hxl.schema(SCHEMA, callback=lambda e: errors.append(str(e.message or e)))
    if rows and not schema.validate(hxl.data(table)):  # a dataset is read once: read it again
        raise ExportError("HXL export does not validate: " + "; ".join(dict.fromkeys(errors)))


def to_json(records: Sequence[AttackRecord], scope: Scope) -> str:
    """The records as a JSON document: ``{"scope": ..., "attacks": [view, ...]}``."""
    view = public_view if scope == "public" else private_view
    doc: dict[str, Any] = {"scope": scope, "attacks": [view(r) for r in records]}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
