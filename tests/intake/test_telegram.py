"""The Telegram bot against a local server that speaks the Bot API's getUpdates/sendMessage contract."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nadhir.domain import Report
from nadhir.intake.telegram import FileStore, Registry, TelegramIntake

TOKEN = "123456:TEST-token"
CODES = {"K7Q2": "obs-12", "Z9X1": "obs-7"}


class FakeBotAPI:
    """Holds queued updates like Telegram does: getUpdates returns those with update_id >= offset."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.offsets: list[int | None] = []
        self.fail_next = 0  # answer this many getUpdates with HTTP 502
        self.lock = threading.Lock()
        self._next_id = 1000

    def push(self, update: dict[str, Any]) -> int:
        with self.lock:
            self._next_id += 1
            self.updates.append({"update_id": self._next_id, **update})
            return self._next_id

    def push_raw(self, update: Any) -> None:
        with self.lock:
            self.updates.append(update)

    def message(self, chat_id: int, text: str | None, date: int = 1_700_000_000) -> int:
        msg: dict[str, Any] = {
            "message_id": self._next_id,
            "date": date,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Spotter"},
        }
        if text is not None:
            msg["text"] = text
        return self.push({"message": msg})

    def replies(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.sent if m["chat_id"] == chat_id]

    def handle(self, method: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if method == "getUpdates":
                if self.fail_next > 0:
                    self.fail_next -= 1
                    return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
                offset = payload.get("offset")
                self.offsets.append(offset)
                if offset is not None:  # as Telegram: an offset confirms (forgets) earlier updates
                    self.updates = [
                        u
                        for u in self.updates
                        if not isinstance(u, dict) or u.get("update_id", offset) >= offset
                    ]
                return 200, {"ok": True, "result": list(self.updates)}
            if method == "sendMessage":
                if not isinstance(payload.get("chat_id"), int) or not isinstance(payload.get("text"), str):
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request"}
                self.sent.append(payload)
                return 200, {"ok": True, "result": {"message_id": len(self.sent), "text": payload["text"]}}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}


@pytest.fixture
def api() -> Iterator[tuple[FakeBotAPI, str]]:
    fake = FakeBotAPI()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            prefix = f"/bot{TOKEN}/"
            if not self.path.startswith(prefix):
                status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            else:
                payload = json.loads(raw) if raw else {}
                status, body = fake.handle(self.path[len(prefix) :], payload)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def make_bot(base_url: str, path: Path, got: list[Report], clock: float = 1_800_000_000.0) -> TelegramIntake:
    return TelegramIntake(base_url, TOKEN, CODES, path, got.append, lambda: clock, poll_timeout_s=0)


