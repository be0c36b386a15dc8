"""The service's side of the shelters room: the field-report reader wired to the store."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from nadhir.domain.displacement import SiteUpdate
from nadhir.intake.field_reports import FieldReports
from nadhir.shelters.field import KIND, ShelterSiteReader
from nadhir.store.shelters import ShelterBook


def add_shelter_reader(reports: FieldReports, engine: Engine) -> None:
    """Let the SMS and Telegram channels take displacement sites' figures (once per service)."""
    book = ShelterBook(engine)

    def keep(update: SiteUpdate) -> str | None:
        outcome = book.add([update])
        return outcome.conflicts[0].reason if outcome.conflicts else None

    reader = ShelterSiteReader(book.last_of, keep)
    for i, held in enumerate(reports.readers):
        if held.kind == KIND:  # the store reopened (the workers restarted): read with the new one
            reports.readers[i] = reader
            return
    reports.add(reader)
