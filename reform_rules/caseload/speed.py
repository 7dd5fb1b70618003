"""The batch's speed tricks, in one place: each says what it buys and how it was measured.

None of them changes an answer; each can be removed and the tests stay green (only slower). The figures
are from ``bench/batch.py`` / ``bench/peer.py`` on the 1.1 M-row national caseload, 2 cores.

- ``pyarrow_without_pandas``: pyarrow asks once whether pandas is installed, and importing pandas to
  answer costs ~0.25 s of a command-line run that never uses it.
- ``use_fast_allocator``: Arrow's jemalloc pool: about a third less kernel time (page faults) than the
  default mimalloc pool on a 1.1 M-row table.
- ``in_threads``: the column conversions run side by side (their heavy parts release the GIL).
- ``POOL_MIN_ROWS`` / ``start_helpers``: from this many rows the Datalog derivations run in forked helper
  processes, one per core (``reform_rules.logic.parallel``); below it, forking costs more than it saves.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pyarrow as pa

from reform_rules.logic.parallel import start_pool

POOL_MIN_ROWS = 20_000   # from this many rows, Datalog runs in forked helpers, one per core


class _HidePandas:
    """An import finder that answers 'not installed' for pandas (for pyarrow's one question)."""

    def find_spec(self, name: str, path=None, target=None):
        if name == "pandas":
            raise ModuleNotFoundError("pandas is not used by the local batch engine", name="pandas")
        return None


def pyarrow_without_pandas() -> None:
    """Spare a command-line batch the import of pandas (a quarter of a second on the critical path).

    pyarrow imports pandas the first time it builds any array, only to ask whether it was handed a
    pandas object; the local engine never hands it one. pyarrow asks once and remembers the answer,
    so pandas is hidden for that one question; importing pandas afterwards works as usual (only
    pyarrow's own pandas conversions are then off in this process, and the local engine has none).
    """
    if "pandas" in sys.modules:
        return
    finder = _HidePandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])
    except ImportError:  # a pyarrow that does not take 'not installed' quietly: pandas loads as before
        pass
    finally:
        sys.meta_path.remove(finder)


def use_fast_allocator() -> None:
    """Arrow's jemalloc pool when the wheel has it: for a big caseload it spends about a third less
    time in the kernel (page faults) than the default mimalloc pool (bench/batch.py)."""
    global _ALLOCATOR_SET
    if _ALLOCATOR_SET:
        return
    _ALLOCATOR_SET = True
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, AttributeError, pa.ArrowException):  # pragma: no cover - a wheel without it
        pass


_ALLOCATOR_SET = False


_THREADS: ThreadPoolExecutor | None = None


def in_threads(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run independent column jobs on every core (their heavy parts run without the GIL)."""
    global _THREADS
    workers = min(4, os.cpu_count() or 1)
    if workers < 2 or len(jobs) < 2:
        return [job() for job in jobs]
    if _THREADS is None:
        _THREADS = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reform-batch")
    return list(_THREADS.map(lambda job: job(), jobs))


def start_helpers(base, workers: int):
    """The forked Datalog helpers, one per core (``reform_rules.logic.parallel``; False when this platform
    cannot fork). Forked before the work, so each helper has the compiled rules without loading them; it
    halves the Datalog time of a big caseload with new situations on 2 cores (bench/batch.py, ``-v``)."""
    return start_pool(base, workers) or False
