"""JSON on the wire: strict, and loud when it cannot be.

Every feed message goes out through :meth:`Wire.dumps`: ``allow_nan=False``, so
a NaN or an infinity is never sent as the bare ``NaN`` / ``Infinity`` that no
browser's ``JSON.parse`` reads (one such message used to stop a console's
panes). A message that cannot be serialised is logged as an error, counted
(``wire_errors`` in ``/api/v1/admin/stats``) and not sent. Response bodies are
Starlette's ``JSONResponse``, which is strict in the same way (a NaN there is a
logged 500, never a bare NaN).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


class Wire:
    """Serialises outgoing JSON strictly and counts what could not be sent."""

    def __init__(self) -> None:
        self.errors = 0
        self._lock = threading.Lock()

    def dumps(self, obj: Any, what: str) -> str | None:
        """``obj`` as JSON text, or None (logged and counted) if it holds NaN, infinity or worse."""
        try:
            return json.dumps(obj, ensure_ascii=False, allow_nan=False)
        except (ValueError, TypeError, RecursionError) as exc:
            with self._lock:
                self.errors += 1
            log.error("NOT SENT: a %s message cannot be sent as JSON (%s): %.500r", what, exc, obj)
            return None
