"""A Telegram bot that registers observers and takes their messages in as reports.

It speaks the Bot API over plain HTTPS (httpx): it long-polls ``getUpdates``
and answers with ``sendMessage``. An observer registers once with a one-time
code handed out by the operators (``/register <code>``); the chat is then
bound to that observer id, and every text message from it becomes a
:class:`~nadhir.domain.Report` (``channel="telegram"``, the free text in
``text``) handed to ``submit``, the live core's intake callable::

    bot = TelegramIntake("https://api.telegram.org", token, codes={"K7Q2": "obs-12"},
                         registry_path=Path("telegram.json"), submit=engine.submit)
    threading.Thread(target=bot.run, args=(stop,), daemon=True).start()

Registrations, the codes already used and the update offset are kept in a
small JSON file (in the cluster, a shared key-value entry: see
:class:`Registry`), so they survive a restart. Messages from chats that are not
registered are answered with how to register and never submitted. Malformed
updates are logged and skipped; network errors back off and retry.

Why not python-telegram-bot or aiogram: the bot uses two Bot API methods,
about a dozen lines of HTTP over httpx (already a dependency). Those
frameworks bring an asyncio application of their own into a service whose
intake runs in plain threads, and they turn a whole ``getUpdates`` batch
into typed objects at once, where this reader must skip one malformed
update and keep the rest of the batch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from nadhir.domain import Report
from nadhir.intake.field_reports import FieldReports

log = logging.getLogger(__name__)

CHANNEL = "telegram"
POLL_TIMEOUT_S = 25  # long-poll: how long Telegram may hold a getUpdates open
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 60.0
MAX_TEXT = 4096  # Telegram's own limit on a message

HELP = (
    "This is the Nadhir early-warning intake. To send reports you must register first: "
    "send /register followed by the code the operators gave you, e.g. /register ABC123."
)


USED_CODE = "That code is not valid or has already been used. Ask the operators for one."


class TelegramError(Exception):
    """The Bot API answered, but not with ``{"ok": true, ...}``."""


class RegistryStore(Protocol):
    """Where the registry is kept. ``read`` returns what is stored (None: nothing yet); ``write``
    stores a new form and answers False when another writer stored one since this store's last read
    or write (the registry then reads it, merges and writes again)."""

    def read(self) -> bytes | None: ...

    def write(self, data: bytes) -> bool: ...


class FileStore:
    """The registry in a JSON file of its own (the one-process service): replaced whole, atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None

    def write(self, data: bytes) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return True


class RegistryConflict(Exception):
    """Other writers kept storing the registry between this one's reads; nothing was written."""


MAX_MERGES = 5  # reads and merges before a save gives up (two pollers at once, for a moment at most)


@dataclass(frozen=True, slots=True)
class _Parsed:
    observers: dict[int, str]
    used_codes: set[str]
    offset: int | None


def _parse(data: bytes | None, where: str) -> _Parsed:
    """The stored form read back; ValueError if it is not the registry's JSON object."""
    out = _Parsed({}, set(), None)
    if data is None:
        return out
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"{where}: cannot read the Telegram registry ({exc})") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: the Telegram registry is not a JSON object")
    observers = raw.get("observers", {})
    if isinstance(observers, dict):
        for chat, observer in observers.items():
            with contextlib.suppress(ValueError):
                if isinstance(observer, str) and observer:
                    out.observers[int(chat)] = observer
    used = raw.get("used_codes", [])
    if isinstance(used, list):
        out.used_codes.update(c for c in used if isinstance(c, str))
    offset = raw.get("offset")
    if isinstance(offset, int) and not isinstance(offset, bool):
        return _Parsed(out.observers, out.used_codes, offset)
    return out


