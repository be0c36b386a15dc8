"""The answers several routers give: a site with its status, an alert, a run."""

from __future__ import annotations

from typing import Any

from nadhir.domain import Site
from nadhir.domain.formats.output import alert_to_dict
from nadhir.service.runtime import Service


def site_out(svc: Service, site: Site, status: dict[str, Any]) -> dict[str, Any]:
    """A site as ``SiteOut``: its shelter time as the policy sees it, and its status."""
    policy = svc.engine.core.policy if svc.engine is not None else None
    shelter = policy.shelter_s(site) if policy is not None else (site.shelter_seconds or 0.0)
    return {
        "id": site.id,
        "name": site.name,
        "name_ar": site.name_ar,
        "kind": site.kind,
        "lat": site.lat,
        "lon": site.lon,
        "radius_m": site.radius_m,
        "population": site.population,
        "sirens": list(site.sirens),
        "shelter_seconds": shelter,
        "status": status,
    }


def empty_status(site_id: str) -> dict[str, Any]:
    """The status of a site under no threat."""
    return {
        "id": site_id,
        "level": None,
        "probability": None,
        "eta_s": None,
        "aircraft": None,
        "track": None,
        "from": None,
        "cue": None,
        "since_s": None,
        "confirmed": False,
        "manual": False,
    }


def status(svc: Service, site_id: str) -> dict[str, Any]:
    """A site's status now, as the live core shows it."""
    if svc.engine is None:
        return empty_status(site_id)
    with svc.engine.core.lock:
        return dict(svc.engine.core.site_views.get(site_id) or empty_status(site_id))


def site_now(svc: Service, site_id: str) -> dict[str, Any]:
    """A known site as ``SiteOut``, with its status now."""
    return site_out(svc, svc.sites[site_id], status(svc, site_id))


def alert_out(svc: Service, alert: Any) -> dict[str, Any]:
    """An alert as ``AlertOut``: its wire form, with the site's names."""
    site = svc.sites.get(alert.site)
    return {
        **alert_to_dict(alert),
        "t_s": alert.t,
        "eta_s": alert.eta,
        "site_name": site.name if site else None,
        "site_name_ar": site.name_ar if site else None,
    }


def run_out(svc: Service, info: Any) -> dict[str, Any]:
    """A stored run as ``RunOut`` (``live``: the run this service writes now)."""
    return {
        "id": info.id,
        "name": info.name,
        "scenario": info.scenario,
        "started_at": info.started_at,
        "finished_at": info.finished_at,
        "stats": info.stats,
        "live": info.id == svc.run_id,
    }
