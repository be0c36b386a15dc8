"""The shelter-site field message: claimed by its opening, kept as a new update, or refused with a reason."""

from __future__ import annotations

import pytest

from nadhir.domain import Reporter
from nadhir.domain.displacement import SiteUpdate
from nadhir.intake.field_reports import FieldReportError, FieldReports, Mandates
from nadhir.shelters.field import ShelterSiteReader, read_figures
from nadhir.shelters.sites import latest

T0 = 1_796_457_600.0  # 2026-12-05T08:00:00Z
STADIUM = SiteUpdate(
    "idlib-stadium", "Idlib Municipal Stadium", "collective-centre", 35.9306, 36.6339, T0 - 86_400,
    name_ar="الملعب البلدي في إدلب", households=180, individuals=1000, latrines_working=3, tents=200,
    tents_flooded=20, water_litres_per_day=20000.0, covered_area_m2=4000.0,
)  # fmt: skip


class Register:
    """A register in memory, as the store's book behaves."""

    def __init__(self, *updates: SiteUpdate) -> None:
        self.updates = list(updates)

    def last_of(self, site_id: str) -> SiteUpdate | None:
        return latest(self.updates).get(site_id)

    def keep(self, update: SiteUpdate) -> str | None:
        self.updates.append(update)
        return None


# The stadium's focal points (as reporters.json lists them); obs-dana-11 speaks for another site.
FOCAL = Mandates([Reporter("obs-idlib-3", "observer", speaks_for=("idlib-stadium",)),
                  Reporter("obs", "observer", speaks_for=("idlib-stadium",)),
                  Reporter("obs-dana-11", "observer", speaks_for=("dana-school",))])  # fmt: skip


@pytest.fixture
def register() -> Register:
    return Register(STADIUM)


@pytest.fixture
def reports(register: Register) -> FieldReports:
    return FieldReports([ShelterSiteReader(register.last_of, register.keep, FOCAL)])


def test_the_stadium_message_is_kept_as_a_new_update(reports: FieldReports, register: Register) -> None:
    reply = reports.route(
        "obs-idlib-3", "site idlib-stadium: households 212, latrines 4, tents flooded 30", T0
    )
    assert reply is not None and reply.accepted and reply.kind == "shelter-site"
    assert reply.text == (
        "Kept for Idlib Municipal Stadium: households 212, latrines working 4, tents flooded 30 "
        "(as of 2026-12-05T08:00:00Z); below Sphere: latrines, flooding."
    )
    new = register.updates[-1]
    assert (new.households, new.latrines_working, new.tents_flooded, new.tents) == (212, 4, 30, 200)
    assert new.updated == T0 and new.source == "field:obs-idlib-3"
    assert len(register.updates) == 2  # the first update is kept as it was


def test_the_arabic_message_with_arabic_digits(reports: FieldReports, register: Register) -> None:
    reply = reports.route("obs-idlib-3", "موقع idlib-stadium: عائلات ٢١٢، مراحيض ٤، خيام غارقة ٣٠", T0)
    assert reply is not None and reply.accepted
    assert reply.text.startswith("تم تسجيل الملعب البلدي في إدلب: عائلات 212، مراحيض 4، خيام غارقة 30")
    assert "المراحيض" in reply.text
    assert register.updates[-1].tents_flooded == 30


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("site atmeh-olive: households 300", "unknown site atmeh-olive"),
        ("site idlib-stadium: toilets 4, goats 12", "'goats' is not a figure"),
        ("site idlib-stadium: latrines 4, toilets 5", "latrines working given twice"),
        ("site idlib-stadium: tents flooded 300", "300 is more than the 200 tents"),
        ("site idlib-stadium: latrines 4.5", "must be a whole number"),
        ("site idlib-stadium: latrines", "give one number with each name"),
        ("site idlib-stadium:", "no figures"),
        ("site idlib-stadium: households 2000", "cannot hold only 1000"),
    ],
)
def test_a_bad_message_is_refused_and_nothing_kept(
    reports: FieldReports, register: Register, text: str, reason: str
) -> None:
    reply = reports.route("obs-idlib-3", text, T0)
    assert reply is not None and not reply.accepted and reason in reply.text
    assert register.updates == [STADIUM]


def test_sightings_are_not_claimed(reports: FieldReports) -> None:
    for text in ("موقع القصف في سراقب الآن", "site of the strike near Saraqeb", "طيران حربي فوق المخيم"):
        assert reports.route("obs-1", text, T0) is None


def test_a_figure_may_come_before_its_name() -> None:
    assert read_figures("212 households; 4 latrines\n9000 water") == {
        "households": 212, "latrines_working": 4, "water_litres_per_day": 9000.0,
    }  # fmt: skip


def test_a_message_older_than_the_last_update_is_refused(register: Register) -> None:
    reader = ShelterSiteReader(register.last_of, register.keep, FOCAL)
    with pytest.raises(FieldReportError, match="has a later update"):
        reader.take("obs", "site idlib-stadium: latrines 5", STADIUM.updated - 3600)
    assert register.updates == [STADIUM]


@pytest.mark.parametrize(
    ("reporter", "reason"),
    [("obs-dana-11", "obs-dana-11 does not report for idlib-stadium (reports for: dana-school)"),
     ("stranger", "stranger is not a registered reporter")],
)  # fmt: skip
def test_only_the_site_s_own_reporters_may_send_its_figures(
    reports: FieldReports, register: Register, reporter: str, reason: str
) -> None:
    reply = reports.route(reporter, "site idlib-stadium: households 212", T0)
    assert reply is not None and not reply.accepted and reply.text == reason
    assert register.updates == [STADIUM]
