"""`nadhir subscriptions`: who gets alerts by SMS or Telegram, for which sites or which area.

::

    nadhir subscriptions add --sms +963933000001 --site saraqeb --lang ar
    nadhir subscriptions add --telegram 123456789 --point 35.93,36.63 --radius-km 5 --lang en
    nadhir subscriptions list [--site saraqeb] [--json]
    nadhir subscriptions remove sub-1a2b3c4d5e6f            # or --sms NUMBER / --telegram CHAT
    nadhir subscriptions import people.jsonl

They are kept in the service's database (``--db``, else the settings' ``db``)
and a running ``nadhir serve`` picks changes up within seconds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from nadhir.service.commands.context import Context, DbOpt, ScenarioOpt, SettingsOpt, context

if TYPE_CHECKING:
    from nadhir.domain.people import Subscription
    from nadhir.store.people import SubscriptionBook

SmsOpt = Annotated[str | None, typer.Option("--sms", help="Phone number, international form (+963...)")]
TelegramOpt = Annotated[str | None, typer.Option("--telegram", help="Telegram chat id (or @channel)")]


def register(app: typer.Typer) -> None:
    """Add ``subscriptions`` (add, list, remove, import) to the app."""
    sub = typer.Typer(help="People who get alerts by SMS or Telegram: add, list, remove, import.",
                      no_args_is_help=True)  # fmt: skip
    sub.command("add")(add)
    sub.command("list")(list_subscriptions)
    sub.command("remove")(remove)
    sub.command("import")(import_file)
    app.add_typer(sub, name="subscriptions")


def _channel(sms: str | None, telegram: str | None, console: Console) -> tuple[str, str]:
    if (sms is None) == (telegram is None):
        console.print("[red]error:[/red] give exactly one of --sms NUMBER or --telegram CHAT")
        raise typer.Exit(2)
    return ("sms", sms) if sms is not None else ("telegram", telegram or "")


def _book(ctx: Context) -> SubscriptionBook:
    from nadhir.store import Store
    from nadhir.store.people import SubscriptionBook

    return SubscriptionBook(Store.open(ctx.db).engine)


def _who() -> str:
    return f"cli:{os.environ.get('USER') or os.environ.get('USERNAME') or 'unknown'}"


def add(
    sms: SmsOpt = None,
    telegram: TelegramOpt = None,
    site: Annotated[list[str] | None, typer.Option("--site", help="A site id (repeat for several)")] = None,
    point: Annotated[str | None, typer.Option("--point", help="LAT,LON of the area's centre")] = None,
    radius_km: Annotated[
        float | None, typer.Option("--radius-km", help="Radius of the area around --point", min=0.01, max=500)
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the messages: ar or en")] = "ar",
    sub_id: Annotated[str | None, typer.Option("--id", help="Subscription id (default: a new one)")] = None,
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """Subscribe a phone or a Telegram chat to sites, or to a point and a radius, or both."""
    from nadhir.service.people import make_subscription
    from nadhir.store.people import SubscriptionExists

    console = Console(stderr=True)
    channel, address = _channel(sms, telegram, console)
    ctx = context(settings_file, db, scenario, console)
    lat = lon = radius_m = None
    if (point is None) != (radius_km is None):
        console.print("[red]error:[/red] --point and --radius-km go together")
        raise typer.Exit(2)
    if point is not None and radius_km is not None:
        try:
            lat, lon = (float(v) for v in point.split(","))
        except ValueError as exc:
            console.print(f"[red]error:[/red] --point must be LAT,LON, not {point!r}")
            raise typer.Exit(2) from exc
        radius_m = radius_km * 1000.0
    try:
        sub = make_subscription(
            channel=channel, address=address, sites=site or [], lat=lat, lon=lon, radius_m=radius_m,
            lang=lang, known_sites=ctx.site_ids(), sub_id=sub_id,
        )  # fmt: skip
        _book(ctx).add(sub, by=_who())
    except SubscriptionExists as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    typer.echo(sub.id)


def _as_dict(sub: Subscription) -> dict[str, Any]:
    from dataclasses import asdict

    out = asdict(sub)
    out["sites"] = list(out["sites"])
    return {k: v for k, v in out.items() if v is not None}


def list_subscriptions(
    site: Annotated[
        str | None, typer.Option("--site", help="Who an alert for this site reaches (sites and areas)")
    ] = None,
    sms: SmsOpt = None,
    telegram: TelegramOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """List subscriptions; with --site, exactly those an alert for that site is sent to."""
    console = Console(stderr=True)
    ctx = context(settings_file, db, scenario, console)
    book = _book(ctx)
    channel = "sms" if sms is not None else "telegram" if telegram is not None else None
    address = sms if sms is not None else telegram
    if site is not None:
        from nadhir.delivery.subscriptions import SubscriberIndex

        target = next((s for s in ctx.sites if s.id == site), None)
        if target is None:
            console.print(f"[red]error:[/red] unknown site {site!r}")
            raise typer.Exit(2)
        subs = SubscriberIndex.build(book.find(channel=channel, address=address)).recipients([target])
        subs = subs[:limit] if limit is not None else subs
    else:
        subs = book.find(channel=channel, address=address, limit=limit)
    if as_json:
        for sub in subs:
            typer.echo(json.dumps(_as_dict(sub), ensure_ascii=False))
        return
    table = Table("id", "channel", "address", "lang", "sites", "area")
    for sub in subs:
        area = "" if sub.radius_m is None else f"{sub.lat:.4f},{sub.lon:.4f} r {sub.radius_m / 1000:g} km"
        table.add_row(sub.id, sub.channel, sub.address, sub.lang, ", ".join(sub.sites), area)
    Console().print(table)
    console.print(f"{len(subs)} subscription(s)")


def remove(
    ids: Annotated[list[str] | None, typer.Argument(help="Subscription ids")] = None,
    sms: SmsOpt = None,
    telegram: TelegramOpt = None,
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """Remove subscriptions by id, or every subscription of one phone or chat."""
    console = Console(stderr=True)
    if not ids and sms is None and telegram is None:
        console.print("[red]error:[/red] give subscription ids, or --sms NUMBER / --telegram CHAT")
        raise typer.Exit(2)
    ctx = context(settings_file, db, scenario, console)
    book = _book(ctx)
    removed = 0
    missing = []
    for key in ids or []:
        if book.remove(key):
            removed += 1
        else:
            missing.append(key)
    if sms is not None:
        removed += book.remove_address("sms", sms.strip())
    if telegram is not None:
        removed += book.remove_address("telegram", telegram.strip())
    console.print(f"removed {removed} subscription(s)")
    if missing:
        console.print(f"[yellow]not found:[/yellow] {', '.join(missing)}")
        raise typer.Exit(1)


def import_file(
    path: Annotated[Path, typer.Argument(help="JSON Lines file of subscriptions (docs/alert-delivery.md)")],
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """Add the subscriptions of a JSON Lines file; bad lines are reported and skipped."""
    from nadhir.delivery.subscriptions import load_subscriptions
    from nadhir.domain import Problems
    from nadhir.service.people import check_address

    console = Console(stderr=True)
    ctx = context(settings_file, db, scenario, console)
    problems = Problems()
    try:
        subs = load_subscriptions(path, problems)
    except OSError as exc:
        console.print(f"[red]error:[/red] {path}: {exc.strerror or exc}")
        raise typer.Exit(2) from exc
    known = set(ctx.site_ids())
    good = []
    for sub in subs:
        try:
            check_address(sub.channel, sub.address)
            unknown = [s for s in sub.sites if s not in known]
            if unknown:
                raise ValueError(f"unknown site(s): {', '.join(unknown)}")
        except ValueError as exc:
            problems.add(path.name, 0, f"subscription {sub.id!r}: {exc}")
            continue
        good.append(sub)
    stored, taken = _book(ctx).add_many(good, by=_who())
    for p in problems.items:
        where = f"{p.source}:{p.line}" if p.line else p.source
        console.print(f"[yellow]skipped[/yellow] {where}: {p.reason}")
    if taken:
        console.print(f"[yellow]already there[/yellow] (kept as they were): {', '.join(taken[:20])}"
                      + (" ..." if len(taken) > 20 else ""))  # fmt: skip
    console.print(f"imported {stored} subscription(s)")
