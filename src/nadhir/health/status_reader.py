"""The ``facility-status`` field report: a status message by SMS or Telegram, answered.

The channels authenticate the sender as they do for sightings (a registered number, a registered
Telegram chat) and pass the observer id it belongs to; this reader also requires that id to be
one of the region's registered reporters, so that a number mapped to a stale id cannot write, and
the facility to be one the reporter speaks for (:class:`~nadhir.intake.field_reports.Mandates`),
so that a reporter cannot change another facility's status.
"""

from __future__ import annotations

from nadhir.health.facilities import find_facility
from nadhir.health.status import StatusError
from nadhir.health.status_desk import StatusDesk, confirmation
from nadhir.health.status_message import claims, is_arabic, read_status_message
from nadhir.intake.field_reports import FieldReportError, Mandates


class FacilityStatusReader:
    """Takes ``status FACILITY: ...`` / ``حالة FACILITY: ...`` messages (a FieldReportReader)."""

    def __init__(self, desk: StatusDesk, mandates: Mandates, channel: str = "message") -> None:
        self.desk = desk
        self.mandates = mandates
        self.channel = channel

    @property
    def kind(self) -> str:
        """The field report's kind."""
        return "facility-status"

    def claims(self, text: str) -> bool:
        """Whether ``text`` opens with ``status`` or ``حالة``."""
        return claims(text)

    def take(self, reporter: str, text: str, t: float) -> str:
        """Read and keep the status; the confirmation, or :class:`FieldReportError` saying why not."""
        arabic = is_arabic(text)
        try:
            self.mandates.check(reporter, arabic=arabic)
            message = read_status_message(text)
            facility = find_facility(self.desk.facilities, message.facility)
            self.mandates.check(reporter, facility.id, arabic=arabic)
            recorded = self.desk.update(facility.id, message.update, t, reporter, self.channel)
        except StatusError as exc:
            raise FieldReportError(f"status not recorded: {exc}") from exc
        except FieldReportError as exc:  # the sender's mandate
            raise FieldReportError(str(exc) if arabic else f"{exc}: status not recorded") from exc
        return confirmation(recorded, message.arabic)
