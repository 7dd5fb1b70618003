"""Completeness and uniqueness: every situation on every date where a rule changes gets exactly
one phase and one target group (or a declared ``undetermined``), and no two rules give
conflicting values for a field that has one value (sanctionable, trial, a programme's status).
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from reform_rules.law.conditions import DERIVED
from reform_rules.law.model import UNDETERMINED, Rule
from reform_rules.logic.compiler import situation_facts
from reform_rules.logic.parallel import derive_all
from reform_rules.logic.situation_codes import Analysis, Components, factorize, unit_keys
from reform_rules.logic.situations import (
    Bands,
    Probe,
    ProofTooLarge,
    Space,
    check_dates,
    family_keys,
    possible_on,
    probes,
    spaces,
    too_large,
)

# Every field of the answer is proved decided in every situation and on every date: by a rule that gives it
# a value, by an explicit "none" rule with its own source, or by an undetermined rule with its question.
BATCH = 400


@dataclass
class Finding:
    kind: str            # gap | overlap | undetermined
    family: str
    rules: tuple[str, ...]
    situation: str
    dates: list[date] = field(default_factory=list)

    def span(self) -> str:
        if not self.dates:
            return ""
        return self.dates[0].isoformat() if len(self.dates) == 1 else \
            f"{self.dates[0].isoformat()} … {self.dates[-1].isoformat()} ({len(self.dates)} dates)"


@dataclass
class Coverage:
    pairs: int = 0          # situation × date pairs checked
    distinct: int = 0       # distinct canonical situations evaluated by Datalog
    situations: int = 0
    dates: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    sizes: list[Space] = field(default_factory=list)   # each field's proof size, measured before enumerating

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)


def _value(rule: Rule, field=None):
    v = rule.then_value
    if field is not None and field.kind == "status":
        return (v["id"], v["status"])
    if isinstance(v, dict) and "id" in v:
        return v["id"]
    return v


def check_completeness(base, lo: date, hi: date, families: tuple[str, ...] | None = None,
                       progress: Callable[[int, int, str], None] | None = None) -> Coverage:
    """Enumerate the situation space of ``base`` against every change date in [lo, hi]; ``progress(done,
    total, field)`` is told when each answer field is proved."""
    start = time.perf_counter()
    ruleset, program = base.ruleset, base.program
    shape = ruleset.answer
    if families is None:
        families = tuple(f.then for f in shape.fields)
    bands = Bands([program], ruleset.vocabulary)
    days = check_dates([program], lo, hi)
    sizes = spaces(ruleset, bands, days, families)
    problems = too_large(ruleset, sizes)
    if problems:   # refused before anything is enumerated: the size is a product, known up front
        raise ProofTooLarge(problems)
    cov = Coverage(dates=len(days), sizes=sizes)
    found: dict[tuple, Finding] = {}
    seen_situations: set[Probe] = set()
    comp = Components(ruleset.vocabulary, program)
    an = Analysis(ruleset, comp)
    tables: dict = {}
    derived: dict[tuple, tuple] = {}

    def derive(facts: list[tuple]) -> list[tuple]:
        """The engine's own derivation of each situation (one query answers every field), shared by the fields."""
        todo = [f for f in dict.fromkeys(facts) if f not in derived]
        for f, d in zip(todo, derive_all(base, todo), strict=True):   # one derivation per situation, in order
            derived[f] = d
        return [derived[f] for f in facts]

    group_units = [u for u in an.units if an.unit_family[u] == DERIVED]
    for done, family in enumerate(families, 1):
        if progress is not None:
            progress(done - 1, len(families), family)
        rules = ruleset.in_family(family)
        if not rules:
            continue
        units = [u for u in an.units if an.unit_family[u] == family]
        keys = family_keys(ruleset, family) | {ruleset.vocabulary.current.kind}
        cells, columns = _cells(ruleset, bands, keys, days, comp, seen_situations)
        cov.pairs += len(cells)
        if not cells:
            continue
        # Cells the family's rules cannot tell apart get the same rules from it: one derivation per group
        # (the batch's analysis: per unit of rules, date and class, only what its possible rules read).
        keyed = _keys_by_day(an, units, group_units if family != DERIVED else [], days, cells, columns, tables)
        dense, first = factorize(_group_keys(keyed, len(cells)))
        cov.distinct += len(first)
        todo: dict[int, list[tuple[Probe, date]]] = defaultdict(list)
        for i, g in enumerate(dense.tolist()):
            todo[g].append(cells[i])
        facts = [situation_facts(cells[i][0].situation(cells[i][1]), program) for i in first.tolist()]
        for g, (holding, _aside) in enumerate(derive(facts)):
            mine = [ruleset.rule(r) for r in holding if ruleset.rule(r).family == family]
            for kind, rules_ in _judge(shape.by_then(family), mine):
                _record(found, kind, family, rules_, todo[g], bands)
    if progress is not None:
        progress(len(families), len(families), "")
    for f in found.values():
        f.dates.sort()
    cov.findings = sorted(found.values(), key=lambda f: (f.kind, f.family, f.rules, f.situation))
    cov.situations = len(seen_situations)
    cov.seconds = time.perf_counter() - start
    return cov


