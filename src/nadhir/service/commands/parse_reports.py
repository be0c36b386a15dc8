"""`nadhir parse-reports`: observer messages on stdin, one parsed message per line out.

    echo "⚠️ طيران حربي فوق <town> متجه شمالا" | nadhir parse-reports --gazetteer SCENARIO_DIR --json

Every input line gets exactly one output line, in order, whatever it holds
(an empty line, bytes that are not UTF-8, text the reader makes nothing of).
With ``--json`` each output line is a JSON object with the keys in
:data:`KEYS` (null where absent); without it, a table.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from rich.console import Console
from rich.table import Table

from nadhir.domain.formats.scenario import ScenarioError, load_scenario
from nadhir.geo.gazetteer import Gazetteer, load_places, site_as_place
from nadhir.intake.parsed import ParsedMessage
from nadhir.intake.text import MessageReader

KEYS = (
    "text", "aircraft", "count", "action", "place_id", "place_name", "toward_id", "origin_id",
    "lat", "lon", "heading_deg", "confidence", "unknown_place", "kind",
)


def register(app: typer.Typer) -> None:
    """Add ``parse-reports`` to the app."""
    app.command("parse-reports")(parse_reports)


def parse_reports(
    gazetteer: Annotated[
        Path, typer.Option("--gazetteer", help="Scenario folder whose sites and gazetteer.json name places")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
    places: Annotated[
        list[Path] | None,
        typer.Option("--places", help="More gazetteer files (same format as gazetteer.json); repeatable"),
    ] = None,
) -> None:
    """Read one observer message per line on stdin and write what each one says."""
    err = Console(stderr=True)
    try:
        reader = build_reader(gazetteer, places or [])
    except (ScenarioError, OSError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    stdin = sys.stdin.buffer
    if as_json:
        for line in _lines(stdin):
            typer.echo(json.dumps(parse_line(reader, line), ensure_ascii=False))
        return
    columns = ("text", "aircraft", "n", "action", "place", "toward", "origin", "heading", "conf", "unknown")
    table = Table(*columns)
    for line in _lines(stdin):
        row = parse_line(reader, line)
        heading = row["heading_deg"]
        table.add_row(
            _cell(row["text"]), row["aircraft"], _cell(row["count"]),
            row["action"] if row["kind"] == "sighting" else row["kind"], _cell(row["place_id"]),
            _cell(row["toward_id"]), _cell(row["origin_id"]), "" if heading is None else f"{heading:.0f}",
            f"{row['confidence']:.2f}", _cell(row["unknown_place"]),
        )
    Console().print(table)


def build_reader(scenario_dir: Path, extra_places: list[Path]) -> MessageReader:
    """A reader for the scenario's sites (first) and gazetteer, plus any extra gazetteer files."""
    scenario = load_scenario(scenario_dir)
    more = [place for path in extra_places for place in load_places(path)]
    return MessageReader(Gazetteer([*(site_as_place(s) for s in scenario.sites), *scenario.places, *more]))


def parse_line(reader: MessageReader, line: str) -> dict[str, Any]:
    """The output object for one input line; all keys present, null where absent."""
    try:
        parsed = reader.read(line)
    except Exception:  # the reader does not raise; this is the belt to its braces
        parsed = ParsedMessage(text=line, rejection="unreadable")
    return {
        "text": line,
        "aircraft": parsed.aircraft,
        "count": parsed.count,
        "action": parsed.action,
        "place_id": parsed.place_id,
        "place_name": parsed.place_name,
        "toward_id": parsed.toward_id,
        "origin_id": parsed.origin_id,
        "lat": parsed.lat,
        "lon": parsed.lon,
        "heading_deg": parsed.heading_deg,
        "confidence": parsed.confidence,
        "unknown_place": parsed.unknown_place,
        "kind": parsed.kind,
    }


def _lines(stream: BinaryIO) -> Iterator[str]:
    """Lines of the stream as text: bytes that are not UTF-8 become U+FFFD, never an error."""
    for raw in stream:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"
