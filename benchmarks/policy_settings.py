"""Alert policy settings from the command line, for the benchmarks that score a policy.

One reader for ``warning_scores.py --policy`` and ``alert_minutes.py --policy/--sweep``, so a
setting means the same in both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from nadhir.alerting.policy import PolicyConfig


def policy_settings(pairs: Sequence[str], base: PolicyConfig | None = None) -> PolicyConfig:
    """``base`` (default: ``PolicyConfig()``) with ``key=value`` settings: a number; ``none`` for
    None; words separated by ``,`` for a tuple (``impact_siren_cues=approach,overhead``); one entry
    of a per-aircraft table as ``key.aircraft=value`` (``imminent_margin_s.helicopter=120``)."""
    base = base or PolicyConfig()
    changes: dict[str, object] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if "." in key:
            key, _, entry = key.partition(".")
            table = dict(changes.get(key, getattr(base, key)))  # type: ignore[call-overload]
            table[entry] = float(value)
            changes[key] = table
        elif value.lower() == "none":
            changes[key] = None
        elif value[:1].isalpha():
            changes[key] = tuple(w for w in value.split(",") if w)
        else:
            changes[key] = float(value)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
