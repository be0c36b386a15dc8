"""Open episodes read back from the store: a site's latest alert across the runs given decides."""

from __future__ import annotations

from pathlib import Path

from nadhir.domain import Alert, Site
from nadhir.store import Store, default_url

SITES = [Site(id=s, name=s, kind="town", lat=35.9, lon=36.6, radius_m=2000) for s in ("a", "b", "c", "d")]


def alert(t: float, action: str, site: str, level: str = "imminent", eta: float | None = None) -> Alert:
    return Alert(t=t, action=action, site=site, level=level, threat="jet", eta=eta, confidence=0.9,  # type: ignore[arg-type]
                 track="T1")  # fmt: skip


def test_latest_alert_per_site_across_runs_decides(tmp_path: Path) -> None:
    with Store.open(default_url(tmp_path)) as store:
        one = store.start_run("live", None, SITES, started_at=0.0)
        store.add_alerts(one, [
            alert(10, "alert", "a", "early"), alert(20, "update", "a"), alert(30, "update", "a", "early"),
            alert(10, "alert", "b"), alert(15, "all_clear", "b"), alert(40, "alert", "b", "early", eta=100.0),
            alert(10, "alert", "c"),
            alert(10, "alert", "d"),
        ])  # fmt: skip
        two = store.start_run("live", None, SITES, started_at=50.0)
        store.add_alerts(two, [alert(60, "all_clear", "c"), alert(70, "update", "d", "early")])
        other = store.start_run("replay", None, SITES, started_at=0.0)
        store.add_alerts(other, [alert(5, "alert", "c")])
        episodes = {e.site: e for e in store.open_episodes([one, two])}
        assert sorted(episodes) == ["a", "b", "d"]
        a, b, d = episodes["a"], episodes["b"], episodes["d"]
        # Downgraded after sounding: early now, sirens reached, since its first alert.
        assert (a.level, a.sirens, a.started, a.last_sent, a.run_id) == ("early", True, 10.0, 30.0, one)
        # Reopened after an all-clear: only the new episode counts.
        assert (b.level, b.sirens, b.started, b.eta) == ("early", False, 40.0, 100.0)
        # Carried on in the next run.
        assert (d.level, d.sirens, d.started, d.last_sent, d.run_id) == ("early", True, 10.0, 70.0, two)
        assert store.open_episodes([]) == []
        assert [e.site for e in store.open_episodes([other])] == ["c"]
