"""Nadhir's own scenario simulator: synthetic air-attack days in the shared scenario format.

The simulator exists so that the project can train and test on data that are
*not* the public scenarios: other regions, other seeds, other twists. It is
driven by a :class:`Region` (a data file under ``nadhir_lab/data/regions``: towns,
hospitals, schools, camps, villages, air bases, how busy the sky is and how
many observers and sensors listen) and a seed. Place names live only in the
region files; this package holds the physics, the people and the phrasing.

What it models
--------------
* **Sorties** in waves. Jets (180-250 m/s) transit over a few dog-leg
  waypoints, fly 2-4 strike passes from alternating initial points a few
  minutes apart, diving to attack altitude, and return. Helicopters (50-70 m/s)
  approach, hover over the aim point and drop, 1-4 times. Drones (25-40 m/s)
  loiter in circles; armed ones leave the circle to strike, some are one-way.
  Reconnaissance sorties of every type circle a town and never strike.
  Formations of 1-3 aircraft fly close together (wingmen trail the leader by
  a lag that closes after take-off, with a lateral offset).
* **Truth**: each aircraft's path every 5 s with altitude; strikes a few
  hundred metres around the aim (a district of a town, or a facility), with
  an occasional miss well outside the site.
* **Observers** at lookout posts near bases, in towns and on hills. Each has
  a range per aircraft type, an activity level, a delay (20-90 s, sometimes
  longer), a position error that grows with distance, a chance of naming the
  wrong type, a language mix, and a style: structured app messages, free text
  in Arabic or English (over/near a place, "east of X", "5 km north of X",
  heading in 8 compass words, takeoff from a base, circling, striking, counts
  with Arabic dual forms), or both. Place names come from the gazetteer and
  the sites, with aliases and generic misspellings.
* **Relay channels** forward observers' texts with their own prefixes and
  delays (duplicates of one sighting).
* **Acoustic sensors** (a jittered grid or nodes scattered around towns) hear
  aircraft within type-dependent ranges. A detection is received one sound
  travel time after emission and bears on the *emission* point, with Gaussian
  bearing noise of the sensor's stated sigma and rare outliers; classes are
  confused (drones often sound like "propeller"); strikes are heard as
  explosions; every node has clutter detections.
* **Impacts** after strikes: civil-defence teams and nearby observers, with
  delays, by coordinates or by place name.

Twists (any subset of :data:`TWISTS`): ``spoofer`` (a source sending false
sightings), ``malformed`` (unparseable lines), ``silent_sensors`` (nodes dying
mid-scenario), ``burst`` (a few minutes of message flood around a strike),
``unknown_places`` (villages that are not in the gazetteer), ``unlisted_teams``
(civil-defence teams that report strikes but are missing from
``reporters.json``, as in the public scenarios: their reports come from
strangers to the system).

Everything is drawn from ``numpy`` generators spawned from one seed, one
stream per component, so a seed gives the same bytes every time and a twist
never changes the flights.

Layout (one module per part, each importing only the ones listed before it):
:mod:`.regions` (the region file), :mod:`.scenario` (the results and how they
are written), :mod:`.world` (the metric frame, random draws, geometry),
:mod:`.recorded` (real recorded flights placed over a region),
:mod:`.flight` (sorties planned and flown), :mod:`.phrasing` (how people write),
:mod:`.observers` (observers, relays, impacts), :mod:`.sensors` (acoustic nodes),
:mod:`.twists`, and :mod:`.assembly` (:func:`simulate`).
Names with a leading underscore are private to this package, not to one
module: the parts share them. This module lists what the package offers.
"""

from nadhir_lab.simulator.assembly import MAX_SENSORS, simulate, summary
from nadhir_lab.simulator.recorded import RECORDED_SETS, RecordedFlight, recorded_flights
from nadhir_lab.simulator.regions import (
    KINDS,
    AirBase,
    Kind,
    Region,
    RegionError,
    RegionPlace,
    RegionSite,
    SensorPlan,
    list_regions,
    load_region,
)
from nadhir_lab.simulator.scenario import (
    GENERATOR,
    PATH_STEP_S,
    SimAircraft,
    SimEvent,
    SimStrike,
    SimulatedScenario,
    Sortie,
    write_scenario,
)
from nadhir_lab.simulator.twists import TWISTS

__all__ = [
    "GENERATOR",
    "KINDS",
    "MAX_SENSORS",
    "PATH_STEP_S",
    "RECORDED_SETS",
    "TWISTS",
    "AirBase",
    "Kind",
    "RecordedFlight",
    "Region",
    "RegionError",
    "RegionPlace",
    "RegionSite",
    "SensorPlan",
    "SimAircraft",
    "SimEvent",
    "SimStrike",
    "SimulatedScenario",
    "Sortie",
    "list_regions",
    "load_region",
    "recorded_flights",
    "simulate",
    "summary",
    "write_scenario",
]
