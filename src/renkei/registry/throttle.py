"""Failed sign-ins, counted in the database so that every worker process sees the same numbers.

Two counters, with growing delays instead of a lock:
- per (account name as typed, address): after ``FREE_TRIES`` failures, each further try must wait
  5 s, 10 s, 20 s … up to ``MAX_DELAY``. An attacker elsewhere never delays the real user, and an
  unknown name is counted exactly like a known one (nothing tells them apart);
- per address, over all names (password spraying): the same after ``ADDRESS_FREE_TRIES``.

A try is *reserved* before the password is checked, with a compare-and-set on the count, so
concurrent requests on several workers cannot slip extra tries past the limit; a successful
sign-in clears its (account, address) counter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..i18n import _
from .base import Core, RegistryError, now
from .schema import SignInThrottle

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


FREE_TRIES = 5
ADDRESS_FREE_TRIES = 50
FIRST_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # a counter without failures for this long starts again
ANY_ACCOUNT = ""  # the username of the per-address counter
RETRIES = 8


class Throttled(RegistryError):
    """Too many failed sign-ins from this address (for this name, or for all): wait ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(_("ログインの失敗が続いています。しばらく待ってから再度お試しください"))


def delay(failures: int, free: int) -> timedelta:
    """The wait after ``failures`` failed tries: none for the first ``free``, then doubling up to MAX_DELAY."""
    if failures < free:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - free, 20), MAX_DELAY)


def _aware(t: datetime | None) -> datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=UTC)


def _key(username: str, address: str) -> tuple[str, str]:
    return username[:80], address[:64]


def _blocked(row: SignInThrottle | None, t: datetime) -> int:
    """Seconds still to wait for this counter (0 when a try is allowed)."""
    until = _aware(row.blocked_until) if row is not None else None
    return int((until - t).total_seconds()) + 1 if until and until > t else 0


def reserve(reg: Core, username: str, address: str) -> None:
    """Count one try for (username, address) before the password is checked; Throttled if it must wait."""
    user, addr = _key(username, address)
    for _attempt in range(RETRIES):  # another worker changed the count between our read and write: read again
        t = now()
        try:
            with reg.Session.begin() as s:
                rows = {r.username: r for r in s.scalars(select(SignInThrottle).where(
                    SignInThrottle.address == addr, SignInThrottle.username.in_((user, ANY_ACCOUNT))))}
                wait = max(_blocked(rows.get(user), t), _blocked(rows.get(ANY_ACCOUNT), t))
                if wait:
                    raise Throttled(wait)
                if _swap(s, user, addr, rows.get(user), t, FREE_TRIES):
                    return
        except (IntegrityError, OperationalError):  # a concurrent first insert, or SQLite's busy snapshot
            continue
    raise Throttled(int(FIRST_DELAY.total_seconds()))


def failed(reg: Core, address: str) -> None:
    """A verified failure: count it against the address over all names."""
    _user, addr = _key("", address)
    for _attempt in range(RETRIES):
        t = now()
        try:
            with reg.Session.begin() as s:
                row = s.get(SignInThrottle, (ANY_ACCOUNT, addr), populate_existing=True)
                if _swap(s, ANY_ACCOUNT, addr, row, t, ADDRESS_FREE_TRIES):
                    return
        except (IntegrityError, OperationalError):
            continue


def succeeded(reg: Core, username: str, address: str) -> None:
    """The right password: forget this (username, address) counter, and counters nobody used for a day."""
    user, addr = _key(username, address)
    with reg.Session.begin() as s:
        s.execute(delete(SignInThrottle).where(SignInThrottle.username == user, SignInThrottle.address == addr))
        s.execute(delete(SignInThrottle).where(SignInThrottle.updated_at < now() - FORGET_AFTER))


def _swap(s: Session, user: str, addr: str, row: SignInThrottle | None, t: datetime, free: int) -> bool:
    """Compare-and-set the count from what was read to one more; False when someone else got there first."""
    stale = row is not None and (_aware(row.updated_at) or t) < t - FORGET_AFTER
    before = 0 if row is None or stale else row.failures
    values = {"failures": before + 1, "blocked_until": t + delay(before + 1, free) if before + 1 >= free else None,
              "updated_at": t}
    if row is None:  # a concurrent insert of the same key raises IntegrityError: the caller reads again
        s.execute(insert(SignInThrottle).values(username=user, address=addr, **values))
        return True
    done = s.execute(update(SignInThrottle).where(
        SignInThrottle.username == user, SignInThrottle.address == addr,
        SignInThrottle.failures == row.failures).values(**values).execution_options(synchronize_session=False))
    assert isinstance(done, CursorResult)  # an UPDATE's result, which counts the rows it changed
    return done.rowcount == 1
