"""A displacement site's figures sent by its focal point, by SMS or Telegram.

::

    site idlib-stadium: households 212, latrines 4, tents flooded 30
    موقع idlib-stadium: عائلات ٢١٢، مراحيض ٤، خيام غارقة ٣٠

The message opens with the keyword (``site`` or ``موقع``), the site's id and a colon: that shape is
what claims it (:meth:`ShelterSiteReader.claims`), so a sighting that happens to begin with the word
"site" ("موقع القصف ...") is not swallowed. Then figures, each a name and a whole number (or the
number first: ``212 households``), separated by commas (``,`` ``،``), semicolons or new lines.
Arabic-Indic digits are read.

The sender must speak for the site (its ``speaks_for`` in ``reporters.json``, checked by
:class:`~nadhir.intake.field_reports.Mandates` as for the health reports). The figures change the
site's last update into a new one as of the message's time; what is not named stays as it was. A
site never registered (by CSV, the console or the API), an unknown name,
a figure given twice, or a figure that breaks a rule (more flooded tents than tents) is refused
with a reason, and nothing is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from nadhir.domain.displacement import SiteRecordError, SiteUpdate
from nadhir.domain.timefmt import format_time
from nadhir.geo.names import fold_arabic, has_arabic
from nadhir.intake.field_reports import FieldReportError, Mandates
from nadhir.shelters.sites import applied
from nadhir.shelters.sphere import gaps

KIND = "shelter-site"
KEYWORDS = ("site", "موقع")
MAX_FIGURES = 12

# Each figure's names, English and Arabic (as people write them on a phone).
NAMES: dict[str, tuple[str, ...]] = {
    "households": ("households", "household", "families", "hh",
                   "عائلات", "العائلات", "اسر", "الاسر", "عوائل"),
    "individuals": ("individuals", "people", "persons", "ind", "افراد", "الافراد", "اشخاص", "نازحين"),
    "latrines_working": ("latrines", "toilets", "latrines working", "مراحيض", "المراحيض", "دورات مياه"),
    "showers_working": ("showers", "showers working", "حمامات", "الحمامات", "دوشات"),
    "tents": ("tents", "خيام", "الخيام", "خيم"),
    "tents_flooded": ("tents flooded", "flooded tents", "flooded", "damaged tents", "tents damaged",
                      "خيام غارقة", "خيام غارقه", "خيام متضررة", "خيام متضرره", "غارقة", "غارقه", "متضررة"),
    "water_litres_per_day": ("water", "water litres", "litres water", "مياه", "ماء", "لتر مياه"),
    "water_points": ("water points", "نقاط مياه", "نقاط المياه"),
    "covered_area_m2": ("area", "covered area", "m2", "مساحة", "مساحه", "مساحة مغطاة", "مساحه مغطاه"),
}  # fmt: skip
_LOOKUP = {fold_arabic(name): figure for figure, names in NAMES.items() for name in names}
_OPENING = re.compile(r"^\s*(site|موقع)\s+([A-Za-z0-9._-]{1,80})\s*[:：]\s*(.*)$", re.IGNORECASE | re.DOTALL)
_SEPARATORS = re.compile(r"[,،;؛\n]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NAMES_AR = {
    "households": "عائلات", "individuals": "أفراد", "latrines_working": "مراحيض", "showers_working": "حمامات",
    "tents": "خيام", "tents_flooded": "خيام غارقة", "water_litres_per_day": "مياه (لتر/يوم)",
    "water_points": "نقاط مياه", "covered_area_m2": "مساحة مغطاة (م²)",
}  # fmt: skip
_MISSES_AR = {"latrines": "المراحيض", "water": "المياه", "space": "المساحة", "flooding": "الخيام الغارقة"}


def read_figures(body: str) -> dict[str, int | float]:
    """The figures named in a message's body; :class:`FieldReportError` says what cannot be read."""
    out: dict[str, int | float] = {}
    parts = [p.strip() for p in _SEPARATORS.split(fold_arabic(body)) if p.strip()]
    if not parts:
        raise FieldReportError("no figures: write e.g. 'households 212, latrines 4, tents flooded 30'")
    if len(parts) > MAX_FIGURES:
        raise FieldReportError(f"at most {MAX_FIGURES} figures in one message")
    for part in parts:
        numbers = _NUMBER.findall(part)
        if len(numbers) != 1:
            raise FieldReportError(f"'{part}': give one number with each name")
        label = " ".join(_NUMBER.sub(" ", part).lower().split())
        figure = _LOOKUP.get(label)
        if figure is None:
            known = ", ".join(names[0] for names in NAMES.values())
            raise FieldReportError(f"'{label}' is not a figure this form knows (names: {known})")
        if figure in out:
            raise FieldReportError(f"{figure.replace('_', ' ')} given twice")
        value = float(numbers[0])
        if figure in ("water_litres_per_day", "covered_area_m2"):
            out[figure] = value
        elif value.is_integer():
            out[figure] = int(value)
        else:
            raise FieldReportError(f"'{part}': {label} must be a whole number")
    return out


@dataclass
class ShelterSiteReader:
    """The ``shelter-site`` field report: a site's new figures from its focal point.

    ``last_of`` gives a site's last update (or None); ``keep`` keeps a new one and returns None, or
    the reason it was not kept (a different update at the same time). Both are the store's, given
    by the service, so that this reader stays pure. ``mandates`` say which sites a reporter sends for.
    """

    last_of: Callable[[str], SiteUpdate | None]
    keep: Callable[[SiteUpdate], str | None]
    mandates: Mandates

    @property
    def kind(self) -> str:
        return KIND

    def claims(self, text: str) -> bool:
        """A message opening with ``site``/``موقع``, an id and a colon."""
        return _OPENING.match(text) is not None

    def take(self, reporter: str, text: str, t: float) -> str:
        """Keep the figures as the site's new update; the confirmation names its gaps."""
        match = _OPENING.match(text)
        if match is None:
            raise FieldReportError("write: site SITE-ID: households 212, latrines 4, tents flooded 30")
        site_id, body = match.group(2), match.group(3)
        arabic = has_arabic(text)
        self.mandates.check(reporter, arabic=arabic)
        figures = read_figures(body)
        previous = self.last_of(site_id)
        if previous is None:
            raise FieldReportError(
                f"unknown site {site_id}: it must be registered first (CSV import or console)"
            )
        self.mandates.check(reporter, site_id, arabic=arabic)
        if t <= previous.updated:
            raise FieldReportError(f"site {site_id} has a later update ({format_time(previous.updated)})")
        try:
            update = applied(previous, site_id, figures, t, f"field:{reporter}")
        except SiteRecordError as exc:
            raise FieldReportError(str(exc)) from exc
        refused = self.keep(update)
        if refused is not None:
            raise FieldReportError(refused)
        return _confirmation(update, figures, arabic)


def _confirmation(update: SiteUpdate, figures: dict[str, int | float], arabic: bool) -> str:
    misses = gaps(update).misses
    when = format_time(update.updated)
    if arabic:
        said = "، ".join(f"{_NAMES_AR[k]} {v:g}" for k, v in figures.items())
        gap = ("، ينقص: " + "، ".join(_MISSES_AR[m] for m in misses)) if misses else ""
        return f"تم تسجيل {update.name_ar or update.name}: {said} ({when}){gap}."
    said = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in figures.items())
    gap = f"; below Sphere: {', '.join(misses)}" if misses else ""
    return f"Kept for {update.name}: {said} (as of {when}){gap}."
