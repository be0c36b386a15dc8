"""What the text reader makes of one observer message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nadhir.domain import Action, AircraftType

# What a message is: a live sighting (or strike report), a summary of past sorties ("55 sorties
# from four airports today"), or a call to take cover that names no aircraft ("clear the
# streets"). Only a sighting says where an aircraft is now.
MessageKind = Literal["sighting", "summary", "take_cover"]


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """A message turned into fields, each with how sure the reader is of it.

    Positions: ``lat``/``lon`` is where the aircraft is seen, and ``sigma_m``
    how uncertain that is (a named town gives a few km; "the southern
    countryside of X" gives an area offset from X, with a larger sigma).
    ``place_id`` names the gazetteer entry or site the position came from.

    ``confidence`` is how usable the message is as a whole (aircraft, place,
    heading); each field also has its own confidence in 0..1 (0 when absent).
    ``unknown_place`` holds the words of a place the gazetteer does not know
    (then there is no position rather than a guess); ``rejection`` says why a
    message yielded nothing (empty, no recognisable word, ...).

    ``kind`` says whether the message is a live sighting at all: a summary of past sorties
    or a call to take cover is not, and comes back with action ``unknown`` and a
    ``rejection`` saying so, even when it names aircraft and places.
    """

    text: str
    aircraft: AircraftType = "unknown"
    aircraft_confidence: float = 0.0
    count: int | None = None
    action: Action = "unknown"
    place_id: str | None = None
    place_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    sigma_m: float | None = None
    toward_id: str | None = None
    origin_id: str | None = None
    heading_deg: float | None = None
    unknown_place: str | None = None
    confidence: float = 0.0
    place_confidence: float = 0.0
    count_confidence: float = 0.0
    action_confidence: float = 0.0
    heading_confidence: float = 0.0
    rejection: str | None = None
    kind: MessageKind = "sighting"
