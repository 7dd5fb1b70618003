"""Derivations of many situations in forked helper processes, one per core: the children inherit the
loaded knowledge base (no pickling of rules). Used by the batch and by the completeness proof."""
from __future__ import annotations

import os
from typing import Any

DERIVE_BATCH = 1   # pyDatalog answers one situation at a time faster than many at once (measured)
_FORK_KB: Any = None


def can_fork() -> bool:
    import multiprocessing
    return "fork" in multiprocessing.get_all_start_methods() and os.environ.get("REFORM_BATCH_FORK", "1") != "0"


def start_pool(base: Any, workers: int):
    """A pool of ``workers`` forked processes that derive with ``base``'s knowledge base (None: not here)."""
    global _FORK_KB
    if workers < 2 or not can_fork():
        return None
    import multiprocessing
    _FORK_KB = base.kb
    return multiprocessing.get_context("fork").Pool(workers)


def _derive_chunk(chunk: list[tuple]) -> list[tuple]:
    out: list[tuple] = []
    for i in range(0, len(chunk), DERIVE_BATCH):
        out += _FORK_KB.derive_many(chunk[i:i + DERIVE_BATCH])
    return out


def derive_parallel(pool, todo: list[tuple]) -> list[tuple]:
    """The derivations of ``todo`` (canonical situation facts), in order, spread over the pool."""
    return Derivations(pool, todo).get()


class Derivations:
    """``derive_parallel`` under way."""

    def __init__(self, pool, todo: list[tuple]):
        size = max(1, -(-len(todo) // 16))
        chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
        self._pending = pool.map_async(_derive_chunk, chunks, chunksize=1)

    def ready(self) -> bool:
        return self._pending.ready()

    def get(self) -> list[tuple]:
        """The derivations, in order (waiting for them)."""
        return [d for part in self._pending.get() for d in part]


def derive_all(base: Any, facts: list[tuple], workers: int | None = None) -> list[tuple]:
    """Derivations of many situations: in forked helpers on every core when there are many, else here."""
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if len(facts) >= 64 and workers > 1:
        pool = start_pool(base, workers)
        if pool:
            try:
                return derive_parallel(pool, facts)
            finally:
                pool.close()
                pool.join()
    return [base.kb.derive(f) for f in facts]


def _holding_chunk(chunk: list[tuple[tuple, str]]) -> list[tuple[str, ...]]:
    return [_FORK_KB.holding([facts], family)[0] for facts, family in chunk]


class Holdings:
    """Questions (canonical facts, family) → the family's rules that hold in the situation, asked in batches.
    From the first 64 questions on, in forked helpers, each batch started as it is added (the helpers derive
    while the caller prepares the next); fewer are answered here when taken. One family's question costs a
    fraction of a whole derivation (the reform's contact requirements 2.1 ms, every field 7.8 ms)."""

    CHUNK = 8   # questions a helper takes at a time (~15 ms): the helpers stay busy to the end

    def __init__(self, base: Any, workers: int | None = None):
        self.base = base
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self.pool: Any = None
        self._batches: list[list[tuple[tuple, str]]] = []
        self._pending: list[Any] = []

    def add(self, asks: list[tuple[tuple, str]]) -> int:
        """Ask ``asks``; the number to ``get`` their answers by."""
        self._batches.append(asks)
        self._pending.append(None)
        if self.pool is None and self.workers > 1 and sum(len(b) for b in self._batches) >= 64:
            self.pool = start_pool(self.base, self.workers)
            for k in range(len(self._batches) - 1):
                self._start(k)
        if self.pool is not None:
            self._start(len(self._batches) - 1)
        return len(self._batches) - 1

    def _start(self, k: int) -> None:
        asks = self._batches[k]
        chunks = [asks[i:i + self.CHUNK] for i in range(0, len(asks), self.CHUNK)]
        self._pending[k] = self.pool.map_async(_holding_chunk, chunks, chunksize=1)

    def get(self, k: int) -> list[tuple[str, ...]]:
        """The answers to batch ``k``, in order (waiting for them)."""
        if self._pending[k] is None:
            return [self.base.kb.holding([facts], family)[0] for facts, family in self._batches[k]]
        return [a for part in self._pending[k].get() for a in part]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()   # every answer taken, or given up on
            self.pool.join()
            self.pool = None
