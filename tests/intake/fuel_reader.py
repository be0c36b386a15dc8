"""A small real field-report reader for the channel tests: ``fuel N days`` / ``وقود N أيام``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nadhir.intake.field_reports import FieldReportError


@dataclass
class FuelReader:
    """A small real reader: ``fuel N days`` / ``وقود N أيام`` for a facility whose reporter is known."""

    facilities: dict[str, str]  # reporter -> facility
    kept: list[tuple[str, int, float]] = field(default_factory=list)
    kind: str = "fuel"

    def claims(self, text: str) -> bool:
        return re.match(r"\s*(fuel|وقود)\b", text, re.IGNORECASE) is not None

    def take(self, reporter: str, text: str, t: float) -> str:
        facility = self.facilities.get(reporter)
        if facility is None:
            raise FieldReportError(f"{reporter} reports for no facility")
        m = re.fullmatch(r"\s*(?:fuel|وقود)\s+(\d{1,3})\s*(?:days?|أيام|يوم)?\s*", text, re.IGNORECASE)
        if m is None:
            raise FieldReportError("write: fuel <days>, e.g. fuel 2 days")
        self.kept.append((facility, int(m.group(1)), t))
        return f"{facility}: fuel {int(m.group(1))} days recorded"
