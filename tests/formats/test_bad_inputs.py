"""Bad replay inputs (``tests/data/bad/``): each one is reported and skipped, or ends the run cleanly.

Every case runs the real ``nadhir replay`` entry point in a child process with a
30 s timeout, so a replay that hangs fails its test instead of hanging the suite.
For each: the exit code, the line that names the problem, no traceback, and the
alerts file complete (what the same scenario gives without the bad input).
How the cases are laid over the small good scenario ``base/``: see
``tests/data/bad/make_bad.py``.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import nadhir

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
TIMEOUT_S = 30.0
ENTRY = "import sys; from nadhir.service.cli import main; sys.argv[0] = 'nadhir'; main()"


def _build(case: str, tmp_path: Path) -> Path:
    """The scenario folder for ``case``: base with the case's files laid over it."""
    root = tmp_path / case
    shutil.copytree(BAD / "base", root)
    for path in sorted((BAD / case).iterdir()) if case != "base" else []:
        if path.name.startswith("insert-before-line-"):
            before = int(path.stem.removeprefix("insert-before-line-"))
            lines = (root / "events.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
            bad = path.read_text(encoding="utf-8").splitlines(keepends=True)
            lines[before - 1 : before - 1] = bad
            (root / "events.jsonl").write_text("".join(lines), encoding="utf-8")
        elif path.name == "sites-extra.json":
            sites = json.loads((root / "sites.geojson").read_text(encoding="utf-8"))
            sites["features"].extend(json.loads(path.read_text(encoding="utf-8")))
            (root / "sites.geojson").write_text(json.dumps(sites), encoding="utf-8")
        else:
            if path.name == "events.jsonl.gz":
                (root / "events.jsonl").unlink()
            shutil.copy(path, root / path.name)
    return root


def _replay(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``nadhir replay ROOT --out OUT`` in a child process; a run over TIMEOUT_S fails the test."""
    src = str(Path(nadhir.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    try:
        return subprocess.run(
            [sys.executable, "-c", ENTRY, "replay", str(root), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"nadhir replay {root.name} ran over {TIMEOUT_S:.0f} s (it hangs)")


def _alerts(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        json.loads(line)  # every line whole
    return lines


@pytest.fixture(scope="module")
def base_alerts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    tmp = tmp_path_factory.mktemp("base")
    done = _replay(BAD / "base", tmp / "alerts.jsonl")
    assert done.returncode == 0, done.stderr
    alerts = _alerts(tmp / "alerts.jsonl")
    assert len(alerts) > 10  # the base raises alerts, so a lost or cut-short alerts file shows
    return alerts


def _run_ok(case: str, tmp_path: Path) -> tuple[str, list[str]]:
    """Replay a case that must go through: exit 0, no traceback; its stderr and alert lines."""
    out = tmp_path / "alerts.jsonl"
    done = _replay(_build(case, tmp_path), out)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    return done.stderr, _alerts(out)


# (case, the line reported, words of the rule that line breaks)
EVENT_CASES = [
    ("sigma-huge", 151, "bearing_sigma_deg: out of range: must be at most 180"),
    ("sigma-zero", 151, "bearing_sigma_deg: must be above 0"),
    ("sigma-negative", 151, "bearing_sigma_deg: must be above 0"),
    ("count-infinity", 151, "Infinity is not a number JSON allows"),
    ("count-huge", 151, "count: out of range: must be at most 200"),
    ("count-negative", 151, "count: out of range: must be at least 1"),
    ("integer-5000-digits", 151, "digits"),
    ("deeply-nested", 151, "nested deeper than"),
    ("latitude-string", 151, "lat: must be a number, not str"),
    ("year-9999", 151, "year 9999"),
    ("year-1", 1, "year 1 "),
    ("year-ahead", 151, "set aside as suspect"),
]


@pytest.mark.parametrize(("case", "line", "words"), EVENT_CASES, ids=[c[0] for c in EVENT_CASES])
def test_a_bad_event_line_is_reported_and_skipped(
    case: str, line: int, words: str, tmp_path: Path, base_alerts: list[str]
) -> None:
    stderr, alerts = _run_ok(case, tmp_path)
    reported = [row for row in stderr.splitlines() if row.strip().startswith(f"events.jsonl:{line}:")]
    assert reported and words in reported[0], stderr
    assert alerts == base_alerts


def test_an_event_far_ahead_is_counted_as_suspect_and_later_lines_stay_on_time(tmp_path: Path) -> None:
    stderr, _ = _run_ok("year-ahead", tmp_path)
    assert "events set aside as suspect: 1" in stderr, stderr
    assert "processed on arrival" not in stderr  # nothing after it was made "late"


# (case, feature number reported, words of the rule)
SITE_CASES = [
    ("feature-string", 28, "feature: must be an object"),
    ("geometry-string", 28, "geometry: must be an object"),
    ("polygon-bowtie", 28, "the ring crosses itself"),
    ("polygon-unclosed", 28, "the ring is not closed"),
    ("polygon-latitude-200", 28, "must be at most 90"),
    ("sirens-string", 28, "sirens: must be a list of text"),
]


@pytest.mark.parametrize(("case", "feature", "words"), SITE_CASES, ids=[c[0] for c in SITE_CASES])
def test_a_bad_site_is_reported_and_skipped(
    case: str, feature: int, words: str, tmp_path: Path, base_alerts: list[str]
) -> None:
    stderr, alerts = _run_ok(case, tmp_path)
    reported = [row for row in stderr.splitlines() if row.strip().startswith(f"sites.geojson:{feature}:")]
    assert reported and words in reported[0], stderr
    assert alerts == base_alerts  # the other sites are warned as before, the bad one not at all


# (case, the file named, words of why)
FILE_CASES = [
    ("sites-no-features", "sites.geojson", "no features"),
    ("sites-not-json", "sites.geojson", "not JSON"),
    ("sites-binary", "sites.geojson", "not UTF-8"),
    ("gazetteer-not-json", "gazetteer.json", "not JSON"),
    ("gazetteer-binary", "gazetteer.json", "not UTF-8"),
    ("reporters-not-json", "reporters.json", "not JSON"),
    ("reporters-binary", "reporters.json", "not UTF-8"),
]


@pytest.mark.parametrize(("case", "file", "words"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_an_unreadable_input_file_ends_the_run_with_one_line(
    case: str, file: str, words: str, tmp_path: Path
) -> None:
    out = tmp_path / "alerts.jsonl"
    done = _replay(_build(case, tmp_path), out)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert file in lines[0] and words in lines[0], lines[0]
    assert not out.exists()  # no alerts file that looks like a quiet day


def _readable_prefix(packed: bytes) -> str:
    """The text of a damaged gzip stream up to its damage, fed byte by byte."""
    inflate = zlib.decompressobj(31)
    out = []
    for i in range(len(packed)):
        try:
            out.append(inflate.decompress(packed[i : i + 1]))
        except zlib.error:
            break
    return b"".join(out).decode("utf-8", errors="replace")


@pytest.mark.parametrize(("case", "words"), [("gz-truncated", "truncated"), ("gz-corrupt", "corrupt")])
def test_a_damaged_gzip_keeps_the_lines_before_the_damage(case: str, words: str, tmp_path: Path) -> None:
    stderr, alerts = _run_ok(case, tmp_path)
    text = _readable_prefix((BAD / case / "events.jsonl.gz").read_bytes())
    whole = text[: text.rfind("\n") + 1]  # the lines read to their end
    n = whole.count("\n")
    assert n > 50
    reported = [row for row in stderr.splitlines() if row.strip().startswith(f"events.jsonl.gz:{n + 1}:")]
    assert reported and words in reported[0], stderr
    # The same alerts as a replay of just those lines, cleanly compressed.
    reference = tmp_path / "reference"
    shutil.copytree(BAD / "base", reference)
    (reference / "events.jsonl").unlink()
    with gzip.open(reference / "events.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(whole)
    _, expected = _run_ok_dir(reference, tmp_path / "reference-alerts.jsonl")
    assert expected and alerts == expected


def _run_ok_dir(root: Path, out: Path) -> tuple[str, list[str]]:
    done = _replay(root, out)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stderr, _alerts(out)


def test_a_gap_of_years_is_jumped_not_ticked_through(tmp_path: Path, base_alerts: list[str]) -> None:
    """Ten years between two runs of events: both are replayed, and the clock jumps the gap."""
    stderr, alerts = _run_ok("gap-ten-years", tmp_path)
    first = [a for a in alerts if json.loads(a)["t"] < "2035"]
    later = [a for a in alerts if json.loads(a)["t"] >= "2035"]
    assert first == base_alerts  # the first run's episodes all cleared before the jump
    assert later  # and the second run raised its own
    assert "set aside as suspect" not in stderr  # a gap in sorted events is not suspect
