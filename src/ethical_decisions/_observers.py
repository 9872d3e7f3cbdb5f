"""Telling the observers of a stored event: the one hook called in worker threads, within a time limit.

An observer (``ethical_decisions_event_stored``) hears of a step after it is
committed, so nothing it does may hold the step up or stop another observer:

- **One call, in a worker, waited for at most the timeout.** The whole
  ``pm.hook.ethical_decisions_event_stored(...)`` call runs in a worker thread,
  with a copy of the caller's context variables. Worker threads are daemons,
  kept for the next call once a call returns (a call costs a hand-over, not a
  new thread), and forgotten in a forked child. When only the library's own
  built-in plugins observe, the call is made in the caller's thread: that code
  is the library's and does not hang.
- **An observer that raises** is found from the traceback, reported, and the
  call goes on, in another call, with only the observers pluggy had not yet
  called (its order is ``reversed(hook.get_hookimpls())``: wrappers first, then
  the others), so every other observer is told once.
- **An observer that does not return in time** is found on the worker
  thread's stack, reported as timed out, and the observers not yet called are
  told in another worker, waited for at most the timeout again. The step then
  returns without waiting longer. Python cannot stop a thread, so the call runs
  on in the background; until it ends, the stuck observer is skipped (each skip
  reported), so one that hangs for good costs one thread, not one per event.

Two limits follow from pluggy calling a hook in one loop that the library
cannot enter. When a stuck observer at last returns, pluggy goes on, in that
abandoned call, to the observers after it, which were told of that event by
the call that carried on without it: they hear of it a second time. And a
wrapper that raises after its ``yield`` is taken to have raised before the
observers inside it were called, which are then told again. An observer that
must act once per event can key on the event's review id and sequence.
"""

from __future__ import annotations

import contextvars
import math
import os
import queue
import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import pluggy

from . import _blame, _calls
from ._calls import Report
from .exceptions import ValidationError

__all__ = ["TIMED_OUT", "Observers", "seconds"]

TIMED_OUT = "Timeout"
"""The error type of an observer that did not return in time, or was skipped."""

_P = TypeVar("_P")


def seconds(value: object, name: str) -> float:
    """*value* (a number, or its text) as seconds to wait, if it is finite and greater than 0.

    :raises ValidationError: naming *name* otherwise.
    """
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        number = math.nan
    if isinstance(number, bool) or not isinstance(number, int | float) or not 0 < number < math.inf:
        raise ValidationError("The plugins' timeout", [f"{name}: give a number of seconds greater than 0"])
    return float(number)


class Observers:
    """Calls to one observer hook, each bounded by *timeout* seconds.

    :param trusted: the built-in plugins' names, asked for at each call.
    """

    def __init__(
        self,
        manager: pluggy.PluginManager,
        name: str,
        timeout: float,
        trusted: Callable[[], Collection[str]],
    ) -> None:
        self._manager = manager
        self._name = name
        self._timeout = timeout
        self._trusted = trusted
        self._workers = _Workers()
        self._lock = threading.Lock()
        self._stuck: dict[str, _Call] = {}
        """Each plugin whose call timed out, with the call it is still in."""

    def tell(self, report: Callable[[str, str, str], _P], **kwargs: object) -> list[_P]:
        """Call the hook with *kwargs*; report each observer that fails, times out or is skipped.

        :param report: called with the plugin's name, the error type and what went wrong.
        :returns: what *report* returned for each.
        :raises BaseException: what the call raised, if no observer can be blamed for it.
        """
        reported: list[_P] = []

        def note(plugin: str, error_type: str, problem: str) -> None:
            reported.append(report(plugin, error_type, problem))

        hook: pluggy.HookCaller = getattr(self._manager.hook, self._name)
        everyone = _calls.call_order(hook)
        pending = [i for i in everyone if not self._skipped(i.plugin_name, note)] if self._stuck else everyone
        trusted = self._trusted()
        while pending:
            caller = hook if pending is everyone else self._subset(everyone, pending)
            error: BaseException | None
            if all(impl.plugin_name in trusted for impl in pending):
                error = _call_here(caller, kwargs)
            else:
                call = _Call(caller, kwargs)
                self._workers.run(call)
                if not call.done.wait(self._timeout):
                    pending = self._given_up(call, pending, note)
                    continue
                error = call.error
            if error is None:
                break
            pending = _after_failure(error, pending, note)
        return reported

    def _subset(self, everyone: list[pluggy.HookImpl], pending: list[pluggy.HookImpl]) -> pluggy.HookCaller:
        """The hook, to be called for the plugins of *pending* only."""
        keep = {impl.plugin for impl in pending}
        others = [impl.plugin for impl in everyone if impl.plugin not in keep]
        return self._manager.subset_hook_caller(self._name, others)

    def _skipped(self, plugin: str, report: Report) -> bool:
        """Whether *plugin* is still in a call that timed out (reported as skipped if so)."""
        with self._lock:
            call = self._stuck.get(plugin)
            if call is not None and call.done.is_set():
                del self._stuck[plugin]
                call = None
        if call is not None:
            report(plugin, TIMED_OUT, "skipped: an earlier call that timed out is still running")
        return call is not None

    def _given_up(self, call: _Call, pending: list[pluggy.HookImpl], report: Report) -> list[pluggy.HookImpl]:
        """The observers still to tell once *call* has timed out, after reporting the one it is stuck in.

        If the worker is in no observer (between two, or just finished), the
        call is left to tell the rest itself.
        """
        stuck = _blame.running_in(pending, call.thread_id)
        if stuck is None:
            return []
        with self._lock:
            self._stuck[stuck.plugin_name] = call
        report(
            stuck.plugin_name, TIMED_OUT, f"did not return within {self._timeout:g} s; carried on without it"
        )
        return _after(pending, stuck)


