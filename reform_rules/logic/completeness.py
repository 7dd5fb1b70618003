"""Completeness and uniqueness: every situation on every date where a rule changes gets exactly
one phase and one target group (or a declared ``undetermined``), and no two rules give
conflicting values for a field that has one value (sanctionable, trial, a programme's status).

Per answer field: every possible cell (situation × change date) of the space its rules read, as columns
(``probe_grid``); the cells grouped per unit of the field's rules (``unit_cover``: cells of a group get the same
rules of the unit); a few cells that meet every group asked which of the field's rules hold (``parallel``:
one query each, in forked helpers); each combination of groups judged once, from its units' parts.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from reform_rules.law.model import UNDETERMINED, Rule
from reform_rules.logic.compiler import situation_facts
from reform_rules.logic.parallel import Holdings
from reform_rules.logic.probe_grid import Cells, ProbeGrid
from reform_rules.logic.situation_codes import Analysis, Components, factorize
from reform_rules.logic.situations import (
    Bands,
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
    fields: dict[str, FieldProof] = {}
    tables: dict = {}
    asked: dict[str, int] = {}
    holdings = Holdings(base)
    found: dict[tuple, Finding] = {}
    try:
        for family in families:
            if not ruleset.in_family(family):
                continue
            grid = ProbeGrid(ruleset, bands, family_keys(ruleset, family) | {ruleset.vocabulary.current.kind})
            identities.append(grid.identity(ids))
            probe_of, day_of = np.nonzero(grid.possible(days))   # probe by probe, each probe's dates in order
            cov.pairs += len(probe_of)
            if len(probe_of):
                field = fields[family] = field_proof(an, family, Cells(grid, probe_of, day_of, days), tables)
                asked[family] = holdings.add([(facts, family) for facts in field.facts])
                cov.distinct += len(set(field.facts))
        cov.situations = _distinct(identities)
        for done, family in enumerate(families):
            if progress is not None:
                progress(done, len(families), family)
            if family not in fields:
                continue
            field = fields[family]
            for rows, holding in field.holding(an, holdings.get(asked[family])):
                for kind, rules_ in _judge(shape.by_then(family), [ruleset.rule(r) for r in holding]):
                    _record(found, kind, family, rules_, field.cells, rows, bands)
    finally:
        holdings.close()
    if progress is not None:
        progress(len(families), len(families), "")
    for f in found.values():
        f.dates.sort()
    cov.findings = sorted(found.values(), key=lambda f: (f.kind, f.family, f.rules, f.situation))
    cov.seconds = time.perf_counter() - start
    return cov


def _distinct(identities: list[dict[str, np.ndarray]]) -> int:
    """The number of distinct probes over the fields' grids (``ProbeGrid.identity``)."""
    names = sorted({n for ident in identities for n in ident})
    parts = [np.stack([ident[n] if n in ident else np.zeros(len(next(iter(ident.values()))), dtype=np.int64)
                       for n in names]) for ident in identities if ident]
    return len(factorize(np.concatenate(parts, axis=1))[1]) if parts else 0


@dataclass
class FieldProof:
    """One answer field's part of the proof (or of ``reform diff``'s comparison)."""
    family: str
    units: list[str]                 # its units of rules
    cells: Cells
    groups: dict[str, np.ndarray]    # each unit's group of each cell (``unit_groups``)
    picks: list[int]                 # a few cells that meet every group of every unit
    facts: list[tuple]               # their canonical facts

    def holding(self, an: Analysis, answers: list[tuple[str, ...]]) -> Iterator[tuple[np.ndarray, tuple]]:
        """Per group of the cells that the field's units cannot tell apart: the cells (indices into
        ``cells``), and the field's rules that hold in them — the union of its units' parts, each from the pick
        of its group (``answers``: the field's rules that hold in each pick, ``holding_each``)."""
        parts: dict[tuple[str, int], tuple[str, ...]] = {}
        for pick, holding in zip(self.picks, answers, strict=True):
            by_unit: dict[str, list[str]] = {}
            for r in holding:
                by_unit.setdefault(an.unit_of[r], []).append(r)
            for x in self.units:
                parts.setdefault((x, int(self.groups[x][pick])), tuple(by_unit.get(x, ())))
        rows = [self.groups[x] for x in self.units]
        dense, first = factorize(np.stack(rows))
        members = np.split(np.argsort(dense, kind="stable"), np.cumsum(np.bincount(dense))[:-1])
        for c, i in enumerate(first.tolist()):
            found = [parts[(x, int(row[i]))] for x, row in zip(self.units, rows, strict=True)]
            yield members[c], tuple(sorted({r for part in found for r in part}))


def field_proof(an: Analysis, family: str, cells: Cells, tables: dict) -> FieldProof:
    """``family``'s part of the proof over ``cells``: the cells grouped per unit of its rules, and the few cells
    to ask about (``tables``: ``unit_keys``' cache for ``an``)."""
    units = [x for x in an.units if an.unit_family[x] == family]
    codes = cells.grid.codes(an.comp)
    groups = unit_groups(an, units, cells, codes, tables)
    picks = cover([groups[x] for x in units], [np.ones(int(groups[x].max()) + 1, dtype=bool) for x in units])
    u = cells.codes(codes, an.comp, np.asarray(picks, dtype=np.int64))
    facts = []
    for j, i in enumerate(picks):
        sit = cells.situation(i)
        if an.comp.situation_codes(sit)[0] != tuple(u[:, j].tolist()):
            raise RuntimeError(f"proof: internal error: the codes of a cell differ from its situation ({sit}); "
                               "please report it")
        facts.append(situation_facts(sit, an.comp.program))
    return FieldProof(family, units, cells, groups, picks, facts)


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
