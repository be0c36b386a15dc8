"""Warnings reach displacement sites: on the demo scenario with the stadium and the camps added, the
sites under threat get alerts, and what their people read is their own advice for tents and open
ground, not a town's "go to the basement"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.replay import replay_scenario
from nadhir.service.app import create_app
from nadhir.service.region import DATA, bundled_scenario, load_region
from nadhir.service.settings import Settings
from nadhir.shelters.csv_format import read_csv
from nadhir.shelters.sites import latest
from nadhir.shelters.warned import advice, merged_sites, warned_site

DEMO_SITES = DATA / "shelters" / "demo-idlib.csv"


@pytest.fixture(scope="module")
def region_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo region with its displacement sites added to the warned sites."""
    root = tmp_path_factory.mktemp("region") / "idlib-with-camps"
    shutil.copytree(bundled_scenario(), root)
    updates = read_csv(DEMO_SITES.read_text(encoding="utf-8")).updates
    sites = json.loads((root / "sites.geojson").read_text(encoding="utf-8"))
    merged = merged_sites(sites, latest(updates).values())
    (root / "sites.geojson").write_text(json.dumps(merged, ensure_ascii=False), encoding="utf-8")
    return root


def test_displacement_sites_under_threat_are_alerted(region_dir: Path) -> None:
    scenario = load_scenario(region_dir)
    assert not scenario.problems.items
    kinds = {s.id: s.kind for s in scenario.sites}
    assert kinds["idlib-stadium"] == "collective-centre" and kinds["atmeh-olive-grove"] == "camp"
    result = replay_scenario(scenario, keep=True)
    alerted = {a.site for a in result.alerts if a.action == "alert"}
    # The stadium is in Idlib city, the Karama camp by Sarmada: both on the demo's attack paths.
    assert {"idlib-stadium", "sarmada-al-karama"} <= alerted
    stadium = [a for a in result.alerts if a.site == "idlib-stadium"]
    assert stadium[0].action == "alert" and stadium[-1].action == "all_clear"
    assert any(a.level == "imminent" for a in stadium)


def test_each_displacement_site_has_its_own_advice(region_dir: Path) -> None:
    region = load_region(region_dir)
    stadium = region.instructions("idlib-stadium")
    assert stadium == advice("collective-centre")
    assert stadium["en"][0].startswith("There is no basement here")
    assert region.instructions("atmeh-olive-grove") == advice("camp")
    assert region.instructions("atmeh-olive-grove")["ar"][0].startswith("اخرجوا من الخيام")
    town = region.instructions("idlib")
    assert "basement" in " ".join(town["en"]) and town != stadium


def test_the_stadiums_kiosk_shows_its_advice_beside_its_status(region_dir: Path, tmp_path: Path) -> None:
    settings = Settings(db=f"sqlite:///{tmp_path / 'k.sqlite3'}", scenario=region_dir)
    with TestClient(create_app(settings)) as client:
        kiosk = client.get("/api/v1/kiosk/idlib-stadium")
        assert kiosk.status_code == 200, kiosk.text
        assert kiosk.json()["instructions"] == advice("collective-centre")


def test_a_warned_site_carries_its_people_and_shelter_time() -> None:
    stadium = latest(read_csv(DEMO_SITES.read_text(encoding="utf-8")).updates)["idlib-stadium"]
    site = warned_site(stadium)
    assert (site.kind, site.population, site.shelter_seconds) == ("collective-centre", 1060, 180.0)
    assert site.radius_m >= 200.0


def test_live_the_schools_alert_comes_with_its_own_advice(region_dir: Path, tmp_path: Path) -> None:
    """The demo fed live through the region with the displacement sites: Dana's school (a collective
    centre) is warned, and while its alert is open its kiosk shows the no-basement advice."""
    import time

    from nadhir.service.app import DemoOptions
    from nadhir.service.settings import token_spec

    viewer = token_spec("viewer", "vera", "viewer-token-0123456789ab")
    settings = Settings(db=f"sqlite:///{tmp_path / 'live.sqlite3'}", scenario=region_dir, tokens=(viewer,))
    headers = {"Authorization": "Bearer viewer-token-0123456789ab"}
    with TestClient(create_app(settings, demo=DemoOptions(speed=60))) as client:
        deadline = time.monotonic() + 60
        kiosk: dict[str, object] = {}
        while time.monotonic() < deadline:
            alerts = client.get("/api/v1/alerts", headers=headers).json()
            if any(a["site"] == "dana-school" and a["action"] == "alert" for a in alerts):
                kiosk = client.get("/api/v1/kiosk/dana-school", headers=headers).json()
                break
            time.sleep(0.2)
        assert kiosk, "no alert for the school in time"
        assert kiosk["instructions"] == advice("collective-centre")
        site = kiosk["site"]
        assert isinstance(site, dict) and site["kind"] == "collective-centre" and site["population"] == 205
        assert site["status"]["level"] in ("early", "imminent")  # the alert is open (9 min, 9 s at x60)
