"""The pyDatalog knowledge base of one compiled rule set: isolated, and safe across threads.

pyDatalog keeps its clauses in a per-thread ``Logic`` object. Each KnowledgeBase loads its
program once into a template Logic; every thread that queries gets its own copy of that
template (so facts asserted for one query are never seen by another thread), and a query
makes that copy current for the calling thread before it runs, so two rule sets can live in
one process side by side.
"""
from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from typing import Iterable

from pyDatalog import pyDatalog, pyEngine
from pyDatalog.pyDatalog import Logic

from reform_rules.logic.compiler import Fact, Program

Derivation = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]  # (rules that hold, (set aside, by))


class KnowledgeBase:
    def __init__(self, program: Program):
        self.program = program
        self._local = threading.local()
        self._build_lock = threading.Lock()
        self._keys = itertools.count(1)
        previous = getattr(Logic.tl, "logic", None)
        Logic()  # a fresh, empty Logic for this thread
        pyDatalog.load(program.text)
        self._template = Logic(True)
        if previous is not None:
            Logic.tl.logic = previous  # leave the caller's knowledge base as it was

    def _activate(self) -> None:
        mine = getattr(self._local, "logic", None)
        if mine is None:
            with self._build_lock:
                Logic(self._template)  # a per-thread copy of the template becomes current
                mine = self._local.logic = Logic(True)
        elif getattr(Logic.tl, "logic", None) is not mine:
            Logic.tl.logic = mine  # switch without copying (Logic(x) would copy the clauses)

    def derive(self, facts: Iterable[Fact]) -> Derivation:
        """Which rules hold, and which applicable rules an exception set aside, for one situation."""
        return self.derive_many([tuple(facts)])[0]

    @contextmanager
    def _situations(self, situations: list[tuple[Fact, ...]]):
        """Assert each situation's facts under a fresh key for the length of a query."""
        self._activate()
        keys = [next(self._keys) for _ in situations]
        asserted = []
        for key, facts in zip(keys, situations, strict=True):
            for fact in facts:
                asserted.append(_fact_clause(fact[0], (key, *fact[1:])))
        for clause in asserted:
            pyEngine.assert_(clause)
        try:
            yield keys
        finally:
            for clause in asserted:
                pyEngine.retract(clause)

    def derive_many(self, situations: list[tuple[Fact, ...]]) -> list[Derivation]:
        """Set-at-a-time: many situations in one knowledge base, one query for all of them."""
        with self._situations(situations) as keys:
            holds: dict[int, list[str]] = {k: [] for k in keys}
            setaside: dict[int, list[tuple[str, str]]] = {k: [] for k in keys}
            # derived(C, R, '') : R holds;  derived(C, R, E) : E set R aside
            for c, rule, by in _ask("derived", keys, 3):
                if c in holds:
                    if by == "":
                        holds[c].append(rule)
                    else:
                        setaside[c].append((rule, by))
        return [(tuple(sorted(set(holds[k]))), tuple(sorted(set(setaside[k])))) for k in keys]

    def holding(self, situations: list[tuple[Fact, ...]], family: str) -> list[tuple[str, ...]]:
        """Set-at-a-time, one family only: which of its rules hold in each situation."""
        with self._situations(situations) as keys:
            out: dict[int, list[str]] = {k: [] for k in keys}
            for c, rule in _ask(f"holds_{family}", keys, 2):
                if c in out:
                    out[c].append(rule)
        return [tuple(sorted(out[k])) for k in keys]


def _fact_clause(predicate: str, args: tuple) -> "pyEngine.Clause":
    """A ground fact as the engine's clause, built directly: ``pyDatalog.assert_fact`` goes through the
    parser's expression objects, which cost 6 of the 15 ms of a one-situation derivation (bench/query.py)."""
    return pyEngine.Clause(pyEngine.Literal(predicate, [pyEngine.Const(a) for a in args]), [])


def _ask(predicate: str, keys: list[int], arity: int) -> list[tuple]:
    """The engine's answers to ``predicate(C, X, ...)``, C the one key (bound) or any (a variable): built
    directly, as ``_fact_clause``, instead of parsing a query text into a temporary clause."""
    first = pyEngine.Const(keys[0]) if len(keys) == 1 else pyEngine.Var("C")
    found = pyEngine.Literal(predicate, [first, *(pyEngine.Var(f"X{i}") for i in range(1, arity))]).ask()
    return found if isinstance(found, list) else []
