"""The console pages' offline queue (console/offline_queue.js) in a real browser, with a sender
that answers as the service would: one sender at a time, each answered entry leaves the queue by
itself, a refusal is dropped, and a lapsed sign-in, a busy service or no network keep the entry."""

# ruff: noqa: F811

from __future__ import annotations

from typing import Any

from test_browser import Live, Page, browser, live  # noqa: F401  (the fixtures)

# Runs one case in the page: `answers` are what the fake service answers, in turn ("ok", or an
# HTTP status, or "network" for a failed fetch); returns what the queue did.
CASE = """async ({ answers, entries, twoSenders }) => {
  const { OfflineQueue } = await import("/static/offline_queue.js");
  const key = "test.queue." + Math.random();
  const log = { sent: [], refused: [], signIn: 0, calls: 0 };
  const q = new OfflineQueue(key, async (entry) => {
    const answer = answers[log.calls++];
    await new Promise((r) => setTimeout(r, 20));  // a send takes a while: a second flush overlaps it
    if (answer === "ok") return { confirmation: "kept " + entry.n };
    const err = new Error(answer === "network" ? "Failed to fetch" : "HTTP " + answer);
    if (answer !== "network") err.status = answer;
    throw err;
  }, {
    sent: (entry) => log.sent.push(entry.n),
    refused: (entry, err) => log.refused.push([entry.n, err.status]),
    signIn: () => { log.signIn += 1; },
  });
  for (const n of entries) q.add({ n });
  const counts = twoSenders ? await Promise.all([q.flush(), q.flush()]) : [await q.flush()];
  return { ...log, counts, left: q.entries().map((x) => x.n) };
}"""


def run(page: Page, answers: list[Any], entries: list[int], two_senders: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = page.page.evaluate(
        CASE, {"answers": answers, "entries": entries, "twoSenders": two_senders}
    )
    return result


def test_the_offline_queue_sends_once_drops_refusals_and_keeps_what_may_go_later(
    browser: object, live: Live
) -> None:
    page = Page(browser, live)
    page.page.goto(f"{live.base}/shelters/")
    page.wait_js("document.readyState === 'complete'")

    # Two senders at once (the "online" event and the retry timer): each entry goes once.
    both = run(page, ["ok", "ok", "ok"], [1, 2, 3], two_senders=True)
    assert both["calls"] == 3 and both["sent"] == [1, 2, 3] and both["left"] == []
    assert sorted(both["counts"]) == [0, 3]

    # A refusal is said and dropped; the entries behind it still go.
    refused = run(page, [422, "ok"], [1, 2])
    assert refused["refused"] == [[1, 422]] and refused["sent"] == [2] and refused["left"] == []

    # A lapsed sign-in asks for one and keeps everything for after it.
    signed_out = run(page, [401], [1, 2])
    assert signed_out["signIn"] == 1 and signed_out["left"] == [1, 2] and signed_out["refused"] == []

    # No network, a busy service or a server error: kept, and nothing behind it is tried.
    for answer in ["network", 429, 503, 408]:
        kept = run(page, [answer], [1, 2])
        assert kept["calls"] == 1 and kept["left"] == [1, 2], answer

    # The same entry queued twice is sent twice: each send takes out one copy.
    twice = run(page, ["ok", "ok"], [7, 7])
    assert twice["sent"] == [7, 7] and twice["left"] == []

    # A browser that knows it is offline sends nothing.
    page.page.context.set_offline(True)
    offline = run(page, ["ok"], [1])
    assert offline["calls"] == 0 and offline["left"] == [1] and offline["counts"] == [0]
    page.page.context.set_offline(False)
    assert page.errors == []
