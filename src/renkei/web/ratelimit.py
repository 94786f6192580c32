"""A per-address token bucket for public endpoints that cost CPU (conversion, reconciliation).

Bounded in every direction an outsider controls: each address has a bucket of ``burst``
tokens refilled at ``rate`` per second, and at most ``max_clients`` buckets are kept (the
least recently seen address is forgotten first). Per process: with several workers each
has its own buckets, which still bounds the total to workers × rate.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from fastapi import HTTPException, Request

from ..i18n import gettext as _


class RateLimiter:
    def __init__(self, rate: float, burst: float, max_clients: int = 10_000) -> None:
        self.rate, self.burst, self.max_clients = rate, burst, max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address → (tokens, updated)
        self._lock = threading.Lock()

    def _take(self, key: str, now: float) -> float:
        """The bucket of ``key``, refilled up to ``now``; the caller holds the lock and stores it back."""
        tokens, updated = self._buckets.pop(key, (self.burst, now))
        return min(self.burst, tokens + (now - updated) * self.rate)

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)

    def wait(self, key: str, cost: float = 1.0, now: float | None = None) -> float:
        """Take ``cost`` tokens for ``key``: 0 when allowed, else the seconds to wait (nothing is taken)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens = self._take(key, now)
            if cost > self.burst:
                wait = float("inf")
            elif tokens >= cost:
                tokens, wait = tokens - cost, 0.0
            else:
                wait = (cost - tokens) / self.rate
            self._store(key, tokens, now)
            return wait

    def charge(self, key: str, cost: float, now: float | None = None) -> None:
        """Take ``cost`` tokens for work already done, whatever is left: the bucket may go into debt.

        For a cost known only afterwards (the cells a conversion read): the next request from
        ``key`` waits until the debt is refilled at ``rate``.
        """
        if cost <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            self._store(key, max(self._take(key, now) - cost, -self.burst), now)  # a debt of at most one full bucket

    def check(self, request: Request, cost: float = 1.0) -> None:
        """Raise 429 with Retry-After when the client's address has used its share."""
        wait = self.wait(address(request), cost)
        if wait:
            retry = "60" if wait == float("inf") else str(max(1, int(wait + 0.999)))
            raise HTTPException(429, _("しばらくしてから再度お試しください"), headers={"Retry-After": retry})


def address(request: Request) -> str:
    """The client's address, as the per-address budgets count it."""
    return request.client.host if request.client else "?"
