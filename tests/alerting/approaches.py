"""Alerts carrying an approach, for the tests of the texts and CAP that read it."""

from __future__ import annotations

from dataclasses import replace

from nadhir.domain import Alert, Approach
from nadhir.geo.compass import compass_point


def approach_of(heading: float | None = None, frm: float | None = None) -> Approach:
    """An approach from bearing ``frm`` heading ``heading``, with their compass points."""
    return Approach(
        from_deg=frm,
        from_point=None if frm is None else compass_point(frm),
        heading_deg=heading,
        heading_point=None if heading is None else compass_point(heading),
    )


def toward(alert: Alert, heading: float | None = None, frm: float | None = None) -> Alert:
    """The alert carrying an approach from bearing ``frm``, heading ``heading``."""
    return replace(alert, approach=approach_of(heading, frm))
