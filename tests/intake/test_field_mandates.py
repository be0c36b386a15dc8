"""What a reporter may send field reports for: the places of its ``speaks_for``, read from
reporters.json, checked by one Mandates for the status, outcomes and shelter-site readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nadhir.domain import Problems, Reporter
from nadhir.domain.formats.scenario import load_reporters
from nadhir.intake.field_reports import FieldReportError, Mandates

MANDATES = Mandates(
    [
        Reporter(
            "obs-binnish-15", "observer", speaks_for=("idlib-maternity-hospital", "idlib-national-hospital")
        ),
        Reporter("obs-dana-11", "observer", speaks_for=("sarmada-hospital",)),
        Reporter("obs-hmeimim-0", "observer"),  # a lookout: sightings only
    ]
)


@pytest.mark.parametrize(
    ("reporter", "place"),
    [
        ("obs-binnish-15", "idlib-maternity-hospital"),
        ("obs-binnish-15", "idlib-national-hospital"),
        ("obs-dana-11", "sarmada-hospital"),
    ],
)
def test_a_reporter_may_report_for_its_own_places(reporter: str, place: str) -> None:
    MANDATES.check(reporter)
    MANDATES.check(reporter, place)


@pytest.mark.parametrize(
    ("reporter", "place", "arabic", "reason"),
    [
        ("obs-dana-11", "idlib-maternity-hospital", False,
         "obs-dana-11 does not report for idlib-maternity-hospital (reports for: sarmada-hospital)"),
        ("obs-hmeimim-0", "sarmada-hospital", False,
         "obs-hmeimim-0 does not report for sarmada-hospital (reports for: none)"),
        ("+963933000009", "sarmada-hospital", False, "+963933000009 is not a registered reporter"),
        ("+963933000009", None, False, "+963933000009 is not a registered reporter"),
        ("+963933000009", None, True, "المرسل غير مسجل"),
        ("obs-dana-11", "jisr-hospital", True, "المرسل لا يبلّغ عن jisr-hospital (يبلّغ عن: sarmada-hospital)"),
    ],
)  # fmt: skip
def test_any_other_place_or_sender_is_refused_with_the_reason(
    reporter: str, place: str | None, arabic: bool, reason: str
) -> None:
    with pytest.raises(FieldReportError) as refused:
        MANDATES.check(reporter, place, arabic=arabic)
    assert str(refused.value) == reason


def test_a_message_may_leave_out_the_place_only_of_a_reporter_with_one() -> None:
    assert MANDATES.only_place("obs-dana-11") == "sarmada-hospital"
    assert MANDATES.only_place("obs-binnish-15") is None  # two: the message must name one
    assert MANDATES.only_place("obs-hmeimim-0") is None
    assert MANDATES.only_place("stranger") is None


def test_reporters_json_lists_the_places_a_reporter_speaks_for(tmp_path: Path) -> None:
    path = tmp_path / "reporters.json"
    rows = [
        {"id": "obs-1", "kind": "observer", "trust": 0.8, "speaks_for": ["idlib-maternity-hospital"]},
        {"id": "obs-2", "kind": "observer"},
        {"id": "obs-3", "kind": "observer", "speaks_for": "idlib-maternity-hospital"},  # not a list
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    problems = Problems()
    reporters = load_reporters(path, problems)
    assert [(r.id, r.speaks_for) for r in reporters] == [
        ("obs-1", ("idlib-maternity-hospital",)),
        ("obs-2", ()),
    ]
    assert len(problems) == 1 and "speaks_for" in problems.items[0].reason
