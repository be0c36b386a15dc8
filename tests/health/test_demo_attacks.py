"""The demo's two drafted attacks on health care."""

from __future__ import annotations

from pathlib import Path

from nadhir.domain.formats.scenario import load_scenario
from nadhir.service.attack_register import AttackRegister
from nadhir.service.demo_attacks import seed_demo_attacks
from nadhir.service.region import bundled_scenario
from nadhir.store import Store, default_url
from nadhir.store.attacks import AttackBook


def test_the_demo_drafts_two_attacks_once(tmp_path: Path) -> None:
    sites = load_scenario(bundled_scenario()).sites
    url = default_url(tmp_path / "demo.sqlite3")
    assert len(seed_demo_attacks(url, sites).added) == 2
    assert seed_demo_attacks(url, sites).added == ()  # a restarted demo keeps what it has
    with Store.open(url) as store:
        records = AttackRegister(AttackBook(store.engine), sites).records()
    assert sorted(r.facility.id for r in records) == [
        "idlib-national-hospital",
        "kafr-nabl-surgical-hospital",
    ]
    assert all(r.review == "draft" and len(r.sources) == 2 for r in records)