class Registry:
    """Chat ids bound to observer ids, the one-time codes used, and the update offset.

    Kept in a :class:`RegistryStore`: a JSON file (a path) in one process, a shared key-value entry
    in the cluster, where the intake replica that polls may change hands. Everything in it only
    grows (a registration, a used code) or moves on (the offset), so two forms are merged by taking
    both's registrations and the later offset: a poller that lost its turn a moment ago and wrote
    after its successor read loses nothing of either's.
    """

    def __init__(self, store: Path | RegistryStore) -> None:
        self.store: RegistryStore = FileStore(store) if isinstance(store, Path) else store
        self.observers: dict[int, str] = {}
        self.used_codes: set[str] = set()
        self.offset: int | None = None
        self.load()

    @property
    def where(self) -> str:
        path = getattr(self.store, "path", None)
        return str(path) if path is not None else type(self.store).__name__

    def load(self) -> None:
        """Read the stored registry again, replacing what this one holds (a poller taking over)."""
        parsed = _parse(self.store.read(), self.where)
        self.observers, self.used_codes, self.offset = parsed.observers, parsed.used_codes, parsed.offset

    def _merge(self, data: bytes | None) -> None:
        other = _parse(data, self.where)
        for chat, observer in other.observers.items():
            self.observers.setdefault(chat, observer)
        self.used_codes |= other.used_codes
        if other.offset is not None and (self.offset is None or other.offset > self.offset):
            self.offset = other.offset

    def _dump(self) -> bytes:
        data = {
            "observers": {str(chat): obs for chat, obs in sorted(self.observers.items())},
            "used_codes": sorted(self.used_codes),
            "offset": self.offset,
        }
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")

    def register(self, chat: int, code: str, observer: str) -> bool:
        """Bind ``chat`` to ``observer`` by the one-time ``code``; False if the code is used already.

        The use is a conditional write: the registry is stored over the revision last seen, and if
        another writer stored since (a second poller, for the moment two overlap), its form is merged
        in and the code checked again. So of two chats that send one code at once, exactly one is
        bound; the other finds the code used. Nothing changes here unless the write lands.
        """
        for _ in range(MAX_MERGES):
            if code in self.used_codes:
                return False
            before = self.observers.get(chat)
            self.used_codes.add(code)
            self.observers[chat] = observer
            if self.store.write(self._dump()):
                return True
            self.used_codes.discard(code)
            if before is None:
                del self.observers[chat]
            else:
                self.observers[chat] = before
            self._merge(self.store.read())
        raise RegistryConflict(f"{self.where}: the Telegram registry kept changing under this writer")

    def take_up(self) -> bool:
        """Read the stored registry again (a poller taking over); True if this one is still ahead of it.

        This one is ahead when it handled an update whose record did not land (NATS away) and no other
        poller has moved the stored offset past that update since: its state is merged with the stored
        one and must be recorded. Otherwise the stored registry replaces this one's.
        """
        data = self.store.read()
        stored = _parse(data, self.where)
        if self.offset is not None and (stored.offset is None or stored.offset < self.offset):
            self._merge(data)
            return True
        self.observers, self.used_codes, self.offset = stored.observers, stored.used_codes, stored.offset
        return False

    def save(self) -> None:
        """Store the registry; if another writer stored since, merge its form in first (see the class)."""
        for _ in range(MAX_MERGES):
            if self.store.write(self._dump()):
                return
            self._merge(self.store.read())
        raise RegistryConflict(f"{self.where}: the Telegram registry kept changing under this writer")


def _command(text: str) -> tuple[str, str] | None:
    """``"/register@NadhirBot  K7Q2"`` -> ``("register", "K7Q2")``; None if not a command."""
    if not text.startswith("/"):
        return None
    head, _, rest = text.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    return name, rest.strip()


