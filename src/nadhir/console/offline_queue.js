// What a page sends while the network comes and goes: updates kept in localStorage, sent oldest
// first when the browser is online. The health, outcomes and shelters pages each had their own
// copy of this, and each its own bugs (one sent a report twice from two senders at once, one
// dropped an update refused for a lapsed sign-in), so the rules live here once:
//
// - one sender at a time: the browser's "online" event, a new entry and the retry timer may all
//   start one, and two would send the same entry twice;
// - each answered entry leaves the queue by itself, so an entry queued while sending is kept and
//   sent in the same pass;
// - a refusal (a 4xx other than the ones below) is dropped and reported: sending it again would be
//   refused again;
// - no network, a 5xx, 408 or 429 keeps the entry, and those behind it, for the next try;
// - 401 keeps it too and stops: the page asks for a sign-in, and the entry goes after it;
// - a browser that knows it is offline sends nothing: every try would only fail and log an error.

/** True when a failed send is worth trying again later (the entry stays queued). */
export function worthRetrying(err) {
  const status = err && err.status;
  return status === undefined || status === 401 || status === 408 || status === 429 || status >= 500;
}

export class OfflineQueue {
  /**
   * @param {string} key localStorage key of this page's queue
   * @param {(entry: object) => Promise<object>} send posts one entry; throws an error with `status`
   *   (as auth.js's `api` does) when the service refuses it, and without one when there is no network
   * @param {object} hooks `changed(entries)` after every change, `sent(entry, answer)`,
   *   `refused(entry, err)`, `signIn(err)` when the service asks for a sign-in
   */
  constructor(key, send, hooks = {}) {
    this.key = key;
    this.send = send;
    this.hooks = hooks;
    this.sending = false;
  }

  /** The entries waiting, oldest first. */
  entries() {
    try { return JSON.parse(localStorage.getItem(this.key) || "[]"); } catch (_) { return []; }
  }

  save(entries) {
    localStorage.setItem(this.key, JSON.stringify(entries));
    if (this.hooks.changed) this.hooks.changed(entries);
  }

  /** Keeps an entry at the end of the queue. */
  add(entry) { this.save([...this.entries(), entry]); }

  /** Takes out the first entry equal to this one (the same entry may be queued twice). */
  remove(entry) {
    const wanted = JSON.stringify(entry);
    const entries = this.entries();
    const at = entries.findIndex((x) => JSON.stringify(x) === wanted);
    if (at >= 0) entries.splice(at, 1);
    this.save(entries);
  }

  /**
   * Sends what waits, oldest first. Returns the number of entries answered (sent or refused);
   * 0 when another send is under way or the browser is offline.
   */
  async flush() {
    if (this.sending || !navigator.onLine) return 0;
    this.sending = true;
    let answered = 0;
    try {
      for (let entry = this.entries()[0]; entry !== undefined; entry = this.entries()[0]) {
        try {
          const answer = await this.send(entry);
          if (this.hooks.sent) this.hooks.sent(entry, answer);
        } catch (err) {
          if (err && err.status === 401 && this.hooks.signIn) this.hooks.signIn(err);
          if (worthRetrying(err)) break;
          if (this.hooks.refused) this.hooks.refused(entry, err);
        }
        answered += 1;
        this.remove(entry);
      }
    } finally {
      this.sending = false;
      if (this.hooks.changed) this.hooks.changed(this.entries());
    }
    return answered;
  }
}
