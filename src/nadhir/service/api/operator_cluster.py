"""The operator's site actions in the console role: carried to the regions' engines through their
streams (:mod:`nadhir.service.stream_actions`), answered as the one-process service answers.

The engine that carries an action out writes its audit row (accepted, or refused by the policy);
the console writes the rows of what it refuses itself (no such site) and of what no engine answered
in time (failed, 503).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import HTTPException

from nadhir.service.api.deps import by, retry_headers
from nadhir.service.api.views import alert_out
from nadhir.service.auth import Principal
from nadhir.service.runtime import Service
from nadhir.service.stream_actions import ActionDesk, ActionFailed, OperatorAsk, alert_from_wire

RETRY_S = 2.0


async def cluster_act(
    svc: Service, desk: ActionDesk, action: str, site: str, principal: Principal, timeout_s: float,
    **kwargs: Any,
) -> dict[str, Any]:  # fmt: skip
    """One site action (confirm, cancel, manual alert, test alarm) through the site's region's engine
    (every region's, for a test alarm at ``all``); the alerts it sent, as ``OperatorResult``."""
    engine, _ = svc.live()
    who = by(principal)
    asked = {k: v for k, v in kwargs.items() if v is not None}

    async def audit(result: str, reason: str, status: int) -> None:
        await asyncio.to_thread(engine.audit, engine.clock.now(), who, action, site, result,  # type: ignore[arg-type]
                                reason, {**asked, "status": status})  # fmt: skip

    if site not in svc.sites and not (action == "test_alarm" and site == "all"):
        await audit("refused", f"no site {site!r}", 404)
        raise HTTPException(404, f"no site {site!r}")
    site_id = "*" if site == "all" else site
    regions = [p.id for p in svc.partitions() if site_id == "*" or site_id in p.sites]
    ask = OperatorAsk(
        id=desk.new_id(), action=action, site=site_id, by=who, asked=engine.clock.now(),
        deadline=time.time() + timeout_s, note=kwargs.get("note"),
        **{k: kwargs[k] for k in ("level", "aircraft", "eta") if kwargs.get(k) is not None},
    )  # fmt: skip
    try:
        answers = await asyncio.to_thread(desk.ask, ask, regions)
    except ActionFailed as exc:
        await audit("failed", str(exc), 503)
        raise HTTPException(503, str(exc), headers=retry_headers(RETRY_S)) from exc
    # Refused (audited by the engine that refused it): the first region's reason, as one engine gives.
    for region in regions:
        reply = answers[region]
        if reply["state"] == "refused":
            raise HTTPException(int(reply["status"]), str(reply["reason"]))
    alerts = [alert_from_wire(a) for region in regions for a in answers[region]["alerts"]]
    return {
        "action": action,
        "site": site,
        "by": who,
        "t": min(float(answers[r]["t"]) for r in regions),
        "alerts": [alert_out(svc, a) for a in alerts],
    }