class TelegramIntake:
    """The bot: ``poll_once`` handles one ``getUpdates`` batch, ``run`` polls until ``stop`` is set.

    ``codes`` maps one-time registration codes to observer ids; ``submit`` takes
    each report (e.g. ``LiveEngine.submit``); ``clock`` gives the time of
    arrival in POSIX seconds (a message stamped later than that is stamped now).
    ``field_reports`` are asked before a text is taken as a sighting; the one that
    claims it answers the chat with its confirmation or what was wrong.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        codes: Mapping[str, str],
        registry_path: Path | RegistryStore,
        submit: Callable[[Report], object],
        clock: Callable[[], float] = time.time,
        *,
        poll_timeout_s: int = POLL_TIMEOUT_S,
        client: httpx.Client | None = None,
        field_reports: FieldReports | None = None,
    ) -> None:
        self._token = token
        self._api = f"{base_url.rstrip('/')}/bot{token}"
        self.codes = dict(codes)
        self.registry = Registry(registry_path)
        self.submit = submit
        self.clock = clock
        self.field_reports = field_reports or FieldReports()
        self.poll_timeout_s = poll_timeout_s
        # Called after each update is handled: a batch of slow answers is still a loop that moves
        # (the cluster's poller keeps its lease by it).
        self.on_update: Callable[[], object] = lambda: None
        # Asked before each update of a batch: False stops the batch there (the cluster's poller has lost
        # its lease: the rest is its successor's to read; each update handled is recorded already).
        self.keep_going: Callable[[], bool] = lambda: True
        # The answers to the update being handled: sent only once its handling is recorded (see
        # ``poll_once``), so that an update read again is never answered twice.
        self._answers: list[tuple[int, str]] = []
        self._unrecorded = False  # an update was handled and its record has not landed yet
        self._client = client or httpx.Client(timeout=httpx.Timeout(10.0, read=poll_timeout_s + 10.0))

    def close(self) -> None:
        self._client.close()

    # -- the Bot API ---------------------------------------------------------------------------------

    def _call(self, method: str, payload: dict[str, Any]) -> Any:
        response = self._client.post(f"{self._api}/{method}", json=payload)
        try:
            body = response.json()
        except ValueError as exc:
            raise TelegramError(f"{method}: HTTP {response.status_code}, not JSON") from exc
        if not isinstance(body, dict) or body.get("ok") is not True:
            detail = body.get("description") if isinstance(body, dict) else None
            raise TelegramError(f"{method}: HTTP {response.status_code}: {detail or 'not ok'}")
        return body.get("result")

    def send(self, chat_id: int, text: str) -> None:
        """Answer a chat; a failure is logged, never raised (the message was already handled)."""
        try:
            self._call("sendMessage", {"chat_id": chat_id, "text": text})
        except (httpx.HTTPError, TelegramError) as exc:
            log.warning("telegram: could not answer chat %s: %s", chat_id, self.redact(exc))

    def redact(self, exc: BaseException) -> str:
        """The error without the bot token (it is part of every Bot API URL)."""
        return str(exc).replace(self._token, "<token>") if self._token else str(exc)

    # -- polling ---------------------------------------------------------------------------------------

    def poll_once(self) -> int:
        """Fetch and handle one batch of updates; returns how many were handled (skipped ones too).

        Network and API errors are raised (``run`` backs off and retries); the
        offset only moves past updates that were handled, so none is lost or
        handled twice.

        Each update is recorded (the registry stored with the offset past it) as soon as it is
        handled, before its answer is sent and before the next update is taken. So what makes a
        re-read possible, a stored offset behind a published report, lasts only from the report's
        publication to that record (milliseconds), not a whole batch of slow answers; and an answer
        follows a record, so an update read again (its record lost) was never answered. If the record
        fails (NATS away), the error is raised and the next call records it, then answers, before it
        asks Telegram for more. Why a record per update rather than a longer duplicate window on the
        events stream: see :mod:`nadhir.service.stream_telegram`.
        """
        if self._unrecorded:
            self._record()
        payload: dict[str, Any] = {"timeout": self.poll_timeout_s, "allowed_updates": ["message"]}
        if self.registry.offset is not None:
            payload["offset"] = self.registry.offset
        result = self._call("getUpdates", payload)
        if not isinstance(result, list):
            raise TelegramError("getUpdates: result is not a list")
        handled = 0
        for update in result:
            if not self.keep_going():
                break
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                log.warning("telegram: skipping an update without an update_id: %.200r", update)
                continue
            if self.registry.offset is not None and update_id < self.registry.offset:
                continue  # already handled (a server that ignored the offset)
            try:
                self._handle(update)
            except Exception:
                log.exception("telegram: update %s could not be handled; skipped", update_id)
            self.registry.offset = update_id + 1
            self._record()
            self.on_update()
            handled += 1
        return handled

    def _record(self) -> None:
        """Store the registry (the offset past the update just handled), then send that update's answers.
        Raises what the store raises; the answers then wait for the next try."""
        self._unrecorded = True
        self.registry.save()
        self._unrecorded = False
        answers, self._answers = self._answers, []
        for chat_id, text in answers:
            self.send(chat_id, text)

    def resume(self) -> None:
        """Take the stored registry up again (a poller taking the lease over).

        If this bot handled an update whose record did not land and no other poller has handled it
        since, that record is made now and the update's answers sent; otherwise the stored registry
        replaces this one's and those answers are dropped (whoever handled the update answered it).
        """
        if self._unrecorded and self.registry.take_up():
            self._record()
            return
        if not self._unrecorded:
            self.registry.load()
        self._unrecorded = False
        self._answers = []

    def _answer(self, chat_id: int, text: str) -> None:
        """Answer a chat once the update being handled is recorded (see ``poll_once``)."""
        self._answers.append((chat_id, text))

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; on errors wait 1, 2, 4 ... up to 60 s and try again."""
        delay = BACKOFF_START_S
        while not stop.is_set():
            try:
                self.poll_once()
            except (httpx.HTTPError, TelegramError, OSError) as exc:
                log.warning("telegram: %s; retrying in %.0f s", self.redact(exc), delay)
                stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
            except Exception:
                log.exception("telegram: unexpected error; retrying in %.0f s", delay)
                stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
            else:
                delay = BACKOFF_START_S

    # -- one update ------------------------------------------------------------------------------------

    def _handle(self, update: dict[str, Any]) -> None:
        message = update.get("message")
        if message is None:
            return  # another kind of update (edits, callbacks): nothing to do
        chat = message.get("chat") if isinstance(message, dict) else None
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        if not isinstance(message, dict) or not isinstance(chat_id, int) or isinstance(chat_id, bool):
            log.warning("telegram: skipping malformed update %s (no message chat id)", update["update_id"])
            return
        text = message.get("text")
        if text is not None and not isinstance(text, str):
            log.warning("telegram: skipping malformed update %s (text is not a string)", update["update_id"])
            return
        text = (text or "").strip()
        command = _command(text)
        if command is not None and command[0] in ("start", "help"):
            self._start(chat_id)
            return
        if command is not None and command[0] == "register":
            self._register(chat_id, command[1])
            return
        observer = self.registry.observers.get(chat_id)
        if observer is None:
            self._answer(chat_id, HELP)
            return
        if not text:
            self._answer(chat_id, "Only text messages can be taken as reports. Please type what you see.")
            return
        date = message.get("date")
        if not isinstance(date, int | float) or isinstance(date, bool):
            log.warning("telegram: skipping malformed update %s (no message date)", update["update_id"])
            return
        t = min(float(date), self.clock())
        reply = self.field_reports.route(observer, text[:MAX_TEXT], t)
        if reply is not None:
            self._answer(chat_id, reply.text)
            return
        report = Report(t=t, reporter=observer, channel=CHANNEL, text=text[:MAX_TEXT])
        try:
            self.submit(report)
        except Exception:
            log.exception("telegram: report from %s not accepted", observer)
            self._answer(chat_id, "Your report could not be taken in just now. Please send it again.")
            return
        self._answer(chat_id, "Received.")

    def _start(self, chat_id: int) -> None:
        observer = self.registry.observers.get(chat_id)
        if observer is not None:
            self._answer(chat_id, f"You are registered as observer {observer}. Send what you see as text.")
        else:
            self._answer(chat_id, HELP)

    def _register(self, chat_id: int, code: str) -> None:
        if not code:
            self._answer(chat_id, "Send /register followed by your code, e.g. /register ABC123.")
            return
        observer = self.codes.get(code)
        if observer is not None and self.registry.observers.get(chat_id) == observer:
            # This chat's own code again (or its update read again by a poller taking over).
            self._answer(chat_id, f"Registered as observer {observer}. Send what you see as text.")
            return
        try:
            taken = observer is not None and self.registry.register(chat_id, code, observer)
        except Exception:  # the store away (NATS): nothing was registered, the chat may send it again
            log.exception("telegram: the registration of chat %s could not be stored", chat_id)
            self._answer(chat_id, "Your registration could not be stored just now. Please send it again.")
            return
        if not taken:
            if observer is not None and self.registry.observers.get(chat_id) == observer:
                # Another poller, overlapping this one for a moment, registered this very update.
                self._answer(chat_id, f"Registered as observer {observer}. Send what you see as text.")
                return
            log.info("telegram: chat %s tried an unknown or used registration code", chat_id)
            self._answer(chat_id, USED_CODE)
            return
        log.info("telegram: chat %s registered as observer %s", chat_id, observer)
        self._answer(chat_id, f"Registered as observer {observer}. Send what you see as text.")
