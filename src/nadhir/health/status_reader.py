"""The ``facility-status`` field report: a status message by SMS or Telegram, answered.

The channels authenticate the sender as they do for sightings (a registered number, a registered
Telegram chat) and pass the observer id it belongs to; this reader also requires that id to be
one of the region's registered reporters, so that a number mapped to a stale id cannot write.
"""

from __future__ import annotations

from collections.abc import Collection

from nadhir.health.status import StatusError
from nadhir.health.status_desk import StatusDesk, confirmation
from nadhir.health.status_message import claims, is_arabic, read_status_message
from nadhir.intake.field_reports import FieldReportError


class FacilityStatusReader:
    """Takes ``status FACILITY: ...`` / ``حالة FACILITY: ...`` messages (a FieldReportReader)."""

    def __init__(self, desk: StatusDesk, reporters: Collection[str], channel: str = "message") -> None:
        self.desk = desk
        self.reporters = reporters
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
        if reporter not in self.reporters:
            raise FieldReportError(
                "المرسل غير مسجل"
                if arabic
                else f"{reporter} is not a registered reporter: status not recorded"
            )
        try:
            message = read_status_message(text)
            recorded = self.desk.update(message.facility, message.update, t, reporter, self.channel)
        except StatusError as exc:
            raise FieldReportError(f"status not recorded: {exc}") from exc
        return confirmation(recorded, message.arabic)
