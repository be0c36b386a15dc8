"""The pipeline factory: the one place that builds the warning pipeline, for replay and live."""

from __future__ import annotations

from nadhir.alerting.policy import PolicyConfig
from nadhir.domain.formats.scenario import Scenario
from nadhir.engine.pipeline import Pipeline
from nadhir.threat.learned import StrikeModel


def build_pipeline(
    scenario: Scenario, policy: PolicyConfig | None = None, strike_model: StrikeModel | None = None
) -> Pipeline:
    """The live pipeline, set up with a scenario's sites, gazetteer and reporters.

    With no ``strike_model`` threats are judged on geometry alone, the
    default (see docs/threat-model.md for why the learned model is opt-in).
    """
    from nadhir.intake.text import MessageReader

    return Pipeline(
        scenario.sites,
        scenario.places,
        scenario.reporters,
        reader_factory=MessageReader,
        policy_config=policy,
        strike_model=strike_model,
    )