def _call_here(hook: pluggy.HookCaller, kwargs: Mapping[str, Any]) -> Exception | None:
    """Call *hook* in this thread; what it raised, if anything."""
    try:
        hook(**kwargs)
    except Exception as exc:
        return exc
    return None


def _after_failure(
    error: BaseException, pending: list[pluggy.HookImpl], report: Report
) -> list[pluggy.HookImpl]:
    """The observers still to tell after the call of *pending* raised *error*, reporting the culprit.

    :raises BaseException: *error*, if no observer can be blamed for it or it is not an ``Exception``.
    """
    culprit = _blame.from_traceback(pending, error)
    if culprit is None or not isinstance(error, Exception):
        raise error
    report(culprit.plugin_name, type(error).__name__, _calls.failure(error))
    return _after(pending, culprit)


def _after(pending: list[pluggy.HookImpl], impl: pluggy.HookImpl) -> list[pluggy.HookImpl]:
    """The implementations pluggy calls after *impl*."""
    return pending[pending.index(impl) + 1 :]


class _Call:
    """One hook call, in the caller's context: its outcome, and when it is known."""

    def __init__(self, hook: pluggy.HookCaller, kwargs: Mapping[str, Any]) -> None:
        self._hook = hook
        self._kwargs = kwargs
        self._context = contextvars.copy_context()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.thread_id: int | None = None
        """The thread making the call, once it has started."""

    def run(self, then: Callable[[], None]) -> None:
        """Make the call; then call *then* and say it is done."""
        self.thread_id = threading.get_ident()
        try:
            self._context.run(self._hook, **self._kwargs)
        except BaseException as exc:  # handed to the caller's thread, which decides
            self.error = exc
        finally:
            then()  # before the caller hears: its next call finds this thread idle
            self.done.set()


class _Workers:
    """Daemon threads that make observer calls, each kept for the next call once it returns.

    A new thread per call would cost more than most observers do. A thread
    whose call never returns is never given another; calls made at the same
    time run at the same time. Daemon threads, so that a stuck call cannot keep
    the process from exiting.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[_Call]] = []
        self._pid = os.getpid()

    def run(self, call: _Call) -> None:
        """Start *call* in an idle thread, or a new one if none is idle."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: its parent's threads are not here
                self._idle, self._pid = [], os.getpid()
            calls = self._idle.pop() if self._idle else None
        if calls is None:
            calls = queue.SimpleQueue()
            threading.Thread(
                target=self._serve, args=(calls,), name="ethical-decisions-observer", daemon=True
            ).start()
        calls.put(call)

    def _serve(self, calls: queue.SimpleQueue[_Call]) -> None:
        while True:
            call = calls.get()
            call.run(then=lambda: self._release(calls))

    def _release(self, calls: queue.SimpleQueue[_Call]) -> None:
        with self._lock:
            self._idle.append(calls)
