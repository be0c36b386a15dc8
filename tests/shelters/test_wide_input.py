"""Wide input never breaks the readers: any CSV text and any message is read, or refused with a
reason, and never raises anything else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.domain import Reporter
from nadhir.domain.displacement import SiteUpdate
from nadhir.intake.field_reports import FieldReports, Mandates
from nadhir.shelters.csv_format import COLUMNS, read_csv
from nadhir.shelters.field import ShelterSiteReader

HEADER = ",".join(COLUMNS) + "\n"
CELL = st.one_of(
    st.text(max_size=12),
    st.integers(-10, 10**7).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        ["", "planned-camp", "Collective centre", "2026-12-05", "2026-13-45", "35.9", "-1", "1e400"]
    ),
)
STADIUM = SiteUpdate("idlib-stadium", "Idlib Municipal Stadium", "collective-centre", 35.93, 36.63, 1.79e9,
                     individuals=1000, tents=200)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CELL, min_size=0, max_size=17), max_size=8))
def test_any_rows_are_read_or_reported_by_line(rows: list[list[str]]) -> None:
    def clean(cell: str) -> str:
        return cell.replace(",", ";").replace("\n", " ").replace("\r", " ").replace('"', "'")

    text = HEADER + "".join(",".join(clean(c) for c in row) + "\n" for row in rows)
    read = read_csv(text)
    lines = [p.line for p in read.problems]
    assert lines == sorted(set(lines)) and all(2 <= n <= len(rows) + 1 for n in lines)
    assert len(read.updates) + len(read.problems) <= len(rows)
    for u in read.updates:
        assert u.individuals is None or u.individuals >= 0


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), st.text(max_size=60).map(lambda t: "site idlib-stadium: " + t),
                 st.text(max_size=60).map(lambda t: "موقع idlib-stadium: " + t)))  # fmt: skip
def test_any_message_is_a_sighting_a_confirmation_or_a_reason(text: str) -> None:
    kept: list[SiteUpdate] = []

    def keep(u: SiteUpdate) -> str | None:
        kept.append(u)
        return None

    focal = Mandates([Reporter("obs", "observer", speaks_for=("idlib-stadium",))])
    reports = FieldReports([ShelterSiteReader(lambda _: STADIUM, keep, focal)])
    reply = reports.route("obs", text, 1.8e9)
    if reply is None:
        assert not kept
    elif not reply.accepted:
        assert not kept and reply.text
    else:
        assert len(kept) == 1 and kept[0].updated == 1.8e9
