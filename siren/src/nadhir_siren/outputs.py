"""Where a siren's sound goes: a relay switched by a hook command (GPIO), the audio output, and the
:class:`Sounder` that plays one command at a time on all of them. Standard library only."""

from __future__ import annotations

import array
import contextlib
import logging
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Sequence
from pathlib import Path

from nadhir_siren.protocol import CADENCE, PATTERNS, REAL_PATTERNS, Pattern, SirenCommand

log = logging.getLogger(__name__)


class Output:
    """Where a siren's sound goes."""

    def play(self, command: SirenCommand, stop: threading.Event) -> None:
        """Play the pattern until its duration ends or ``stop`` is set."""
        raise NotImplementedError


def _run_hook(argv: list[str], env: dict[str, str]) -> None:
    try:
        subprocess.run(argv, env=env, check=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        log.error("relay hook %s failed: %s", shlex.join(argv), exc)


class RelayOutput(Output):
    """Switches a relay through a hook command (``gpioset``, a script, ...).

    The command is run with ``on`` or ``off`` appended, or with ``{state}``
    (``on``/``off``) and ``{value}`` (``1``/``0``) replaced when it contains
    them, e.g. ``gpioset gpiochip0 17={value}``. The environment gives
    ``NADHIR_SIREN_PATTERN`` and ``NADHIR_SIREN_KEY``.
    """

    def __init__(self, command: str) -> None:
        self.template = shlex.split(command)
        if not self.template:
            raise ValueError("empty relay hook command")
        if shutil.which(self.template[0]) is None:
            raise ValueError(f"relay hook {self.template[0]!r} not found or not executable")

    def _argv(self, on: bool) -> list[str]:
        state, value = ("on", "1") if on else ("off", "0")
        if any("{state}" in a or "{value}" in a for a in self.template):
            return [a.replace("{state}", state).replace("{value}", value) for a in self.template]
        return [*self.template, state]

    def switch(self, on: bool, command: SirenCommand | None = None) -> None:
        env = dict(os.environ)
        if command is not None:
            env["NADHIR_SIREN_PATTERN"] = command.pattern
            env["NADHIR_SIREN_KEY"] = command.key
        _run_hook(self._argv(on), env)

    def play(self, command: SirenCommand, stop: threading.Event) -> None:
        on_s, off_s = CADENCE[command.pattern]
        end = time.monotonic() + command.duration_s
        is_on = False
        try:
            while not stop.is_set():
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.switch(True, command)
                is_on = True
                if off_s <= 0:  # steady tone
                    stop.wait(left)
                    break
                if stop.wait(min(on_s, left)):
                    break
                self.switch(False, command)
                is_on = False
                left = end - time.monotonic()
                if left <= 0 or stop.wait(min(off_s, left)):
                    break
        finally:
            if is_on:
                self.switch(False, command)


SAMPLE_RATE = 16_000


def pattern_wave(pattern: Pattern) -> array.array[int]:
    """One cycle of a pattern's tone as 16-bit samples at 16 kHz.

    ``alert``: a slow wail rising and falling between 450 and 900 Hz over 8 s;
    ``imminent``: a fast warble, 1.5 s cycles; ``all_clear``: a steady 700 Hz;
    ``test``: 2 s of 600 Hz then 2 s of silence.
    """
    if pattern in ("alert", "imminent"):
        seconds = 8.0 if pattern == "alert" else 1.5
        n = int(SAMPLE_RATE * seconds)
        freq = [675.0 - 225.0 * math.cos(2 * math.pi * (i / SAMPLE_RATE) / seconds) for i in range(n)]
    elif pattern == "all_clear":
        freq = [700.0] * SAMPLE_RATE
    elif pattern == "test":
        freq = [600.0] * (SAMPLE_RATE * 4)
    else:
        return array.array("h")
    # The phase is the running sum of the frequency, summed in order (as the tone was always made).
    samples = array.array("h", bytes(2 * len(freq)))
    total = 0.0
    silent_from = 2 * SAMPLE_RATE if pattern == "test" else len(freq)
    for i, f in enumerate(freq):
        total += f
        if i < silent_from:
            samples[i] = round(0.8 * math.sin(2 * math.pi * total / SAMPLE_RATE) * 32767)
    return samples


def write_wave(path: Path, samples: array.array[int]) -> None:
    """Mono 16-bit little-endian WAV at :data:`SAMPLE_RATE`."""
    data = array.array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(data.tobytes())


class AudioOutput(Output):
    """Plays the pattern's tone through a sound player (default ``aplay -q {file}``), looped."""

    def __init__(self, command: str = "aplay -q {file}", cache_dir: Path | None = None) -> None:
        self.template = shlex.split(command)
        if not self.template:
            raise ValueError("empty audio player command")
        if shutil.which(self.template[0]) is None:
            raise ValueError(f"audio player {self.template[0]!r} not found (install alsa-utils for aplay, "
                             "or give --audio-command)")  # fmt: skip
        if not any("{file}" in a for a in self.template):
            self.template.append("{file}")
        self.cache_dir = cache_dir or Path(tempfile.gettempdir()) / "nadhir-siren-audio"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, Path] = {}
        for pattern in PATTERNS:
            if pattern != "stop":
                path = self.cache_dir / f"{pattern}.wav"
                write_wave(path, pattern_wave(pattern))
                self._files[pattern] = path

    def play(self, command: SirenCommand, stop: threading.Event) -> None:
        path = self._files.get(command.pattern)
        if path is None:
            return
        argv = [a.replace("{file}", str(path)) for a in self.template]
        end = time.monotonic() + command.duration_s
        while not stop.is_set() and time.monotonic() < end:
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
            except OSError as exc:
                log.error("audio player %s failed: %s", shlex.join(argv), exc)
                return
            while proc.poll() is None:
                if stop.wait(0.05) or time.monotonic() >= end:
                    proc.terminate()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(2)
                    if proc.poll() is None:
                        proc.kill()
                    return
            if proc.returncode != 0:
                log.error("audio player %s exited with %s", shlex.join(argv), proc.returncode)
                return


