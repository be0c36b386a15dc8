"""`nadhir test-alarms`: scheduled, announced siren tests.

::

    nadhir test-alarms schedule --site saraqeb --site idlib --at 2026-11-26T10:00 [--duration 15]
    nadhir test-alarms schedule --all --at +2h
    nadhir test-alarms list [--all] [--json]
    nadhir test-alarms cancel test-20261126T070000Z-1a2b3c4d
    nadhir test-alarms show test-20261126T070000Z-1a2b3c4d       # every delivery and its audit trail

Scheduling stores the alarm and its deliveries in the outbox of the service's
database: the announcement (public Telegram channels and partners in both
languages, each subscriber of the sites in their language) goes out at once,
the sirens' ``test`` commands are held until the hour. The running service
(and the siren worker) send them; every step is in the audit log.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from nadhir.service.commands.context import DbOpt, ScenarioOpt, SettingsOpt, context

if TYPE_CHECKING:
    from nadhir.delivery.outbox import Outbox


def register(app: typer.Typer) -> None:
    """Add ``test-alarms`` (schedule, list, cancel, show) to the app."""
    sub = typer.Typer(help="Scheduled, announced siren tests: schedule, list, cancel, show.",
                      no_args_is_help=True)  # fmt: skip
    sub.command("schedule")(schedule)
    sub.command("list")(list_alarms)
    sub.command("cancel")(cancel)
    sub.command("show")(show)
    app.add_typer(sub, name="test-alarms")


def _iso(t: float, tz: str) -> str:
    from nadhir.alerting.text import resolve_tz

    return datetime.fromtimestamp(t, UTC).astimezone(resolve_tz(tz)).isoformat(timespec="minutes")


def schedule(
    at: Annotated[
        str, typer.Option("--at", help="When: +30m, +2h, 2026-11-26T10:00 (local), or with offset")
    ],
    site: Annotated[list[str] | None, typer.Option("--site", help="A site id (repeat for several)")] = None,
    all_sites: Annotated[bool, typer.Option("--all", help="Every site of the region")] = False,
    duration: Annotated[
        int, typer.Option("--duration", help="Seconds the sirens sound", min=1, max=300)
    ] = 15,
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """Schedule a siren test for some sites at a time; it is announced at once on the people channels."""
    from nadhir.delivery.outbox import Outbox
    from nadhir.service.people import parse_when, people_channels
    from nadhir.service.test_alarms import TestAlarmError, schedule_test_alarm
    from nadhir.store.people import SubscriptionBook

    console = Console(stderr=True)
    if all_sites == bool(site):
        console.print("[red]error:[/red] give --site ID (one or more) or --all")
        raise typer.Exit(2)
    ctx = context(settings_file, db, scenario, console)
    by_id = {s.id: s for s in ctx.sites}
    unknown = [s for s in site or [] if s not in by_id]
    if unknown:
        console.print(f"[red]error:[/red] unknown site(s): {', '.join(unknown)}")
        raise typer.Exit(2)
    chosen = ctx.sites if all_sites else [by_id[s] for s in dict.fromkeys(site or [])]
    now = time.time()
    try:
        when = parse_when(at, now, ctx.settings.alert_tz)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    people = people_channels(ctx.settings)
    if not people.configured:
        console.print("[yellow]warning:[/yellow] no people channels configured (telegram_token, "
                      "sms_gateway, partners): the test is not announced")  # fmt: skip
    outbox = Outbox.open(ctx.db)
    try:
        subs = SubscriptionBook(outbox.engine).all() if people.person_channels else []
        info = schedule_test_alarm(
            outbox, chosen, when, duration_s=duration, people=people, subscriptions=subs,
            by=f"cli:{os.environ.get('USER', 'unknown')}", now=now,
        )  # fmt: skip
    except TestAlarmError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    finally:
        people.close()
        outbox.close()
    console.print(
        f"test alarm at {_iso(info.at, ctx.settings.alert_tz)} for {len(info.sites)} site(s), {duration} s: "
        f"{info.sirens} siren command(s), {info.announcements} announcement(s)"
    )
    typer.echo(info.key)


def list_alarms(
    everything: Annotated[bool, typer.Option("--all", help="Past ones too")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """List scheduled test alarms (upcoming ones, or all), with how their deliveries stand."""
    from nadhir.delivery.outbox import Outbox
    from nadhir.store.people import TestAlarmBook

    console = Console(stderr=True)
    ctx = context(settings_file, db, scenario, console)
    outbox = Outbox.open(ctx.db)
    try:
        alarms = TestAlarmBook(outbox.engine).scheduled(
            upcoming_after=None if everything else time.time() - 600
        )
        states = {a.key: _states(outbox, a.key) for a in alarms}
    finally:
        outbox.close()
    if as_json:
        for a in alarms:
            row = {
                "key": a.key, "at": a.at, "duration_s": a.duration_s, "sites": list(a.sites),
                "by": a.created_by, "cancelled_at": a.cancelled_at, "deliveries": states[a.key],
            }  # fmt: skip
            typer.echo(json.dumps(row))
        return
    table = Table(Column("key", overflow="fold"), "at", "s", "sites", "by", "deliveries")
    for a in alarms:
        when = _iso(a.at, ctx.settings.alert_tz) + (" (cancelled)" if a.cancelled_at else "")
        counts = ", ".join(f"{k} {v}" for k, v in sorted(states[a.key].items()))
        table.add_row(a.key, when, str(a.duration_s), ", ".join(a.sites), a.created_by or "", counts)
    Console().print(table)


def _states(outbox: Outbox, key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in outbox.deliveries(prefix=key + "-"):
        counts[d.state] = counts.get(d.state, 0) + 1
    return counts


def cancel(
    key: Annotated[str, typer.Argument(help="The test alarm's key (from schedule or list)")],
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """Call off a scheduled test alarm: deliveries not yet done are cancelled (and audited)."""
    from nadhir.delivery.outbox import Outbox
    from nadhir.service.test_alarms import TestAlarmError, cancel_test_alarm

    console = Console(stderr=True)
    ctx = context(settings_file, db, scenario, console)
    outbox = Outbox.open(ctx.db)
    try:
        n = cancel_test_alarm(outbox, key, by=f"cli:{os.environ.get('USER', 'unknown')}")
    except TestAlarmError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        outbox.close()
    console.print(f"cancelled {n} delivery(ies) of {key}")


def show(
    key: Annotated[str, typer.Argument(help="The test alarm's key")],
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """Every delivery of a test alarm with its audit trail, one JSON object per line."""
    from nadhir.delivery.outbox import Outbox

    console = Console(stderr=True)
    ctx = context(settings_file, db, scenario, console)
    outbox = Outbox.open(ctx.db)
    try:
        items = outbox.deliveries(prefix=key + "-")
        if not items:
            console.print(f"[red]error:[/red] no deliveries for {key!r}")
            raise typer.Exit(1)
        for d in items:
            trail = [{"at": e.at, "event": e.event, "attempt": e.attempt, "detail": e.detail}
                     for e in outbox.audit(d.key)]  # fmt: skip
            typer.echo(json.dumps({"key": d.key, "channel": d.channel, "target": d.target, "state": d.state,
                                   "attempts": d.attempts, "audit": trail}, ensure_ascii=False))  # fmt: skip
    finally:
        outbox.close()
