"""The demo's attacks on health care: two strikes by hospitals of the bundled region, drafted.

``nadhir serve --demo`` shows the register with something in it. The strikes are impact reports
kept as data (``nadhir/data/health/demo_impacts.jsonl``, in the events format): a missile on the
road outside Idlib National Hospital, reported twice, and a strike on Kafr Nabl Surgical
Hospital, reported by its name and then by coordinates. They go through the same drafting as a
replay's impacts (:mod:`nadhir.health.attack_drafts`), so the demo's drafts are what the
pipeline would draft from such reports.
"""

from __future__ import annotations

import json
import time
from importlib.resources import files

from nadhir.domain import Event, Site
from nadhir.domain.formats.events import event_from_dict
from nadhir.health.attack_drafts import draft_attacks, impact_points
from nadhir.service.attack_register import AttackRegister, DraftOutcome
from nadhir.store import Store
from nadhir.store.attacks import AttackBook


def demo_impacts() -> list[Event]:
    """The demo's impact reports."""
    text = files("nadhir").joinpath("data/health/demo_impacts.jsonl").read_text(encoding="utf-8")
    return [event_from_dict(json.loads(line)) for line in text.splitlines() if line.strip()]


def seed_demo_attacks(db_url: str, sites: list[Site]) -> DraftOutcome:
    """Draft the demo's attacks into the database at ``db_url``, unless it already has attacks
    (a demo started again keeps what was reviewed in the last one)."""
    with Store.open(db_url) as store:
        book = AttackBook(store.engine)
        if book.recent(limit=1):
            return DraftOutcome((), ())
        drafts = draft_attacks(sites, impact_points(demo_impacts(), sites, []))
        return AttackRegister(book, sites).keep_drafts(drafts, time.time())
