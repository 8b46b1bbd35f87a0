"""Fixed-window request counters in Django's cache, for the API's per-key and per-user limits.

Each (name, window) pair is one cache entry created with ``add`` and bumped with ``incr``, both
atomic in Redis and in the local-memory cache, so concurrent requests never lose a count. A fixed
window lets a client send up to twice the limit across a window boundary; for protecting the
server from a runaway script that is good enough, and it costs one cache round trip per limit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window resets (0 when allowed)


def hit(name: str, *, limit: int, window: int = 60, now: float | None = None) -> Decision:
    """Count one request against ``name``; refuse it once ``limit`` were counted in this window."""
    now = time.time() if now is None else now
    window_start = int(now // window) * window
    key = f"ratelimit:{name}:{window_start}"
    # Kept a little longer than the window so a slow clock in another process still finds it.
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count <= limit:
        return Decision(True, count, limit, 0)
    return Decision(False, count, limit, max(1, math.ceil(window_start + window - now)))


def current(name: str, *, window: int = 60, now: float | None = None) -> int:
    """How many were counted against ``name`` in this window, without counting one more."""
    now = time.time() if now is None else now
    window_start = int(now // window) * window
    return int(cache.get(f"ratelimit:{name}:{window_start}") or 0)


def retry_after(name: str, *, window: int = 60, now: float | None = None) -> int:
    """Seconds until the current window of ``name`` ends."""
    now = time.time() if now is None else now
    window_start = int(now // window) * window
    return max(1, math.ceil(window_start + window - now))


def check(limits: list[tuple[str, int]], *, window: int = 60) -> Decision:
    """Count the request against every limit; the first refusal (or the last grant) is returned.

    Every counter is bumped even after one refuses, so that a client hammering one key also uses
    up its user's allowance, and the Retry-After of the longest wait is reported.
    """
    decisions = [hit(name, limit=limit, window=window) for name, limit in limits]
    refused = [d for d in decisions if not d.allowed]
    if refused:
        return max(refused, key=lambda d: d.retry_after)
    return decisions[-1]