def test_register_then_message_becomes_report(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api
    got: list[Report] = []
    bot = make_bot(url, tmp_path / "telegram.json", got)
    fake.message(42, "/start")
    fake.message(42, "/register K7Q2")
    fake.message(42, "طائرة حربية فوق سراقب باتجاه الشمال", date=1_700_000_123)
    assert bot.poll_once() == 3
    assert got == [
        Report(
            t=1_700_000_123.0,
            reporter="obs-12",
            channel="telegram",
            text="طائرة حربية فوق سراقب باتجاه الشمال",
        )
    ]
    replies = fake.replies(42)
    assert "/register" in replies[0]
    assert "obs-12" in replies[1]
    assert len(replies) == 3


def test_unregistered_chat_refused(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api
    got: list[Report] = []
    bot = make_bot(url, tmp_path / "telegram.json", got)
    fake.message(99, "helicopter over Idlib heading north")
    fake.message(99, "/register WRONG")
    assert bot.poll_once() == 2
    assert got == []
    first, second = fake.replies(99)
    assert "/register" in first
    assert "not valid" in second
    assert 99 not in bot.registry.observers


def test_code_is_one_time(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api
    got: list[Report] = []
    bot = make_bot(url, tmp_path / "telegram.json", got)
    fake.message(1, "/register K7Q2")
    fake.message(2, "/register@NadhirBot K7Q2")
    fake.message(2, "drone over Saraqib")
    bot.poll_once()
    assert bot.registry.observers == {1: "obs-12"}
    assert got == []


def test_malformed_updates_skipped(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api
    got: list[Report] = []
    bot = make_bot(url, tmp_path / "telegram.json", got)
    fake.message(7, "/register Z9X1")
    fake.push_raw({"message": {"text": "no update id"}})
    fake.push({"message": "not an object"})
    fake.push({"message": {"date": 1, "text": "no chat"}})
    fake.push({"message": {"date": 1, "chat": {"id": 7}, "text": 5}})
    fake.push({"message": {"chat": {"id": 7}, "text": "no date"}})
    fake.push({"edited_message": {"chat": {"id": 7}, "text": "an edit"}})
    fake.message(7, "two jets east of Idlib", date=1_700_000_500)
    assert bot.poll_once() == 7  # the one without an update_id cannot be handled
    assert got == [
        Report(t=1_700_000_500.0, reporter="obs-7", channel="telegram", text="two jets east of Idlib")
    ]


def test_offset_advances_nothing_handled_twice(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api
    got: list[Report] = []
    bot = make_bot(url, tmp_path / "telegram.json", got)
    fake.message(5, "/register K7Q2")
    last = fake.message(5, "jet over Maarat al-Nouman")
    assert bot.poll_once() == 2
    assert bot.poll_once() == 0
    assert fake.offsets == [None, last + 1]
    fake.message(5, "second jet")
    assert bot.poll_once() == 1
    assert [r.text for r in got] == ["jet over Maarat al-Nouman", "second jet"]


def test_offset_honoured_even_if_server_repeats(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api
    got: list[Report] = []
    bot = make_bot(url, tmp_path / "telegram.json", got)
    fake.message(5, "/register K7Q2")
    fake.message(5, "jet")
    bot.poll_once()
    offset = bot.registry.offset
    assert offset is not None
    # A server that ignores the offset and sends an old update again: it is not handled twice.
    fake.updates.append({"update_id": offset - 1, "message": {"date": 1, "chat": {"id": 5}, "text": "jet"}})
    assert bot.poll_once() == 0
    assert len(got) == 1


def test_registrations_survive_restart(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api
    path = tmp_path / "state" / "telegram.json"
    got: list[Report] = []
    bot = make_bot(url, path, got)
    fake.message(42, "/register K7Q2")
    bot.poll_once()
    bot.close()

    again = make_bot(url, path, got)
    assert again.registry.observers == {42: "obs-12"}
    fake.message(42, "helicopter circling over Ariha")
    fake.message(43, "/register K7Q2")  # the code stays used after the restart
    assert again.poll_once() == 2  # and the offset was kept: the registration is not seen again
    assert [(r.reporter, r.text) for r in got] == [("obs-12", "helicopter circling over Ariha")]
    assert 43 not in again.registry.observers
    assert json.loads(path.read_text())["observers"] == {"42": "obs-12"}


def test_future_date_stamped_now_and_non_text_refused(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api
    got: list[Report] = []
    bot = make_bot(url, tmp_path / "telegram.json", got, clock=1_700_000_000.0)
    fake.message(8, "/register K7Q2")
    fake.message(8, "jet", date=1_700_009_999)
    fake.message(8, None)  # a photo or sticker: no text
    bot.poll_once()
    assert [r.t for r in got] == [1_700_000_000.0]
    assert "text" in fake.replies(8)[-1]


def test_submit_failure_tells_the_observer(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api

    def busy(report: Report) -> None:
        raise RuntimeError("queue full")

    bot = TelegramIntake(url, TOKEN, CODES, tmp_path / "t.json", busy, lambda: 2e9, poll_timeout_s=0)
    fake.message(3, "/register K7Q2")
    fake.message(3, "jet")
    assert bot.poll_once() == 2
    assert "again" in fake.replies(3)[-1]


def test_run_backs_off_on_network_errors_and_stops(api: tuple[FakeBotAPI, str], tmp_path: Path) -> None:
    fake, url = api
    got: list[Report] = []
    fake.fail_next = 1
    bot = make_bot(url, tmp_path / "telegram.json", got)
    fake.message(42, "/register K7Q2")
    fake.message(42, "drone over Idlib")
    stop = threading.Event()
    thread = threading.Thread(target=bot.run, args=(stop,), daemon=True)
    thread.start()
    for _ in range(100):
        if got:
            break
        threading.Event().wait(0.05)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert [r.text for r in got] == ["drone over Idlib"]

    # No server at all: run keeps retrying (without raising) until stopped.
    dead = make_bot("http://127.0.0.1:9", tmp_path / "other.json", got)
    stop = threading.Event()
    thread = threading.Thread(target=dead.run, args=(stop,), daemon=True)
    thread.start()
    threading.Event().wait(0.2)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_field_report_answered_by_its_reader_not_submitted(
    api: tuple[FakeBotAPI, str], tmp_path: Path
) -> None:
    from intake.fuel_reader import FuelReader
    from nadhir.intake.field_reports import FieldReports

    fake, url = api
    got: list[Report] = []
    reader = FuelReader({"obs-12": "hosp-idlib-maternity"})
    bot = TelegramIntake(
        url, TOKEN, CODES, tmp_path / "telegram.json", got.append, lambda: 1_800_000_000.0,
        poll_timeout_s=0, field_reports=FieldReports([reader]),
    )  # fmt: skip
    fake.message(42, "/register K7Q2")
    fake.message(42, "وقود 2 أيام", date=1_700_000_100)
    fake.message(42, "fuel soon", date=1_700_000_200)
    fake.message(42, "مروحية فوق أريحا", date=1_700_000_300)
    assert bot.poll_once() == 4
    assert reader.kept == [("hosp-idlib-maternity", 2, 1_700_000_100.0)]
    assert [r.text for r in got] == ["مروحية فوق أريحا"]
    replies = fake.replies(42)
    assert replies[1] == "hosp-idlib-maternity: fuel 2 days recorded"
    assert "fuel <days>" in replies[2]
    assert replies[3] == "Received."


class SharedEntry:
    """One stored registry that several writers share, with revisions, as the cluster's key-value entry
    (a writer's write is refused when another wrote since its last read or write)."""

    def __init__(self) -> None:
        self.data: bytes | None = None
        self.revision = 0

    def writer(self) -> EntryWriter:
        return EntryWriter(self)


class EntryWriter:
    def __init__(self, entry: SharedEntry) -> None:
        self.entry = entry
        self.seen = -1

    def read(self) -> bytes | None:
        self.seen = self.entry.revision
        return self.entry.data

    def write(self, data: bytes) -> bool:
        if self.seen != self.entry.revision:
            return False
        self.entry.data = data
        self.entry.revision += 1
        self.seen = self.entry.revision
        return True


def test_two_writers_of_one_registry_lose_no_registration_and_keep_the_later_offset() -> None:
    entry = SharedEntry()
    old = Registry(entry.writer())  # a poller that lost its turn a moment ago
    new = Registry(entry.writer())  # its successor, which read the registry when it took over
    new.observers[42] = "obs-12"
    new.used_codes.add("K7Q2")
    new.offset = 1012
    new.save()
    # The old poller still finishes a batch it had read: its write is refused, merged and made again.
    old.observers[43] = "obs-7"
    old.used_codes.add("Z9X1")
    old.offset = 1009
    old.save()
    merged = Registry(entry.writer())
    assert merged.observers == {42: "obs-12", 43: "obs-7"}
    assert merged.used_codes == {"K7Q2", "Z9X1"}
    assert merged.offset == 1012  # never moved back (that would only read updates again)
    assert entry.revision == 2  # one write each


def test_a_file_registry_is_one_json_file(tmp_path: Path) -> None:
    path = tmp_path / "telegram.json"
    registry = Registry(FileStore(path))
    registry.observers[7] = "obs-7"
    registry.offset = 5
    registry.save()
    assert json.loads(path.read_text()) == {"observers": {"7": "obs-7"}, "used_codes": [], "offset": 5}
    assert Registry(path).observers == {7: "obs-7"}


class FailingStore:
    """A file registry whose writes fail while ``away`` is set, as the cluster's entry does while NATS
    is away (the error the key-value bucket raises)."""

    def __init__(self, path: Path) -> None:
        self.file = FileStore(path)
        self.away = False
        self.writes = 0

    def read(self) -> bytes | None:
        return self.file.read()

    def write(self, data: bytes) -> bool:
        if self.away:
            raise ConnectionError("the registry's store is away")
        self.writes += 1
        return self.file.write(data)


def test_each_update_is_recorded_before_it_is_answered_and_a_failed_record_holds_the_answer(
    api: tuple[FakeBotAPI, str], tmp_path: Path
) -> None:
    fake, url = api
    got: list[Report] = []
    store = FailingStore(tmp_path / "telegram.json")
    bot = TelegramIntake(url, TOKEN, CODES, store, got.append, lambda: 1_800_000_000.0, poll_timeout_s=0)
    fake.message(5, "/register K7Q2")
    fake.message(5, "jet over Maarat al-Nouman")
    second = fake.message(5, "second jet, heading west")
    assert bot.poll_once() == 3
    # One record per update (the registration's own write, then the offset past each of the three).
    assert store.writes == 4
    assert json.loads((tmp_path / "telegram.json").read_text())["offset"] == second + 1
    assert fake.replies(5)[1:] == ["Received.", "Received."]

    # The store goes away after a report is published: the report is not answered, and the error is
    # raised for the caller's backoff.
    store.away = True
    third = fake.message(5, "helicopter east of Saraqib")
    with pytest.raises(ConnectionError):
        bot.poll_once()
    assert [r.text for r in got][-1] == "helicopter east of Saraqib"
    assert len(fake.replies(5)) == 3
    # Back: the next call records the update, then answers it, then asks Telegram from past it.
    store.away = False
    assert bot.poll_once() == 0
    assert json.loads((tmp_path / "telegram.json").read_text())["offset"] == third + 1
    assert fake.replies(5)[3:] == ["Received."]
    assert fake.offsets[-1] == third + 1
    assert [r.text for r in got].count("helicopter east of Saraqib") == 1


def test_two_writers_racing_for_one_code_bind_one_chat() -> None:
    entry = SharedEntry()
    first = Registry(entry.writer())
    second = Registry(entry.writer())  # a poller overlapping the first for a moment, read before
    assert first.register(42, "K7Q2", "obs-12")
    assert not second.register(77, "K7Q2", "obs-12")  # its write is refused, merged: the code is used
    assert second.observers == {42: "obs-12"}
    assert Registry(entry.writer()).observers == {42: "obs-12"}
    assert second.register(77, "Z9X1", "obs-7")  # an unused code still registers after the merge
    assert Registry(entry.writer()).observers == {42: "obs-12", 77: "obs-7"}


def test_a_registration_the_store_cannot_take_is_answered_so_and_leaves_the_code_unused(
    api: tuple[FakeBotAPI, str], tmp_path: Path
) -> None:
    fake, url = api
    store = FailingStore(tmp_path / "telegram.json")
    bot = TelegramIntake(url, TOKEN, CODES, store, [].append, lambda: 1_800_000_000.0, poll_timeout_s=0)
    store.away = True
    fake.message(5, "/register K7Q2")
    with pytest.raises(ConnectionError):  # the offset past it cannot be recorded either
        bot.poll_once()
    store.away = False
    assert bot.poll_once() == 0
    assert fake.replies(5) == ["Your registration could not be stored just now. Please send it again."]
    fake.message(5, "/register K7Q2")  # sent again: the code was never used
    assert bot.poll_once() == 1
    assert fake.replies(5)[1] == "Registered as observer obs-12. Send what you see as text."
    assert Registry(FileStore(tmp_path / "telegram.json")).observers == {5: "obs-12"}
