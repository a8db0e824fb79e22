"""In-memory sliding-window rate limits (per process) against guessing and flooding.

One portal process serves the office (see README); several processes each keep their own
window, which multiplies the allowance by the process count but still bounds guessing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key."""

    def __init__(self, limit: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        q = self._events.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> bool:
        """Whether ``key`` has used up its allowance (without counting an event)."""
        with self._lock:
            now = self.clock()
            q = self._trim(key, now)
            if not q:
                self._events.pop(key, None)
            return len(q) >= self.limit

    def hit(self, key: str) -> bool:
        """Count one event; False if it is over the limit (then it is not counted)."""
        with self._lock:
            now = self.clock()
            q = self._trim(key, now)
            if len(q) >= self.limit:
                return False
            q.append(now)
            if len(self._events) > 50_000:  # a flood of distinct keys must not grow forever
                stale = [k for k, v in self._events.items()
                         if not v or v[-1] <= now - self.window]
                for k in stale:
                    del self._events[k]
            return True
