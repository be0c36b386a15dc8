"""CAP 1.2 (OASIS Common Alerting Protocol) messages: writing, validating and reading.

Every line of ``alerts.jsonl`` becomes one CAP message for its site::

    composer = CapComposer(sites)
    for alert in alerts:                 # in issue order
        message = composer.compose(alert)
        xml = to_xml(message)            # UTF-8 bytes
        validate(xml)                    # raises CapValidationError

How an alert maps to CAP:

- ``action`` gives ``msgType``: ``alert`` -> ``Alert``, ``update`` -> ``Update``,
  ``all_clear`` -> ``Cancel``. An update or all-clear ``references`` every
  earlier message of the site's episode (an episode ends with its all-clear, or
  20 minutes after its last message, as in the scenario format).
- ``level`` gives urgency, severity and certainty: ``imminent`` ->
  Immediate / Extreme / Likely (response Shelter); ``early`` -> Expected /
  Severe / Possible (response Prepare); an all-clear -> Past / Minor /
  Unlikely (response AllClear).
- Two ``info`` blocks, Arabic (``ar``) then English (``en``), category
  Security, with headline, description (threat type, arrival time and
  direction when known), instruction and ``nadhir:*`` parameters that let a
  Nadhir alert be recovered from its CAP form (:func:`alert_from_cap`).
- ``area``: the site's polygon when it has one, else a circle
  ``"lat,lon radius_km"``; a geocode ``nadhir:site`` carries the site id.
- Times carry the local offset (``2025-05-02T06:05:44+03:00``); UTC is
  written ``-00:00`` as CAP requires.

:func:`validate` checks a message against the OASIS schema shipped in
``nadhir/data/cap/CAP-v1.2.xsd`` and the rules of the CAP 1.2 text that the
schema cannot express (identifier characters, ``references`` triples, closed
polygons, coordinate ranges, circle syntax). :func:`read_cap` reads CAP
1.2 from other systems into a :class:`CapMessage`.

The package's rooms: :mod:`.message` (the records and CAP times), :mod:`.document` (XML out,
safe XML in, validation), :mod:`.reading` (CAP from other systems) and :mod:`.composer`
(alerts to CAP, and a replay's CAP files). Their public names are listed here.
"""

from nadhir.alerting.cap.composer import (
    CapComposer,
    CapConfig,
    alert_from_cap,
    cap_filename,
    site_area,
    write_cap_files,
)
from nadhir.alerting.cap.document import format_circle, format_polygon, render, to_element, to_xml, validate
from nadhir.alerting.cap.message import (
    CAP_NS,
    EPISODE_STALE_S,
    LEVEL_CODES,
    MAX_XML_DEPTH,
    MSG_TYPES,
    CapArea,
    CapError,
    CapInfo,
    CapMessage,
    CapReference,
    CapResource,
    CapValidationError,
    format_cap_time,
    parse_cap_time,
)
from nadhir.alerting.cap.reading import read_cap

__all__ = [
    "CAP_NS",
    "EPISODE_STALE_S",
    "LEVEL_CODES",
    "MAX_XML_DEPTH",
    "MSG_TYPES",
    "CapArea",
    "CapComposer",
    "CapConfig",
    "CapError",
    "CapInfo",
    "CapMessage",
    "CapReference",
    "CapResource",
    "CapValidationError",
    "alert_from_cap",
    "cap_filename",
    "format_cap_time",
    "format_circle",
    "format_polygon",
    "parse_cap_time",
    "read_cap",
    "render",
    "site_area",
    "to_element",
    "to_xml",
    "validate",
    "write_cap_files",
]
