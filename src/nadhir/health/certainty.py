"""SSA's level of certainty of an attack, derived from the kinds of its sources.

WHO's Surveillance System for Attacks on Health Care grades each attack on four levels instead
of "verified / not verified" (SSA methodology v1.0, WHO/WHE/EMO/2019.2/BRO, 2018): Rumour,
Possible, Probable, Confirmed. The level rests on *what kind* of evidence there is, not on how
much of one kind: ten social-media posts are still a rumour, and three news items are still one
secondary account. What raises the level is a better kind of evidence: an eyewitness (a victim,
a member of the facility's staff, someone who saw it), photographic or video evidence, or a
verification on the spot by WHO or the health cluster. docs/health.md has the table and the
cases the tests check one by one, and says which sources were searched: the level names and
"source of information" as what they grade are SSA's (Meier, Rice and Bandara, Health and Human
Rights 23(1), 2021, table 1); the methodology's own table of definitions was not found, so the
rules are this reading of them, to be checked against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

Certainty = Literal["rumour", "possible", "probable", "confirmed"]
CERTAINTIES: tuple[Certainty, ...] = get_args(Certainty)  # lowest first

# The kinds of source, from the weakest. ``report`` is a Nadhir observer's impact report and
# ``sensor`` an explosion Nadhir's acoustic nodes located: both say a strike fell near the
# facility, neither that it hit it, so each stands as one secondary account.
SourceKind = Literal[
    "social_media",  # unattributed open source: social media, word of mouth
    "media",  # a news outlet's report
    "health_partner",  # a health partner's or NGO's report, not from the scene
    "report",  # a Nadhir observer's impact report
    "sensor",  # an explosion located by Nadhir's acoustic nodes
    "eyewitness",  # a direct witness or victim, the facility's own staff
    "photo_video",  # photographic or video evidence of the attack
    "verified",  # verified on the spot by WHO or the health cluster
]
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)

SECONDARY: frozenset[SourceKind] = frozenset({"media", "health_partner", "report", "sensor"})
DIRECT: frozenset[SourceKind] = frozenset({"eyewitness", "photo_video"})


def certainty(kinds: Iterable[SourceKind]) -> Certainty:
    """The level of certainty of an attack known from sources of these kinds.

    Only the set of kinds matters (a second source of a kind already there raises nothing):

    - ``confirmed``: verified on the spot, or an eyewitness *and* photo/video evidence;
    - ``probable``: an eyewitness, or photo/video evidence;
    - ``possible``: a secondary account (news, a health partner, an observer's impact report,
      an acoustic location), however many;
    - ``rumour``: nothing better than unattributed open sources (or no source at all).
    """
    present = set(kinds)
    if "verified" in present or present >= DIRECT:
        return "confirmed"
    if present & DIRECT:
        return "probable"
    if present & SECONDARY:
        return "possible"
    return "rumour"
