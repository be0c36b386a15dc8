"""The pipeline factory: the one place that builds the warning pipeline, for replay and live."""

from __future__ import annotations

from nadhir.alerting.policy import PolicyConfig
from nadhir.alerting.siren_model import SirenModel
from nadhir.domain import Site
from nadhir.domain.formats.scenario import Scenario
from nadhir.engine.pipeline import Pipeline
from nadhir.threat.assessor import DroneLoiter
from nadhir.threat.learned import StrikeModel
from nadhir.tracking.bearing_rate import BearingRateGate
from nadhir.tracking.course_fix import AlongCourse
from nadhir.tracking.lateness import LatenessPrior
from nadhir.tracking.ring import RingPrior
from nadhir.tracking.sweep import SweepStart


def build_pipeline(
    scenario: Scenario,
    policy: PolicyConfig | None = None,
    strike_model: StrikeModel | None = None,
    sites: list[Site] | None = None,
    siren_model: SirenModel | None = None,
    lateness: LatenessPrior | None = None,
    ring: RingPrior | None = None,
    sweep: SweepStart | None = None,
    bearing_rate: BearingRateGate | None = None,
    drone_loiter: DroneLoiter | None = None,
    course_fix: AlongCourse | None = None,
) -> Pipeline:
    """The live pipeline, set up with a scenario's sites, gazetteer and reporters.

    With ``sites`` (a region's engine), it warns only those, in the scenario's frame.

    With no ``strike_model`` threats are judged on geometry alone, the
    default (see docs/threat-model.md for why the learned model is opt-in). With no
    ``siren_model`` sirens follow the policy's rules alone, the default (docs/benchmarks.md,
    "Siren model (issue 17)"). With no ``lateness`` a spotter's report is taken as late by a
    Gaussian spread about zero, the default; a one-sided prior is opt-in (docs/benchmarks.md,
    "Tenth session"). With no ``ring`` a track's velocity prior is Gaussian throughout, the
    default; folding a jet's speed into tracks whose direction is known but speed vague is opt-in
    (``tracking/ring.py``; docs/benchmarks.md, "Tenth session"). With no ``sweep`` a track starts
    from bearings only where two nodes' bearings cross, the default; a lone node's sweep of jet
    bearings placing a jet is opt-in (``tracking/sweep.py``; docs/benchmarks.md, "Eleventh session").
    With no ``bearing_rate`` a bearing is gated to tracks by its direction alone, the default; also
    by how fast its node's bearing turned is opt-in (``tracking/bearing_rate.py``; same section).
    With no ``drone_loiter`` a drone track's threat follows its estimated motion, the default; taking
    a drone track too slow to fly as a loiter over the sites around it is opt-in
    (``threat/assessor.py``, ``DroneLoiter``; docs/benchmarks.md, "Twelfth session, drones on real
    flights").
    With no ``course_fix`` a bearing moves a track only across its ray, the default; a node's
    bearings placing a track's aircraft ahead of it on its course moving the track along it is
    opt-in (``tracking/course_fix.py``; docs/benchmarks.md, "Twelfth session, along-course fix").
    """
    from nadhir.intake.text import MessageReader

    frame_origin = None
    if sites is not None:
        frame_origin = (
            sum(s.lat for s in scenario.sites) / len(scenario.sites),
            sum(s.lon for s in scenario.sites) / len(scenario.sites),
        )
    return Pipeline(
        scenario.sites if sites is None else sites,
        scenario.places,
        scenario.reporters,
        reader_factory=MessageReader,
        policy_config=policy,
        strike_model=strike_model,
        frame_origin=frame_origin,
        siren_model=siren_model,
        lateness=lateness,
        ring=ring,
        sweep=sweep,
        bearing_rate=bearing_rate,
        drone_loiter=drone_loiter,
        course_fix=course_fix,
    )
