"""The service's side of the shelters room: the field-report reader wired to the store, and the demo's
displacement sites."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from nadhir.domain.displacement import SiteUpdate
from nadhir.intake.field_reports import FieldReports, Mandates
from nadhir.service.region import DATA
from nadhir.shelters.csv_format import read_csv
from nadhir.shelters.field import KIND, ShelterSiteReader
from nadhir.store.shelters import ShelterBook

log = logging.getLogger(__name__)


def add_shelter_reader(reports: FieldReports, engine: Engine, mandates: Mandates) -> None:
    """Let the SMS and Telegram channels take displacement sites' figures (from the sites' reporters)."""
    book = ShelterBook(engine)

    def keep(update: SiteUpdate) -> str | None:
        outcome = book.add([update])
        return outcome.conflicts[0].reason if outcome.conflicts else None

    reader = ShelterSiteReader(book.last_of, keep, mandates)
    for i, held in enumerate(reports.readers):
        if held.kind == KIND:  # the store reopened (the workers restarted): read with the new one
            reports.readers[i] = reader
            return
    reports.add(reader)


def seed_demo_shelters(engine: Engine, region: str) -> int:
    """Keep the demo's displacement sites (``data/shelters/<region>.csv``) if they are not kept yet.

    Returns how many updates were new. Run by ``nadhir serve --demo``; the updates are the same
    each time, so a second start keeps none twice.
    """
    path = DATA / "shelters" / f"{region}.csv"
    if not path.is_file():
        return 0
    read = read_csv(path.read_text(encoding="utf-8"), f"demo:{path.name}")
    for p in read.problems:  # the shipped file is tested; a problem here is a packaging mistake
        log.warning("demo displacement sites: %s line %d: %s", path.name, p.line, p.reason)
    return len(ShelterBook(engine).add(read.updates).kept)
