"""Which plugin a failure, a running call or a caller is in, found from the frames of its thread.

pluggy calls every implementation of a hook in one loop, so when a hook call
raises, or does not return, it does not say which plugin it was in. The frames
do. An implementation runs its own function, whose code object
(``impl.function.__code__``, or ``__func__.__code__`` for a bound method, and
that of any function it wraps through ``__wrapped__``) is the code of every
frame it runs in. The innermost frame whose code belongs to one of the hook's
implementations is the plugin's:

- in a traceback (:func:`from_traceback`): the implementation that raised. An
  exception that a wrapper lets through keeps the frames of the implementation
  it came from, so the wrapper is not blamed for it;
- on a thread's stack (:func:`running_in`): the implementation that is running;
- on the calling thread's stack (:func:`calling`): the implementation that
  called the function asking.

Code objects are matched by identity: two modules with the same source have
equal code objects, but not the same ones. Two implementations can share one
(two instances of one class): a method's frame is told apart by its first
argument, the instance. A frame that cannot be told apart blames no one,
rather than the wrong plugin.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from types import CodeType, FrameType

from pluggy import HookImpl

__all__ = ["calling", "from_traceback", "running_in"]


def from_traceback(impls: Sequence[HookImpl], error: BaseException) -> HookImpl | None:
    """The implementation among *impls* that raised *error*, if it can be told."""
    frames = []
    entry = error.__traceback__
    while entry is not None:  # from the outermost frame to the one that raised
        frames.append(entry.tb_frame)
        entry = entry.tb_next
    return _innermost(impls, reversed(frames))


def running_in(impls: Sequence[HookImpl], thread_id: int | None) -> HookImpl | None:
    """The implementation among *impls* that the thread *thread_id* is running now, if any."""
    if thread_id is None:
        return None
    return _innermost(impls, _outward(sys._current_frames().get(thread_id)))


def calling(impls: Sequence[HookImpl]) -> HookImpl | None:
    """The implementation among *impls* that called the function that asks, if any."""
    return _innermost(impls, _outward(sys._getframe(1)))


def _outward(frame: FrameType | None) -> Iterator[FrameType]:
    while frame is not None:
        yield frame
        frame = frame.f_back


def _innermost(impls: Sequence[HookImpl], frames: Iterable[FrameType]) -> HookImpl | None:
    """The implementation of the first of *frames* (innermost first) that runs the code of one."""
    by_code: dict[int, list[HookImpl]] = {}  # by identity: equal code in two modules is two plugins' code
    for impl in impls:
        for code in _codes(impl.function):
            by_code.setdefault(id(code), []).append(impl)
    for frame in frames:
        found = by_code.get(id(frame.f_code))
        if found:
            return _one(found, frame)
    return None


def _codes(function: object) -> Iterator[CodeType]:
    """The code objects *function* runs: its own, and those of the functions it wraps."""
    seen: set[int] = set()
    while function is not None and id(function) not in seen:
        seen.add(id(function))
        code = getattr(getattr(function, "__func__", function), "__code__", None)
        if isinstance(code, CodeType):
            yield code
        function = getattr(function, "__wrapped__", None)


def _one(impls: Sequence[HookImpl], frame: FrameType) -> HookImpl | None:
    """The one of *impls*, which share *frame*'s code, that the frame runs for; ``None`` if unsure."""
    if len(impls) == 1:
        return impls[0]
    code = frame.f_code
    if not code.co_argcount:
        return None
    instance = frame.f_locals.get(code.co_varnames[0])  # a method's ``self``
    owned = [impl for impl in impls if getattr(impl.function, "__self__", None) is instance]
    return owned[0] if len(owned) == 1 else None
