"""Completeness and uniqueness: every situation on every date where a rule changes gets exactly
one phase and one target group (or a declared ``undetermined``), and no two rules give
conflicting values for a field that has one value (sanctionable, trial, a programme's status).
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from reform_rules.law.conditions import DERIVED
from reform_rules.law.model import UNDETERMINED, Rule
from reform_rules.logic.compiler import situation_facts
from reform_rules.logic.parallel import holding_each
from reform_rules.logic.probe_grid import ProbeGrid
from reform_rules.logic.situation_codes import Analysis, Components, factorize, unit_keys
from reform_rules.logic.situations import (
    Bands,
    Probe,
    ProofTooLarge,
    Space,
    check_dates,
    family_keys,
    spaces,
    too_large,
)
from reform_rules.logic.unit_cover import cover, unit_groups

# Every field of the answer is proved decided in every situation and on every date: by a rule that gives it
# a value, by an explicit "none" rule with its own source, or by an undetermined rule with its question.


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
    comp = Components(ruleset.vocabulary, program)
    an = Analysis(ruleset, comp)
    ids: dict[str, dict] = {}
    identities: list[dict[str, np.ndarray]] = []
    fields: dict[str, _Field] = {}
    tables: dict = {}
    for family in families:
        if not ruleset.in_family(family):
            continue
        grid = ProbeGrid(ruleset, bands, family_keys(ruleset, family) | {ruleset.vocabulary.current.kind})
        identities.append(grid.identity(ids))
        probe_of, day_of = np.nonzero(grid.possible(days))   # probe by probe, each probe's dates in order
        cov.pairs += len(probe_of)
        if len(probe_of):
            fields[family] = _field(an, family, Cells(grid, probe_of, day_of, days), tables)
    cov.situations = _distinct(identities)
    # each field's few cells asked about the field's rules only, in the helpers, in the order of the fields
    asks = list(dict.fromkeys((facts, f.family) for f in fields.values() for facts in f.facts))
    cov.distinct = len(asks)
    place = {ask: i for i, ask in enumerate(asks)}
    answers = holding_each(base, asks)
    got: list[tuple[str, ...]] = []
    found: dict[tuple, Finding] = {}
    try:
        for done, family in enumerate(families):
            if progress is not None:
                progress(done, len(families), family)
            field = fields.get(family)
            if field is None:
                continue
            mine = [place[(facts, family)] for facts in field.facts]
            got += [next(answers) for _ in range(len(got), max(mine, default=-1) + 1)]
            for rows, holding in _judged(an, field, [got[i] for i in mine]):
                for kind, rules_ in _judge(shape.by_then(family), [ruleset.rule(r) for r in holding]):
                    _record(found, kind, family, rules_, field.cells, rows, bands)
    finally:
        answers.close()
    if progress is not None:
        progress(len(families), len(families), "")
    for f in found.values():
        f.dates.sort()
    cov.findings = sorted(found.values(), key=lambda f: (f.kind, f.family, f.rules, f.situation))
    cov.seconds = time.perf_counter() - start
    return cov


class Cells:
    """The cells of one field's proof: probe ``probe_of[i]`` of ``grid`` on ``days[day_of[i]]``."""

    def __init__(self, grid: ProbeGrid, probe_of: np.ndarray, day_of: np.ndarray, days: list[date]):
        self.grid, self.probe_of, self.day_of, self.days = grid, probe_of, day_of, days
        self._probes: dict[int, Probe] = {}

    def __len__(self) -> int:
        return len(self.probe_of)

    def probe(self, i: int) -> Probe:
        n = int(self.probe_of[i])
        found = self._probes.get(n)
        if found is None:
            found = self._probes[n] = self.grid.probe(n)
        return found

    def day(self, i: int) -> date:
        return self.days[int(self.day_of[i])]

    def situation(self, i: int):
        return self.probe(i).situation(self.day(i))


