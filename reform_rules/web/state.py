"""What the web application serves from: the rule base, its directory, the examples, and ``reform check``
of the files (the quick check at once, the full proof in a separate process in the background)."""
import atexit
import math
import multiprocessing
import multiprocessing.util  # noqa: F401 - its exit handler (which joins child processes) runs after ours
import os
import re
import signal
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reform_rules.answer.check import run_check
from reform_rules.answer.rulebase import RuleBase
from reform_rules.law.loader import load_file
from reform_rules.web.middleware import log, where
from reform_rules.web.sources import SeedTexts

_EXAMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
_EXAMPLE_SUFFIXES = (".yaml", ".yml", ".json")


def jsonable(value: Any, depth: int = 0) -> Any:
    """Parsed YAML made safe for JSON (no NaN/inf, no bytes, no sets, string keys)."""
    if depth > 60:
        return None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, depth + 1) for v in value]
    return str(value)


class WebState:
    """What the application serves from: a loaded rule base and the directories around it."""

    def __init__(self, base: RuleBase, rules_dir: Path, examples_dir: Path | None, completeness: bool = True):
        self.base = base
        self.rules_dir = rules_dir
        self.examples_dir = examples_dir
        self.seeds = SeedTexts(base.ruleset, rules_dir)  # the seed copies, served at /sources/<id>
        self.completeness = completeness
        self.loaded_at = datetime.now().replace(microsecond=0)
        self.loaded_signature = self.signature()
        self._lock = threading.Lock()
        self._quick: tuple[tuple, Any] | None = None
        self._full: tuple[tuple, Any] | None = None
        self._running: dict[tuple, threading.Event] = {}

    def signature(self) -> tuple:
        """Names, sizes and modification times of the rule files (to notice edits)."""
        try:
            files = sorted(p for p in self.rules_dir.iterdir() if p.suffix in (".yaml", ".yml"))
            return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
        except OSError:
            return ()

    def check(self, wait: bool = False) -> tuple[Any, bool]:
        """``reform check`` of the rules directory, and whether the full check is still running.

        The full check (with completeness: every situation on every date) takes a while, so it
        runs once per version of the files, in the background; until it is done the quick check
        (load, validate, compile, dates, sources) stands in. Recomputed only when a file changed.
        """
        sig = self.signature()
        with self._lock:
            if self._full and self._full[0] == sig:
                return self._full[1], False
            event = self._start_full(sig) if self.completeness else None
        if event is not None and wait:
            event.wait()
            with self._lock:
                if self._full and self._full[0] == sig:
                    return self._full[1], False
        with self._lock:
            quick = self._quick[1] if self._quick and self._quick[0] == sig else None
        if quick is None:
            quick = run_check(self.rules_dir, completeness=False)
            with self._lock:
                self._quick = (sig, quick)
        return quick, event is not None and not event.is_set()

    def _start_full(self, sig: tuple) -> threading.Event:
        """The event set when the full check of ``sig`` is done (started if it is not running)."""
        event = self._running.get(sig)
        if event is not None:
            return event
        event = self._running[sig] = threading.Event()

        def work() -> None:
            try:
                report = full_check(self.rules_dir)
            except Exception as exc:  # noqa: BLE001 - the quick check still stands; say where it failed
                log.error("full rule check failed: %s at %s", type(exc).__name__, where(exc))
            else:
                with self._lock:
                    self._full = (sig, report)
            finally:
                event.set()
                with self._lock:
                    self._running.pop(sig, None)

        threading.Thread(target=work, name="reform-check", daemon=True).start()
        return event

    def full_event(self) -> threading.Event | None:
        """The event set when the running full check of the current files is done (None: none running)."""
        sig = self.signature()
        with self._lock:
            return self._running.get(sig)

    @property
    def stale(self) -> bool:
        return self.signature() != self.loaded_signature

    # -- examples ---------------------------------------------------------------------------
    def example_files(self) -> dict[str, Path]:
        d = self.examples_dir
        if d is None or not d.is_dir():
            return {}
        out: dict[str, Path] = {}
        for p in sorted(d.iterdir()):
            if p.is_file() and p.suffix in _EXAMPLE_SUFFIXES and _EXAMPLE_NAME.match(p.stem):
                out.setdefault(p.stem, p)
        return out

    def read_example(self, path: Path) -> Any:
        return jsonable(load_file(path, path.name).data)


def _full_check_child(rules_dir: Path) -> Any:
    return run_check(rules_dir)


_CHILDREN: set[Any] = set()  # the running full checks' processes (stopped when the server stops)
_CHILDREN_LOCK = threading.Lock()


def _stop_children() -> None:
    """Stop every running full check, with the helper processes it forked (its process group)."""
    with _CHILDREN_LOCK:
        running = [p for p in _CHILDREN if p.is_alive()]
    for process in running:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except (AttributeError, OSError):
            process.terminate()
    for process in running:
        process.join(5)


atexit.register(_stop_children)


def _run_in_child(job: Any, rules_dir: Path, conn: Any) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # a group of its own: the check forks helpers, and stopping the group stops them too
    try:
        result = (True, job(rules_dir))
    except Exception as exc:  # noqa: BLE001 - reported to the server, which logs where (never a message)
        result = (False, f"{type(exc).__name__} at {where(exc)}")
    try:
        conn.send(result)
    except OSError:  # the server is gone
        pass
    finally:
        conn.close()


def full_check(rules_dir: Path, job: Any = _full_check_child) -> Any:
    """``run_check(rules_dir)`` with completeness, in a separate process: the check is pure Python and
    CPU-bound, and in a thread of the server it would hold the interpreter lock against every request
    for the half minute it takes. A fresh process for each version of the files ("spawn": the server
    has threads, a fork could copy a held lock), stopped with the helpers it forks when the server
    stops (:func:`_stop_children`); the calling thread only waits for its report."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_run_in_child, args=(job, Path(rules_dir), sender), name="reform-check")
    with _CHILDREN_LOCK:
        process.start()
        _CHILDREN.add(process)
    sender.close()  # the child holds the only sending end: its end (or death) ends the wait
    try:
        ok, value = receiver.recv()
    except EOFError:
        raise RuntimeError("the full check's process ended without a report") from None
    finally:
        receiver.close()
        process.join(5)
        with _CHILDREN_LOCK:
            _CHILDREN.discard(process)
    if not ok:
        raise RuntimeError(f"the full check failed: {value}")
    return value
