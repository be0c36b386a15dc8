"""`nadhir replay`: a scenario folder in, the alerts the system would have sent out.

Its arguments are parsed with argparse, not typer, and the console script runs it without loading
typer at all (see ``nadhir.service.cli.main``): typer 0.29 builds a pydantic TypeAdapter for every
option, and loading typer and pydantic costs ~110 ms, a tenth of a replay of idlib-basic, while
start-up counts in the replay speed (issue 2). ``register`` still lists the command in the typer
app, which hands its arguments over untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from nadhir.alerting.siren_model import SirenModel
from nadhir.domain import Problems
from nadhir.domain.formats.output import alert_to_dict, json_line, track_line
from nadhir.domain.formats.scenario import ScenarioError, load_scenario, read_lines
from nadhir.engine.replay import ReplayResult, persist_replay, replay_scenario
from nadhir.engine.stepper import RUN_ON_S
from nadhir.threat.learned import StrikeModel

if TYPE_CHECKING:  # rich is loaded only when something is shown (see _console); typer only by the app
    import typer
    from rich.console import Console

HELP = "Replay a scenario and write the alerts (and tracks) it produces."


def register(app: typer.Typer) -> None:
    """Add ``replay`` to the app; the arguments, ``--help`` included, go to :func:`main` as they are."""
    import typer

    def replay_command(ctx: typer.Context) -> None:
        code = main(ctx.args)
        if code:
            raise typer.Exit(code)

    # typer resolves the (string) annotation in this module's globals, where typer is not loaded.
    replay_command.__annotations__["ctx"] = typer.Context
    app.command(
        "replay",
        help=HELP,
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(replay_command)


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments (``nadhir replay --help``)."""
    ap = argparse.ArgumentParser(prog="nadhir replay", description=HELP)
    ap.add_argument(
        "scenario_dir",
        type=Path,
        metavar="SCENARIO_DIR",
        help="Scenario folder (sites.geojson, events.jsonl, ...)",
    )
    ap.add_argument("--out", type=Path, default=Path("alerts.jsonl"), help="Where to write alerts.jsonl")
    ap.add_argument("--tracks", type=Path, help="Also write tracks.jsonl here")
    ap.add_argument("--db", help="Store the run in this database URL")
    ap.add_argument("--cap-dir", type=Path, help="Also write one CAP 1.2 XML file per alert line here")
    ap.add_argument("--quiet", "-q", action="store_true", help="No progress bar or summary")
    ap.add_argument("--strike-model", help="Use a learned strike model: 'bundled' or a JSON path")
    ap.add_argument(
        "--siren-model",
        help="Weigh the rules' calls for sirens with the siren model: 'bundled' or a JSON path",
    )
    ap.add_argument(
        "--window",
        type=float,
        default=0.0,
        metavar="S",
        help="Opt-in: process events less than S seconds after a batch's first with it (0: off)",
    )
    ap.add_argument(
        "--blast-cluster",
        type=float,
        default=0.0,
        metavar="M",
        help="Opt-in: add a step's located blasts within M metres of each other as one (0: off)",
    )
    # The health room is loaded only to persist (its default, 500 m, is DRAFT_DISTANCE_M there).
    ap.add_argument("--attack-distance", type=float, metavar="M",
                    help="With --db: draft attacks on health care up to M metres away (500)")  # fmt: skip
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``nadhir replay`` with these arguments (default: the command line's); the exit code."""
    args = build_parser().parse_args(argv)
    return replay(
        args.scenario_dir,
        out=args.out,
        tracks=args.tracks,
        db=args.db,
        cap_dir=args.cap_dir,
        quiet=args.quiet,
        strike_model=args.strike_model,
        attack_distance=args.attack_distance,
        siren_model=args.siren_model,
        window_s=args.window,
        blast_cluster_m=args.blast_cluster,
    )


def replay(
    scenario_dir: Path,
    out: Path = Path("alerts.jsonl"),
    tracks: Path | None = None,
    db: str | None = None,
    cap_dir: Path | None = None,
    quiet: bool = False,
    strike_model: str | None = None,
    attack_distance: float | None = None,
    siren_model: str | None = None,
    window_s: float = 0.0,
    blast_cluster_m: float = 0.0,
) -> int:
    """Replay a scenario and write the alerts (and tracks) it produces; the exit code (2: bad input)."""
    try:
        if not (math.isfinite(window_s) and window_s >= 0.0):
            raise ValueError(f"--window must be a number of seconds >= 0, not {window_s}")
        if not (math.isfinite(blast_cluster_m) and blast_cluster_m >= 0.0):
            raise ValueError(f"--blast-cluster must be a number of metres >= 0, not {blast_cluster_m}")
        if attack_distance is not None and not (math.isfinite(attack_distance) and attack_distance > 0):
            raise ValueError(f"--attack-distance must be a positive number of metres, not {attack_distance}")
        scenario = load_scenario(scenario_dir)
        model = _strike_model(strike_model)
        sirens = _siren_model(siren_model)
    except (ScenarioError, ValueError) as exc:
        _error(exc)
        return 2
    show = not quiet and sys.stderr.isatty()
    with (
        out.open("w", encoding="utf-8") as alerts_fh,
        tracks.open("w", encoding="utf-8") if tracks else _NullWriter() as tracks_fh,
        _progress(scenario.events_path) if show else contextlib.nullcontext(None) as advance,
    ):
        result = replay_scenario(
            scenario,
            on_alert=lambda a: alerts_fh.write(json_line(alert_to_dict(a))),
            on_track=(lambda s: tracks_fh.write(track_line(s))) if tracks else None,
            on_progress=advance,
            keep=db is not None or cap_dir is not None,
            strike_model=model,
            siren_model=sirens,
            window_s=window_s,
            blast_cluster_m=blast_cluster_m,
        )
    if cap_dir is not None:
        from nadhir.alerting.cap import write_cap_files  # loaded only when asked for

        written = write_cap_files(result.alerts, scenario.sites, cap_dir, problems=scenario.problems)
        if not quiet:
            _console().print(f"CAP messages: {written} written to {cap_dir}")
    if db is not None:
        # Loaded only when asked to persist.
        from nadhir.health.attack_drafts import DRAFT_DISTANCE_M
        from nadhir.service.attack_register import draft_replay
        from nadhir.store import Store
        from nadhir.store.attacks import AttackBook

        with Store.open(db) as store:
            run_id = persist_replay(store, result)
            distance = DRAFT_DISTANCE_M if attack_distance is None else attack_distance
            drafted = draft_replay(AttackBook(store.engine), result, run_id, time.time(), distance)
        if not quiet:
            _console().print(f"stored as run {run_id} in {db}")
            added, merged = len(drafted.added), len(drafted.merged)
            _console().print(f"attacks on health care drafted: {added} new, {merged} joined to records")
    if not quiet:
        _print_summary(_console(), result, out, tracks)
    elif scenario.problems.items:
        # Quiet keeps the summary back, not the fact that input was dropped.
        print(f"nadhir replay: {_skipped(result)}; run without --quiet to see them", file=sys.stderr)
    return 0


def _error(exc: Exception) -> None:
    """The one line that says why the run cannot start: which file and why (plain, never wrapped)."""
    print("error: " + " ".join(str(exc).split()), file=sys.stderr)


def _skipped(result: ReplayResult) -> str:
    s = result.summary
    text = f"{len(result.scenario.problems)} input lines or entries skipped"
    return text + (f" ({s.suspect_events} of them events set aside as suspect)" if s.suspect_events else "")


def _console() -> Console:
    """The stderr console, loaded on first use.

    rich costs some 25 ms to import, a tenth of a quiet replay's start-up (start-up counts in the
    replay speed); a quiet replay that goes well prints nothing, so it never pays for it.
    """
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def _progress(events_path: Path) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr over the scenario's event lines; yields the function that advances it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(),
    ) as progress:
        task = progress.add_task("replay", total=_count_lines(events_path))
        yield lambda n: progress.advance(task, n)