def family_groups(base, family: str, cells: list[tuple[Probe, date]],
                  days: list[date]) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's group, and each group's first cell: cells that ``base``'s rules of ``family`` (and of the
    target group, where they read it) cannot tell apart share a group, so one derivation answers them all —
    the proof's grouping, for another list of cells (``reform diff``'s)."""
    comp = Components(base.ruleset.vocabulary, base.program)
    an = Analysis(base.ruleset, comp)
    units = [u for u in an.units if an.unit_family[u] == family]
    if not units or not cells:   # the family has no rules here: every cell is alike
        return np.zeros(len(cells), dtype=np.int64), np.zeros(min(1, len(cells)), dtype=np.int64)
    group_units = [u for u in an.units if an.unit_family[u] == DERIVED] if family != DERIVED else []
    columns = [comp.situation_codes(probe.situation(day))[0] for probe, day in cells]
    keyed = _keys_by_day(an, units, group_units, days, cells, columns, {})
    return factorize(_group_keys(keyed, len(cells)))


def _cells(ruleset, bands: Bands, keys: set[str], days: list[date], comp: Components,
           seen: set[Probe]) -> tuple[list[tuple[Probe, date]], list[tuple[int, ...]]]:
    """Every possible (probe, date) cell of a family's situation space, and each cell's situation codes
    (each probe is also added to ``seen``)."""
    cells: list[tuple[Probe, date]] = []
    columns: list[tuple[int, ...]] = []
    for probe in probes(ruleset, bands, keys):
        seen.add(probe)
        for day in days:
            if possible_on(probe, day, bands):
                cells.append((probe, day))
                columns.append(comp.situation_codes(probe.situation(day))[0])
    return cells, columns


def _keys_by_day(an: Analysis, units: list, group_units: list, days: list[date], cells: list[tuple[Probe, date]],
                 columns: list[tuple[int, ...]], tables: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per date with cells: the cells' indices and their unit keys (``_unit_keys_on``)."""
    codes = np.array(columns, dtype=np.int64).T
    day_of = np.array([days.index(d) for _, d in cells], dtype=np.int64)
    keyed: list[tuple[np.ndarray, np.ndarray]] = []
    for di, day in enumerate(days):
        rows = np.flatnonzero(day_of == di)
        if len(rows):
            keyed.append((rows, _unit_keys_on(an, units, group_units, day, codes[:, rows], tables)))
    return keyed


def _unit_keys_on(an: Analysis, units: list, group_units: list, day: date, u: np.ndarray,
                  tables: dict) -> np.ndarray:
    """The keys of the cells ``u`` (situation codes, one column per cell) of one date: a row per unit of the
    family's rules, then, where one of its rules reads the target group, a row per unit of the group's rules
    (-1 where none does)."""
    comp = an.comp
    cls_rows = [comp.index[comp.current.kind]] + [comp.index[f.id] for f in comp.spell_cat] + \
        [comp.index[f"beside:{k.kind}"] for k in comp.beside]
    cls_dense, cls_first = factorize(u[cls_rows])
    classes = [comp.cls(u[:, i]) for i in cls_first.tolist()]
    parts = []
    reads = np.zeros(u.shape[1], dtype=bool)
    for unit in units:
        spec_ids = np.array([an.spec_id(unit, day, c) for c in classes], dtype=np.int64)[cls_dense]
        parts.append(unit_keys(an, spec_ids, u, tables))
        reads |= np.array([s.reads_group for s in an.spec_list], dtype=bool)[spec_ids]
    if reads.any():
        for unit in group_units:
            spec_ids = np.array([an.spec_id(unit, day, c) for c in classes], dtype=np.int64)[cls_dense]
            parts.append(np.where(reads, unit_keys(an, spec_ids, u, tables), -1))
    return np.stack(parts)


def _group_keys(keyed: list[tuple[np.ndarray, np.ndarray]], n: int) -> np.ndarray:
    """One group key per cell (a column): the units' keys (a spec names the rules that could apply, so one key
    on two dates means the same rules reading the same facts); the same key on two dates is one derivation."""
    width = max(k.shape[0] for _, k in keyed)
    allkeys = np.full((width, n), -2, dtype=np.int64)
    for rows, k in keyed:
        allkeys[:k.shape[0], rows] = k
    return allkeys


def _record(found: dict[tuple, Finding], kind: str, family: str, rules: tuple[str, ...],
            cells: list[tuple[Probe, date]], bands: Bands) -> None:
    """Add the cells of one group to the finding (``kind``, ``family``, ``rules``) of each cell's situation."""
    for probe, day in cells:
        desc = probe.describe(bands)
        f = found.setdefault((kind, family, rules, desc), Finding(kind, family, rules, desc))
        f.dates.append(day)


def _derive(base, chunk: list[tuple]) -> list:
    out = []
    missing = []
    for key in chunk:
        hit = base._cache.get(key)
        out.append(hit)
        if hit is None:
            missing.append(key)
    if missing:
        derived = dict(zip(missing, base.kb.derive_many(missing), strict=True))
        out = [o if o is not None else derived[k] for o, k in zip(out, chunk, strict=True)]
    return out


def _judge(field, rules: list[Rule]):
    undetermined = tuple(sorted(r.id for r in rules if r.undetermined))
    if not rules:
        yield "gap", ()    # silent: no rule decides this field here
        return
    if field.decide == "any":
        return
    if field.decide == "one-per-id":
        by_id: dict[str, set] = defaultdict(set)
        owners: dict[str, list[str]] = defaultdict(list)
        for r in rules:
            by_id[r.then_value["id"]].add(r.then_value["status"])
            owners[r.then_value["id"]].append(r.id)
        for pid, statuses in by_id.items():
            if len(statuses) > 1:
                yield "overlap", tuple(sorted(owners[pid]))
        return
    values = {_value(r, field) for r in rules}
    if len(values) > 1:
        yield "overlap", tuple(sorted(r.id for r in rules))
    elif undetermined and values == {UNDETERMINED}:
        yield "undetermined", undetermined
