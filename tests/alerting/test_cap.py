"""CAP 1.2: each message kind validates against the shipped schema and round trips; bad CAP is refused."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

import pytest
from approaches import toward
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.alerting.cap import (
    CapComposer,
    CapConfig,
    CapError,
    CapValidationError,
    alert_from_cap,
    cap_filename,
    format_cap_time,
    read_cap,
    render,
    to_xml,
    validate,
    write_cap_files,
)
from nadhir.domain import Alert, Problems, Site, TrackState

DATA = Path(__file__).resolve().parent.parent / "data"
T0 = 1746155144.0  # 2025-05-02T03:05:44Z

IDLIB = Site("idlib", "Idlib", "town", 35.9306, 36.6339, 3000.0, name_ar="إدلب", sirens=("s1", "s2"))
HOSPITAL = Site(
    "hosp-1", "Idlib National Hospital", "hospital", 35.93, 36.63, 300.0,
    polygon=((36.628, 35.928), (36.632, 35.928), (36.632, 35.932), (36.628, 35.932)),
)  # fmt: skip
SITES = [IDLIB, HOSPITAL]


def alert(
    t: float,
    action: str,
    level: str = "imminent",
    site: str = "idlib",
    eta: float | None = 420.0,
    threat: str = "jet",
    track: str | None = "T1",
) -> Alert:
    return Alert(
        t=T0 + t,
        action=action,
        site=site,
        level=level,
        threat=threat,  # type: ignore[arg-type]
        eta=None if eta is None else T0 + t + eta,
        confidence=0.734,
        track=track,
    )


def episode() -> list[Alert]:
    return [
        alert(0, "alert", "early", eta=600),
        alert(60, "update", "imminent", eta=300),
        alert(400, "update", "imminent", eta=30),
        alert(700, "all_clear", "imminent", eta=None),
    ]


def test_every_kind_of_message_is_valid_cap() -> None:
    composer = CapComposer(SITES)
    kinds = [
        *episode(),
        alert(900, "alert", "imminent", site="hosp-1", threat="helicopter", track=None),
        alert(950, "update", "early", site="hosp-1", threat="drone", eta=None),
        alert(1000, "all_clear", "early", site="hosp-1", threat="unknown", eta=None),
    ]
    for a in kinds:
        xml = to_xml(composer.compose(toward(a, 40.0, 220.0)))
        validate(xml)
        assert xml.startswith(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        )


def test_levels_and_actions_map_to_cap_codes() -> None:
    composer = CapComposer(SITES)
    early, imminent, _, clear = (composer.compose(a) for a in episode())
    assert [m.msg_type for m in (early, imminent, clear)] == ["Alert", "Update", "Cancel"]
    for m in (early, imminent, clear):
        assert m.scope == "Public" and m.status == "Actual"
        assert [i.language for i in m.infos] == ["ar", "en"]
        assert all(i.categories == ("Security",) for i in m.infos)
    e, i, c = early.infos[1], imminent.infos[1], clear.infos[1]
    assert (e.urgency, e.severity, e.certainty, e.response_types) == (
        "Expected",
        "Severe",
        "Possible",
        ("Prepare",),
    )
    assert (i.urgency, i.severity, i.certainty, i.response_types) == (
        "Immediate",
        "Extreme",
        "Likely",
        ("Shelter",),
    )
    assert (c.urgency, c.severity, c.certainty, c.response_types) == (
        "Past",
        "Minor",
        "Unlikely",
        ("AllClear",),
    )
    assert e.expires is not None and e.onset is not None and e.effective == early.sent
    assert e.expires > early.sent and c.onset is None


def test_sent_carries_the_local_offset_and_utc_is_minus_zero() -> None:
    m = CapComposer(SITES).compose(alert(0, "alert"))
    assert format_cap_time(m.sent) == "2025-05-02T06:05:44+03:00"
    assert b"<sent>2025-05-02T06:05:44+03:00</sent>" in to_xml(m)
    utc = CapComposer(SITES, CapConfig(tz="UTC")).compose(alert(0, "alert"))
    assert b"<sent>2025-05-02T03:05:44-00:00</sent>" in render(utc)
    fixed = CapComposer(SITES, CapConfig(tz="-04:30")).compose(alert(0, "alert"))
    assert format_cap_time(fixed.sent) == "2025-05-01T22:35:44-04:30"


def test_updates_and_all_clear_reference_the_episode() -> None:
    composer = CapComposer(SITES)
    msgs = [composer.compose(a) for a in episode()]
    assert msgs[0].references == ()
    assert msgs[1].references == (msgs[0].reference(),)
    assert msgs[2].references == (msgs[0].reference(), msgs[1].reference())
    assert msgs[3].references == tuple(m.reference() for m in msgs[:3])
    assert len({m.identifier for m in msgs}) == 4
    refs = read_cap(to_xml(msgs[3])).references
    assert [r.identifier for r in refs] == [m.identifier for m in msgs[:3]]
    assert str(refs[0]) == f"nadhir@nadhir.invalid,{msgs[0].identifier},2025-05-02T06:05:44+03:00"
    # A new episode after the all-clear starts afresh.
    again = composer.compose(alert(800, "alert"))
    assert again.references == ()
    assert composer.compose(alert(860, "update")).references == (again.reference(),)


def test_episode_goes_stale_after_twenty_minutes() -> None:
    composer = CapComposer(SITES)
    first = composer.compose(alert(0, "alert"))
    late = composer.compose(alert(1201, "update"))
    assert first.references == () and late.references == ()
    assert late.msg_type == "Update"
    assert composer.compose(alert(1300, "all_clear", eta=None)).references == (late.reference(),)


def test_episodes_are_kept_per_site() -> None:
    composer = CapComposer(SITES)
    a = composer.compose(alert(0, "alert"))
    composer.compose(alert(10, "alert", site="hosp-1"))
    b = composer.compose(alert(20, "update"))
    assert b.references == (a.reference(),)


def test_area_is_a_circle_or_the_site_polygon() -> None:
    composer = CapComposer(SITES)
    town = composer.compose(alert(0, "alert"))
    assert town.infos[0].areas[0].circles == ((35.9306, 36.6339, 3.0),)
    assert town.infos[0].areas[0].area_desc == "إدلب" and town.infos[1].areas[0].area_desc == "Idlib"
    assert b"<circle>35.9306,36.6339 3</circle>" in to_xml(town)
    hosp = composer.compose(alert(0, "alert", site="hosp-1"))
    ring = hosp.infos[1].areas[0].polygons[0]
    assert len(ring) == 5 and ring[0] == ring[-1] == (35.928, 36.628)
    assert hosp.infos[0].areas[0].area_desc == "Idlib National Hospital"  # no Arabic name: English kept
    assert hosp.infos[1].areas[0].geocodes == (("nadhir:site", "hosp-1"),)


def test_text_gives_threat_arrival_and_direction() -> None:
    m = CapComposer(SITES).compose(toward(alert(0, "alert", "imminent", eta=420), 44, 226))
    en, ar = m.info("en"), m.info("ar")
    assert en is not None and ar is not None
    assert en.description == (
        "NADHIR: TAKE SHELTER NOW. Warplane approaching Idlib, from the south-west, "
        "heading north-east, expected 06:12 (in 7 min)."
    )
    assert ar.description is not None and "طيران حربي" in ar.description and "06:12" in ar.description
    assert "الجنوب الغربي" in ar.description and "7 دقائق" in ar.description
    assert en.headline == "Take shelter now: warplane approaching Idlib"
    assert en.parameter("nadhir:heading_deg") == "44" and en.parameter("nadhir:from_deg") == "226"


def test_round_trip_keeps_every_field() -> None:
    composer = CapComposer(SITES)
    for a in [*episode(), alert(900, "alert", site="hosp-1", threat="drone", track=None)]:
        m = composer.compose(toward(a, 10.0))
        xml = to_xml(m)
        back = read_cap(xml)
        assert back == m
        assert to_xml(back) == xml
        recovered = alert_from_cap(back)
        assert recovered == dataclasses.replace(a, confidence=round(a.confidence, 3))


def test_reads_cap_from_other_systems() -> None:
    m = read_cap((DATA / "example-amber-alert.xml").read_bytes())
    assert m.identifier == "KAR0-0306112239-SW"
    assert format_cap_time(m.sent) == "2003-06-11T22:39:00-07:00"
    assert m.msg_type == "Alert" and m.source == "SW"
    assert [i.language for i in m.infos] == ["en-US", "es-US"]
    en = m.info("en")
    assert en is not None and en.event == "Child Abduction" and en.event_codes == (("SAME", "CAE"),)
    assert en.areas[0].geocodes == (("SAME", "006037"),)
    assert alert_from_cap(m) is None
    validate(to_xml(m))


BAD_CASES = [
    ("<sent>2025-05-02T06:05:44+03:00</sent>", "<sent>2025-05-02T06:05:44Z</sent>", "sent"),
    ("<scope>Public</scope>", "", "scope"),
    ("<msgType>Alert</msgType>", "<msgType>Warning</msgType>", "msgType"),
    ("<urgency>Immediate</urgency>", "<urgency>Now</urgency>", "urgency"),
    (
        "<identifier>nadhir-idlib-20250502T030544Z-1</identifier>",
        "<identifier>nadhir idlib</identifier>",
        "identifier",
    ),
    ("<circle>35.9306,36.6339 3</circle>", "<circle>35.9306 36.6339 3</circle>", "circle"),
    ("<circle>35.9306,36.6339 3</circle>", "<circle>95.9306,36.6339 3</circle>", "out of range"),
    (
        "<circle>35.9306,36.6339 3</circle>",
        "<polygon>35.9,36.6 35.9,36.7 36.0,36.7 36.0,36.6</polygon>",
        "not closed",
    ),
    ("<circle>35.9306,36.6339 3</circle>", "<polygon>35.9,36.6 35.9,36.7 35.9,36.6</polygon>", "at least 4"),
]


@pytest.mark.parametrize(("good", "bad", "says"), BAD_CASES)
def test_invalid_messages_are_refused_with_a_clear_reason(good: str, bad: str, says: str) -> None:
    xml = to_xml(CapComposer(SITES).compose(alert(0, "alert"))).decode()
    assert good in xml
    broken = xml.replace(good, bad, 1)
    with pytest.raises(CapValidationError, match=says):
        validate(broken)
    with pytest.raises(CapError):
        read_cap(broken)


def test_bad_references_are_refused() -> None:
    composer = CapComposer(SITES)
    composer.compose(alert(0, "alert"))
    xml = to_xml(composer.compose(alert(60, "update"))).decode()
    start = xml.index("<references>") + len("<references>")
    end = xml.index("</references>")
    with pytest.raises(CapValidationError, match="sender,identifier,sent"):
        validate(xml[:start] + "just-an-id" + xml[end:])


def test_not_cap_is_refused() -> None:
    with pytest.raises(CapError, match="well-formed"):
        read_cap(b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>")
    with pytest.raises(CapError, match=r"not a CAP 1\.2 message"):
        read_cap(b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.1'/>")
    with pytest.raises(CapError, match="DOCTYPE"):
        read_cap(b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><alert/>')
    with pytest.raises(CapError, match="unknown site"):
        CapComposer(SITES).compose(alert(0, "alert", site="nowhere"))


def test_lenient_read_skips_schema_but_still_needs_the_core() -> None:
    xml = to_xml(CapComposer(SITES).compose(alert(0, "alert"))).decode()
    odd = xml.replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>")
    assert read_cap(odd, strict=False).infos[0].urgency == "Now"
    with pytest.raises(CapError, match="missing <sender>"):
        read_cap(xml.replace("<sender>nadhir@nadhir.invalid</sender>", ""), strict=False)


def test_write_cap_files_one_file_per_alert_line(tmp_path: Path) -> None:
    alerts = [*episode()[:2], alert(100, "alert", site="nowhere"), *episode()[2:]]
    alerts[0] = toward(alerts[0], 40.0, 225.0)
    problems = Problems()
    n = write_cap_files(alerts, SITES, tmp_path / "cap", problems=problems)
    assert n == 4
    names = sorted(p.name for p in (tmp_path / "cap").iterdir())
    assert names == ["000001-idlib.xml", "000002-idlib.xml", "000004-idlib.xml", "000005-idlib.xml"]
    assert cap_filename(3, "a b/c") == "000003-a_b_c.xml"
    assert [(p.source, p.line) for p in problems.items] == [("cap", 3)]
    assert "unknown site 'nowhere'" in problems.items[0].reason
    msgs = [read_cap((tmp_path / "cap" / name).read_bytes()) for name in names]
    assert [m.msg_type for m in msgs] == ["Alert", "Update", "Update", "Cancel"]
    assert msgs[3].references == tuple(m.reference() for m in msgs[:3])
    en = msgs[0].info("en")
    assert en is not None and en.description is not None
    assert "from the south-west" in en.description and "heading north-east" in en.description
    # Same input, same bytes.
    write_cap_files(alerts, SITES, tmp_path / "again")
    for name in names:
        assert (tmp_path / "cap" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="sender"):
        CapConfig(sender="nadhir sender")
    with pytest.raises(ValueError, match="time zone"):
        CapConfig(tz="Mars/Olympus")
    with pytest.raises(ValueError, match="status"):
        CapConfig(status="Real")
    test_msg = CapComposer(SITES, CapConfig(status="Test")).compose(alert(0, "alert"))
    assert read_cap(render(test_msg)).status == "Test"


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(min_size=1, max_size=40),
    name_ar=st.one_of(st.none(), st.text(min_size=1, max_size=40)),
    lat=st.floats(-89.9, 89.9),
    lon=st.floats(-179.9, 179.9),
    radius=st.floats(0.0, 50_000.0),
    level=st.sampled_from(["early", "imminent"]),
    threat=st.sampled_from(["jet", "helicopter", "drone", "unknown"]),
    eta=st.one_of(st.none(), st.floats(-600.0, 3600.0)),
)
def test_any_site_and_alert_give_valid_cap_that_round_trips(
    name: str, name_ar: str | None, lat: float, lon: float, radius: float, level: str, threat: str,
    eta: float | None,
) -> None:  # fmt: skip
    site = Site("any-site", name, "town", lat, lon, radius, name_ar=name_ar)
    composer = CapComposer([site])
    for a in (
        Alert(T0, "alert", "any-site", level, threat, None if eta is None else T0 + eta, 0.5, None),  # type: ignore[arg-type]
        Alert(T0 + 60, "all_clear", "any-site", level, threat, None, 0.1, None),  # type: ignore[arg-type]
    ):
        xml = render(composer.compose(a))
        back = read_cap(xml)
        assert to_xml(back) == xml
        eta_s = None if a.eta is None else float(round(a.eta))  # CAP times are to the second
        assert alert_from_cap(back) == dataclasses.replace(
            a, t=float(round(a.t)), eta=eta_s, confidence=round(a.confidence, 3)
        )


BOUNDARIES = {
    22.5: "north-east",
    112.5: "south-east",
    202.5: "south-west",
    292.5: "north-west",
    337.5: "north",
}


@pytest.mark.parametrize(("bearing", "word"), BOUNDARIES.items())
def test_sms_cap_and_site_card_give_one_word_at_sector_boundaries(
    bearing: float, word: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An aircraft exactly between two points is named the same way everywhere (the SMS and CAP
    once said N/E/S/W where the console said NE/SE/SW/NW)."""
    from nadhir.alerting import approach as approach_mod
    from nadhir.alerting.text import compose_text

    monkeypatch.setattr(approach_mod, "bearing_deg", lambda *_: bearing)
    site = SITES[0]
    state = TrackState(T0, "T1", site.lat + 1.0, site.lon, 200.0, 10.0, "jet", 500.0)
    approach = approach_mod.approach_toward(state, site)  # what the alert and the site card carry
    a = replace(alert(0, "alert", "imminent", eta=420), approach=approach)
    sms = compose_text(a, site, "en")
    cap = CapComposer(SITES).compose(a).info("en")
    assert cap is not None and cap.description is not None
    assert f"from the {word}," in sms and f"from the {word}," in cap.description
    assert cap.parameter("nadhir:from_deg") == str(round(bearing + 0.01) % 360)