def _print_summary(console: Console, result: ReplayResult, out: Path, tracks: Path | None) -> None:
    s = result.summary
    kinds = ", ".join(f"{n} {k.lower()}" for k, n in sorted(s.events_by_kind.items()))
    console.print(f"events read: {s.events} ({kinds})")
    problems = result.scenario.problems.items
    console.print(f"lines skipped: {len(problems)}")
    for p in problems[:20]:
        # One line each, as written: input text is neither markup nor to be wrapped.
        console.print(f"  {p.source}:{p.line}: {p.reason}", markup=False, highlight=False, soft_wrap=True)
    if len(problems) > 20:
        console.print(f"  ... and {len(problems) - 20} more")
    if s.suspect_events:
        console.print(f"events set aside as suspect: {s.suspect_events} (far off the times around them)")
    if s.rejected:
        console.print("reports not used: " + ", ".join(f"{n} {r}" for r, n in s.rejected.most_common()))
    if s.late_events:
        console.print(f"events out of time order (processed on arrival): {s.late_events}")
    if s.gaps_jumped:
        console.print(f"quiet gaps longer than {RUN_ON_S / 60:.0f} min jumped: {s.gaps_jumped}")
    console.print(f"tracks: {len(s.tracks)}   alert lines: {s.alerts}   alert episodes: {s.episodes}")
    console.print(f"alerts written to {out}" + (f", tracks to {tracks}" if tracks else ""))


def _strike_model(spec: str | None) -> StrikeModel | None:
    """The strike model ``--strike-model`` names, or None; ValueError says why it cannot be had."""
    if spec is None:
        return None
    try:
        model = StrikeModel.bundled() if spec == "bundled" else StrikeModel.load(Path(spec))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot load strike model {spec!r}: {exc}") from exc
    if model is None:
        raise ValueError("no strike model is bundled (train one with nadhir train-threat)")
    return model


def _siren_model(spec: str | None) -> SirenModel | None:
    """The siren model ``--siren-model`` names, or None; ValueError says why it cannot be had."""
    return None if spec is None else SirenModel.named(spec)


def _count_lines(path: Path) -> int:
    """The events file's lines, for the progress bar: read as the replay reads them, damage and all."""
    return sum(1 for _ in read_lines(path, Problems()))


class _NullWriter:
    def __enter__(self) -> TextIO | _NullWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, text: str) -> int:
        return 0