def _distinct(identities: list[dict[str, np.ndarray]]) -> int:
    """The number of distinct probes over the fields' grids (``ProbeGrid.identity``)."""
    names = sorted({n for ident in identities for n in ident})
    parts = [np.stack([ident[n] if n in ident else np.zeros(len(next(iter(ident.values()))), dtype=np.int64)
                       for n in names]) for ident in identities if ident]
    return len(factorize(np.concatenate(parts, axis=1))[1]) if parts else 0


@dataclass
class _Field:
    """One answer field's part of the proof."""
    family: str
    units: list[str]                 # its units of rules
    cells: Cells
    groups: dict[str, np.ndarray]    # each unit's group of each cell (``unit_groups``)
    picks: list[int]                 # a few cells that meet every group of every unit
    facts: list[tuple]               # their canonical facts


def _field(an: Analysis, family: str, cells: Cells, tables: dict) -> _Field:
    """``family``'s part of the proof: its cells grouped per unit, and the few cells to ask about."""
    units = [x for x in an.units if an.unit_family[x] == family]
    u = cells.grid.cell_codes(cells.grid.codes(an.comp), an.comp, cells.probe_of, cells.day_of, cells.days)
    groups = unit_groups(an, units, u, cells.day_of, cells.days, tables)
    picks = cover([groups[x] for x in units], [np.ones(int(groups[x].max()) + 1, dtype=bool) for x in units])
    facts = []
    for i in picks:
        sit = cells.situation(i)
        if an.comp.situation_codes(sit)[0] != tuple(u[:, i].tolist()):
            raise RuntimeError(f"proof: internal error: the codes of a cell differ from its situation ({sit}); "
                               "please report it")
        facts.append(situation_facts(sit, an.comp.program))
    return _Field(family, units, cells, groups, picks, facts)


def _judged(an: Analysis, field: _Field, holdings: list[tuple[str, ...]]) -> Iterator[tuple[np.ndarray, tuple]]:
    """Per group of ``field``'s cells that its units cannot tell apart: the cells (indices into its cells), and
    the field's rules that hold in them — the union of its units' parts, each from the pick of its group
    (``holdings``: the rules that hold in each pick)."""
    parts: dict[tuple[str, int], tuple[str, ...]] = {}
    for pick, holding in zip(field.picks, holdings, strict=True):
        by_unit: dict[str, list[str]] = {}
        for r in holding:
            by_unit.setdefault(an.unit_of[r], []).append(r)
        for x in field.units:
            parts.setdefault((x, int(field.groups[x][pick])), tuple(by_unit.get(x, ())))
    rows = [field.groups[x] for x in field.units]
    dense, first = factorize(np.stack(rows))
    members = np.split(np.argsort(dense, kind="stable"), np.cumsum(np.bincount(dense))[:-1])
    for c, i in enumerate(first.tolist()):
        found = [parts[(x, int(row[i]))] for x, row in zip(field.units, rows, strict=True)]
        yield members[c], tuple(sorted({r for part in found for r in part}))


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
    codes = np.array([comp.situation_codes(probe.situation(day))[0] for probe, day in cells], dtype=np.int64).T
    day_of = np.array([days.index(d) for _, d in cells], dtype=np.int64)
    keyed = _keys_by_day(an, units, group_units, days, day_of, codes, {})
    return factorize(_group_keys(keyed, len(cells)))


def _keys_by_day(an: Analysis, units: list, group_units: list, days: list[date], day_of: np.ndarray,
                 codes: np.ndarray, tables: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per date with cells: the cells' indices and their unit keys (``_unit_keys_on``)."""
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


def _record(found: dict[tuple, Finding], kind: str, family: str, rules: tuple[str, ...], cells: Cells,
            rows: np.ndarray, bands: Bands) -> None:
    """Add the cells ``rows`` of one group to the finding (``kind``, ``family``, ``rules``) of each cell's
    situation."""
    described: dict[int, str] = {}
    for i in rows.tolist():
        n = int(cells.probe_of[i])
        desc = described.get(n)
        if desc is None:
            desc = described[n] = cells.probe(i).describe(bands)
        f = found.setdefault((kind, family, rules, desc), Finding(kind, family, rules, desc))
        f.dates.append(cells.day(i))


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
