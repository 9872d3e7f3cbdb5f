"""Where the library's times come from: a clock is a function that returns the current time.

The service and the relay take a :data:`Clock` so that tests and replays can
give them fake time (:class:`ethical_decisions.testing.FakeClock`); whatever
clock they are given is read through :func:`read_clock`, which refuses a time
without a timezone, so that nothing naive is ever recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from .exceptions import ValidationError

__all__ = ["Clock", "read_clock", "system_clock"]

Clock = Callable[[], dt.datetime]
"""Returns the current time, timezone-aware."""


def system_clock() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


def read_clock(clock: Clock, what: str) -> dt.datetime:
    """The time *clock* gives, in UTC.

    :raises ValidationError: naming *what*, if it is not a time or has no timezone.
    """
    now = clock()
    if not isinstance(now, dt.datetime):
        raise ValidationError(what, ["$: the clock returned something other than a time"])
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValidationError(what, ["$: the clock returned a time without a timezone"])
    return now.astimezone(dt.UTC)
