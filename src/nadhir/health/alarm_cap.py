"""An outcome alarm as CAP 1.2: category ``Health``, for the health coordinators.

The message is ``Restricted`` (it names a facility and its patients' outcomes: it is for the
health cluster, not the public), ``Expected`` urgency and ``Possible`` certainty (a statistical
signal to investigate, not a confirmed event), in Arabic and English, with the facility as a
circle of the search radius. The detector's figures ride as parameters, so a receiving system
can read them without parsing text.
"""

from __future__ import annotations

import datetime as dt

from nadhir.alerting.cap.document import render
from nadhir.alerting.cap.message import ID_SAFE, CapArea, CapInfo, CapMessage
from nadhir.health.alarms import Facility, OutcomeAlarm, alarm_text

CAP_SENDER = "nadhir@nadhir.invalid"
RESTRICTION = "Health coordinators of the health cluster only"


def alarm_cap(
    alarm: OutcomeAlarm,
    facility: Facility | None,
    sent: float,
    *,
    sender: str = CAP_SENDER,
    radius_km: float = 15.0,
) -> CapMessage:
    """The CAP message of one alarm, sent at ``sent`` (POSIX seconds)."""
    at = dt.datetime.fromtimestamp(round(sent), dt.UTC)
    identifier = ID_SAFE.sub("-", f"nadhir-outcomes-{alarm.key}")[:200]
    params = (
        ("facility_id", alarm.facility_id),
        ("indicator", alarm.indicator),
        ("period_start", alarm.period_start.isoformat()),
        ("method", alarm.method),
        ("observed", f"{alarm.observed:g}"),
        ("expected", f"{alarm.expected:.3f}"),
        ("threshold", f"{alarm.threshold:.3f}"),
        ("completeness", "" if alarm.completeness is None else f"{alarm.completeness:.3f}"),
        ("flagged_incomplete", "true" if alarm.flagged else "false"),
        ("events_nearby", str(len(alarm.nearby))),
    )
    areas: tuple[CapArea, ...] = ()
    if facility is not None:
        areas = (CapArea(facility.name, circles=((facility.lat, facility.lon, radius_km),)),)
    infos = []
    for lang, event in (("ar", "ارتفاع في نتائج الولادة"), ("en", "Rise in birth outcomes")):
        text = alarm_text(alarm, facility, lang)
        infos.append(
            CapInfo(
                language=lang, categories=("Health",), event=event, urgency="Expected", severity="Moderate",
                certainty="Possible", response_types=("Assess",), audience="health coordinators",
                effective=at, headline=text[:160], description=text, parameters=params, areas=areas,
            )
        )  # fmt: skip
    return CapMessage(identifier, sender, at, "Actual", "Alert", "Restricted",
                      restriction=RESTRICTION, infos=tuple(infos))  # fmt: skip


def alarm_cap_xml(
    alarm: OutcomeAlarm, facility: Facility | None, sent: float, *, radius_km: float = 15.0
) -> bytes:
    """:func:`alarm_cap` rendered and validated against the CAP 1.2 schema."""
    return render(alarm_cap(alarm, facility, sent, radius_km=radius_km))
