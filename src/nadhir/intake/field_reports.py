"""Field reports: structured short messages that are not sightings.

Health facilities send their status ("doctors 3, incubators 4 of 6, fuel 2 days"), maternity
wards their week's outcomes, displacement-site focal points their site's figures. They come in
through the same channels and the same authentication as observers' sightings (an SMS from a
registered number, a registered Telegram chat), so the channels ask :class:`FieldReports` first:
a reader that *claims* a message takes it and answers with a confirmation; a message no reader
claims is a sighting and goes to the engine as before.

A reader claims a message by its opening keyword (``status``/``حالة``, ...), never by guessing
from its content, so that a sighting is never swallowed by a form, nor a form read as a sighting.
A claimed message that cannot be read raises :class:`FieldReportError` with a reason the sender
can act on, and changes nothing.

A channel authenticates the sender (a registered number or chat, mapped to a reporter id); what a
reporter may report *for* is :class:`Mandates`, one for every kind: the places (health facilities,
displacement sites) listed as the reporter's ``speaks_for`` in ``reporters.json``. A report for
any other place is refused with the places the reporter does speak for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from nadhir.domain import Reporter


class FieldReportError(ValueError):
    """A claimed message that cannot be taken; the text says why, for the sender."""


@dataclass(frozen=True, slots=True)
class FieldReply:
    """What a channel answers the sender of a field report."""

    kind: str  # the reader's name: "facility-status", "outcomes", "shelter-site", ...
    accepted: bool
    text: str  # the confirmation, or what was wrong, in the sender's words


class Mandates:
    """Which places each registered reporter may send field reports for (its ``speaks_for``)."""

    def __init__(self, reporters: Iterable[Reporter]) -> None:
        self._places = {r.id: r.speaks_for for r in reporters}

    def check(self, reporter: str, place: str | None = None, *, arabic: bool = False) -> None:
        """Nothing when ``reporter`` is registered and speaks for ``place`` (when given); else
        :class:`FieldReportError` saying which, in the sender's language.

        Readers check the sender alone first, so that an unregistered sender learns nothing of
        the region's places from the reply, then the place the message names.
        """
        places = self._places.get(reporter)
        if places is None:
            raise FieldReportError(
                "المرسل غير مسجل" if arabic else f"{reporter} is not a registered reporter"
            )
        if place is not None and place not in places:
            listed = ", ".join(places) or ("لا مكان" if arabic else "none")
            raise FieldReportError(
                f"المرسل لا يبلّغ عن {place} (يبلّغ عن: {listed})"
                if arabic
                else f"{reporter} does not report for {place} (reports for: {listed})"
            )

    def only_place(self, reporter: str) -> str | None:
        """The place a reporter speaks for when it is exactly one (a message may then leave it out)."""
        places = self._places.get(reporter, ())
        return places[0] if len(places) == 1 else None


class FieldReportReader(Protocol):
    """One kind of field report."""

    @property
    def kind(self) -> str:
        """A short name for logs and answers (``"facility-status"``)."""
        ...

    def claims(self, text: str) -> bool:
        """Whether the message is this reader's kind (by its opening keyword)."""
        ...

    def take(self, reporter: str, text: str, t: float) -> str:
        """Read, check and keep the report of ``reporter`` sent at ``t`` (POSIX seconds).

        Returns the confirmation for the sender; raises :class:`FieldReportError` (nothing kept)
        when the message cannot be taken.
        """
        ...


class FieldReports:
    """The readers the channels ask before taking a message as a sighting.

    The channels hold one instance from the start; readers are added as the parts that keep their
    records start (a reader needs the store), so a channel never holds a stale list.
    """

    def __init__(self, readers: Iterable[FieldReportReader] = ()) -> None:
        self.readers: list[FieldReportReader] = list(readers)

    def add(self, reader: FieldReportReader) -> None:
        """Ask ``reader`` too (after those added before it); one reader per kind."""
        if any(r.kind == reader.kind for r in self.readers):
            raise ValueError(f"a reader of {reader.kind} field reports is already added")
        self.readers.append(reader)

    def route(self, reporter: str, text: str, t: float) -> FieldReply | None:
        """The reply to a field report, or None when no reader claims ``text`` (a sighting)."""
        for reader in tuple(self.readers):
            if reader.claims(text):
                try:
                    confirmation = reader.take(reporter, text, t)
                except FieldReportError as exc:
                    return FieldReply(reader.kind, False, str(exc))
                return FieldReply(reader.kind, True, confirmation)
        return None
