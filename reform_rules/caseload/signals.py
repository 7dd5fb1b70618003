"""SIGTERM and SIGINT during a batch: remove what it wrote, stop its helpers, exit 128 + the signal."""
from __future__ import annotations

import ctypes
import os
import signal
import sys

from reform_rules.caseload.targets import ACTIVE


class StopOnSignal:
    """On SIGTERM or SIGINT: remove what the run has written (``Targets.abandon``), stop the forked helpers,
    say so in one line on stderr and exit 128 + the signal's number (143, 130).

    The handler does the clean-up itself and ends with ``os._exit``: an exception raised from a signal
    handler can land where Python ignores it (a fork hook, a finaliser) and the run would go on. A forked
    helper that inherits the handler exits quietly.
    """

    def __init__(self, command: str):
        self.command = command

    def __enter__(self) -> "StopOnSignal":
        global _FORK_HOOK
        self._pid = os.getpid()
        self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGTERM, signal.SIGINT)}
        if not _FORK_HOOK:
            _PARENT[:] = [os.getpid(), _libc()]
            os.register_at_fork(after_in_child=_child_signals)
            _FORK_HOOK = True
        return self

    def _handle(self, signum, frame) -> None:
        if os.getpid() != self._pid:   # a forked helper
            os._exit(128 + signum)
        written = False
        try:   # nothing here may raise: the process ends below whatever happens
            written = any(t.committed for t in ACTIVE)
            for targets in list(ACTIVE):
                targets.abandon()
        except BaseException:   # pragma: no cover
            pass
        try:
            mp = sys.modules.get("multiprocessing")
            for child in getattr(mp, "active_children", list)():   # (multiprocessing may be half imported)
                os.kill(child.pid, signal.SIGKILL)
        except BaseException:   # pragma: no cover - a helper without a parent ends at its next read
            pass
        try:
            what = "the output was complete" if written else "no output was written"
            os.write(2, f"reform {self.command}: stopped by {signal.Signals(signum).name} before the end; {what}\n"
                     .encode())
        finally:
            os._exit(128 + signum)

    def __exit__(self, *exc) -> None:
        for s, handler in self._old.items():
            signal.signal(s, handler)


_FORK_HOOK = False
_PARENT: list = []   # the batch's pid, and libc (for prctl) when there is one


def _libc():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc if hasattr(libc, "prctl") else None
    except (OSError, AttributeError):   # pragma: no cover - not Linux
        return None


def _child_signals() -> None:
    """In a forked helper: SIGTERM ends it at once, as by default (the pool's terminate() counts on it, even
    while it waits on a lock); SIGINT (Ctrl-C reaches the whole process group) is left to the parent; and
    on Linux the helper is killed when the batch ends, however it ends (a helper forked in the instant the
    batch was stopped would otherwise wait for work for ever, holding the batch's stderr open)."""
    try:
        if isinstance(getattr(signal.getsignal(signal.SIGTERM), "__self__", None), StopOnSignal):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            pid, libc = _PARENT
            if libc is not None:
                libc.prctl(1, int(signal.SIGKILL))   # PR_SET_PDEATHSIG
                if os.getppid() != pid:   # the batch ended before that
                    os._exit(1)
    except (ValueError, OSError):   # pragma: no cover - not the main thread
        pass