class Sounder:
    """Plays one command at a time on every output; a new command cuts the one playing, except that a
    test never cuts a real pattern (:data:`~nadhir_siren.protocol.REAL_PATTERNS`)."""

    def __init__(self, outputs: Sequence[Output]) -> None:
        self.outputs = list(outputs)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._generation = 0
        self.state = "idle"

    def would_cut_a_real_pattern(self, command: SirenCommand) -> bool:
        """True if ``command`` is a test and a real pattern is playing: it is not played."""
        return command.pattern == "test" and self.state in REAL_PATTERNS

    def start(self, command: SirenCommand) -> bool:
        """Play ``command`` (cutting the one playing); False, and nothing changes, for a test while a
        real pattern plays."""
        with self._lock:
            if self.would_cut_a_real_pattern(command):
                return False
            self._stop.set()
            for th in self._threads:
                th.join(15)
            self._stop = threading.Event()
            self._generation += 1
            self._threads = []
            if command.pattern == "stop" or command.duration_s == 0:
                self.state = "idle"
                return True
            self.state = command.pattern
            for output in self.outputs:
                th = threading.Thread(target=self._play, args=(output, command, self._stop, self._generation),
                                      daemon=True)  # fmt: skip
                th.start()
                self._threads.append(th)
            return True

    def _play(self, output: Output, command: SirenCommand, stop: threading.Event, generation: int) -> None:
        try:
            output.play(command, stop)
        except Exception:
            log.exception("output failed while playing %s", command.key)
        if generation == self._generation and not any(
            t.is_alive() for t in self._threads if t is not threading.current_thread()
        ):
            self.state = "idle"

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the current pattern has finished playing."""
        for th in list(self._threads):
            th.join(timeout)

    def stop(self) -> None:
        self.start(SirenCommand("shutdown", "stop", 0, 0, 0))
