"""How ready a site's people are to be warned: a plain record the alert policy reads.

The policy warns every site the same way by its kind. Some sites say more about themselves: a
hospital that has closed or been evacuated has no one left to take shelter at a siren's call,
and one with newborns in incubators or an operation under way needs longer to move its people.
The health room works this out from each facility's status (:mod:`nadhir.health.readiness`); the
service hands it to the policy (:meth:`nadhir.alerting.policy.AlertPolicy.set_readiness`). A site
without one is warned as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_EXTRA_LEAD_S = 1800.0  # half an hour: beyond it the imminent window means little


@dataclass(frozen=True, slots=True)
class SiteReadiness:
    """A site's own terms for its warning.

    ``sirens``: whether a siren there calls anyone to shelter (False: phones only).
    ``extra_lead_s``: seconds its people need beyond its kind's shelter time (warned that much
    earlier). ``reason``: why, for logs and the console.
    """

    sirens: bool = True
    extra_lead_s: float = 0.0
    reason: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.extra_lead_s) and 0.0 <= self.extra_lead_s <= MAX_EXTRA_LEAD_S):
            raise ValueError(
                f"extra lead must be between 0 and {MAX_EXTRA_LEAD_S:.0f} s, not {self.extra_lead_s}"
            )

    @property
    def ordinary(self) -> bool:
        """Whether this changes nothing (sirens as usual, no extra lead)."""
        return self.sirens and self.extra_lead_s == 0.0
