"""Situations as integer codes, one per component, derived from the vocabulary's declaration and
the compiled program — for whole columns of flat CSV rows at once, and for one ``Situation``.

Components: the current spell's value; each categorical fact (citizen's, then the current spell's);
each number (integer facts, and the measures of dates); one set of beside spells per beside kind.
A categorical code is 0 for unknown; a choice other than the current value is coded by its class
(values every rule treats alike share one; 1 is a value no rule names); a yes/no is 1 false, 2 true;
a number is 1 + its band between the rules' thresholds (0: absent).
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reform_rules.basics import dates
from reform_rules.basics.errors import BatchError
from reform_rules.law.citizen import Situation
from reform_rules.law.conditions import DERIVED, BoolTest, ChoiceTest, DateTest, NumberTest
from reform_rules.law.facts import Fact, Measure, Vocabulary
from reform_rules.logic.compiler import OTHER, Program

INVALID = -2
OPEN = np.iinfo(np.int32).max
DATES = object()   # a column of dates (converted whole, by reform_rules.basics.column_dates)


@dataclass(frozen=True)
class Spec:
    """What one unit's result can depend on for one class of situations on one date."""
    kept: frozenset            # categorical components read by a rule that could apply
    numbers: tuple             # ((component, thresholds), …) for the numeric ones kept
    beside: tuple              # ((kind, ((measure, thresholds), …)), …) for the beside kinds read
    reads_group: bool          # reads the derived target group
    rules: tuple = ()          # the rules that could apply (so equal specs on two dates mean equal rules)


class Components:
    """The components of a situation code, and how a value becomes a code."""

    def __init__(self, vocabulary: Vocabulary, program: Program):
        v = self.vocabulary = vocabulary
        self.program = program
        self.current = v.current
        self.values = list(v.current_values)
        self.value_code = {b: i for i, b in enumerate(self.values)}
        self.none_code = self.value_code[v.current_none]
        self.citizen_cat = [f for f in v.facts if f.type in ("bool", "choice")]
        self.spell_cat = [f for f in v.current.facts if f.type in ("bool", "choice")]
        self.categorical: list[str] = [self.current.kind] + [f.id for f in self.citizen_cat + self.spell_cat]
        self.cat_fact: dict[str, Fact] = {f.id: f for f in self.citizen_cat + self.spell_cat}
        # numbers: (component, source): integer facts and measures of the citizen's and the current spell's dates
        self.numeric: list[str] = []
        self.citizen_int = [f for f in v.facts if f.type == "integer"]
        self.citizen_measures: list[tuple[Fact, Measure]] = [(f, m) for f in v.facts for m in f.measures]
        self.spell_int = [f for f in v.current.facts if f.type == "integer"]
        self.numeric = [f.id for f in self.citizen_int] + [m.id for _, m in self.citizen_measures] + \
            [f.id for f in self.spell_int] + [m.id for m in v.current.measures]
        self.beside = list(v.beside)
        self.names: list[str] = self.categorical + self.numeric + [f"beside:{k.kind}" for k in self.beside]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.thresholds = {k: list(program.thresholds.get(k, [])) for k in self.numeric}
        for kind in self.beside:
            for m in kind.measures:
                self.thresholds[m.id] = list(program.thresholds.get(m.id, []))
        # classes of choice values: names every member set treats alike are interchangeable
        sets = [set(values) for values in program.sets.values()]
        self.classes: dict[str, dict[str, int]] = {}     # fact → value → class code (≥ 2)
        self.class_value: dict[str, dict[int, str]] = {}  # fact → class code → a representative value
        for f in self.citizen_cat + self.spell_cat:
            if f.type != "choice":
                continue
            named = sorted(program.listed.get(f.id, ()))
            sig: dict[tuple, int] = {}
            self.classes[f.id] = {}
            self.class_value[f.id] = {1: OTHER}
            for value in named:
                code = sig.setdefault(tuple(value in s for s in sets), len(sig) + 2)
                self.classes[f.id][value] = code
                self.class_value[f.id].setdefault(code, value)
        self.radix = {self.current.kind: len(self.values)}
        for f in self.citizen_cat + self.spell_cat:
            self.radix[f.id] = 3 if f.type == "bool" else len(self.class_value[f.id]) + 1
        for k in self.numeric:
            self.radix[k] = len(self.thresholds[k]) + 2
        self.progsets: dict[tuple, int] = {(): 0}       # ((value, band, …), …) → code
        self.progset_list: list[tuple] = [()]

    # one value → code -------------------------------------------------------------------------------------
    def choice_code(self, fact: str, value: str | None) -> int:
        if value is None:
            return 0
        return self.classes[fact].get(value, 1)

    @staticmethod
    def bool_code(value: bool | None) -> int:
        return 0 if value is None else 2 if value else 1

    @staticmethod
    def band(thresholds: Sequence[int], value: int) -> int:
        return 1 + bisect_right(thresholds, value)

    def cat_code(self, fact: Fact, value: Any) -> int:
        return self.bool_code(value) if fact.type == "bool" else self.choice_code(fact.id, value)

    def progset(self, items: Iterable[tuple]) -> int:
        key = tuple(sorted(set(items)))
        code = self.progsets.get(key)
        if code is None:
            code = self.progsets[key] = len(self.progset_list)
            self.progset_list.append(key)
            if code >= 1 << 20:
                raise BatchError("too many distinct combinations of beside spells for one batch")
        return code

    def situation_codes(self, sit: Situation) -> tuple[tuple[int, ...], int]:
        """The codes of a Situation (the slow path), and its current spell's start (-1: none)."""
        codes = [self.value_code[sit.benefit]]
        for f in self.citizen_cat + self.spell_cat:
            codes.append(self.cat_code(f, sit.facts.get(f.id)))
        for key in self.numeric:
            codes.append(self.band(self.thresholds[key], sit.numbers[key]) if key in sit.numbers else 0)
        for kind in self.beside:
            ms = [m.id for m in kind.measures]
            # the programmes of every beside kind are in one list: an item's measures need not be this kind's
            codes.append(self.progset((item[0],) + tuple(self.band(self.thresholds[m], n)
                                                         for m, n in zip(ms, item[1:], strict=False))
                                      for item in sit.programmes))
        return tuple(codes), (dates.ordinal(sit.spell.start) if sit.spell else -1)

    def cls(self, column: Any) -> tuple:
        """The class of a signature that decides which rules could apply: the current value, the current
        spell's choices, and the beside values."""
        c = self.index
        spell = tuple(self.class_value[f.id].get(int(column[c[f.id]])) if f.type == "choice" else None
                      for f in self.spell_cat)
        pids = tuple(frozenset(item[0] for item in self.progset_list[int(column[c[f"beside:{k.kind}"]])])
                     for k in self.beside)
        return (self.values[int(column[c[self.current.kind]])], spell, pids)


class Analysis:
    """Which rules could apply, and what they read, per unit of rules, date and class of situation."""

    def __init__(self, ruleset, components: Components):
        self.comp = components
        self.families = components.program.families
        self.units: list[str] = []
        self.unit_family: dict[str, str] = {}
        self.unit_of: dict[str, str] = {}
        for family in self.families:
            rules = ruleset.in_family(family)
            parent = {r.id: r.id for r in rules}

            def find(x: str, parent: dict[str, str] = parent) -> str:   # this family's forest
                while parent[x] != x:
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                return x
            for r in rules:
                for target in r.overrides:
                    if target in parent:
                        parent[find(target)] = find(r.id)
            roots: dict[str, str] = {}
            for r in rules:
                self.unit_of[r.id] = roots.setdefault(find(r.id), f"{family}#{len(roots)}")
            for unit in roots.values():
                self.units.append(unit)
                self.unit_family[unit] = family
        self.branches: dict[str, list] = {u: [] for u in self.units}
        for r in ruleset.rules:
            self.branches[self.unit_of[r.id]] += [(r, b) for b in r.condition.branches()]
        self.specs: dict[Spec, int] = {}
        self.spec_list: list[Spec] = []
        self._memo: dict[tuple, int] = {}
        self._rules = list(ruleset.rules)
        self._periods: dict[tuple, int] = {}
        self._period_of: dict[date, int] = {}

    def period(self, day: date) -> int:
        """The number of the rules' period ``day`` is in: days of one period have the same rules in force
        (and so the same specs)."""
        found = self._period_of.get(day)
        if found is None:
            valid = tuple(r.valid_on(day) for r in self._rules)
            found = self._period_of[day] = self._periods.setdefault(valid, len(self._periods))
        return found

    def spec_id(self, unit: str, day: date, cls: tuple) -> int:
        memo = (unit, self.period(day), cls)
        found = self._memo.get(memo)
        if found is None:
            spec = self._spec(unit, day, cls)
            found = self.specs.setdefault(spec, len(self.spec_list))
            if found == len(self.spec_list):
                self.spec_list.append(spec)
            self._memo[memo] = found
        return found

    def _spec(self, unit: str, day: date, cls: tuple) -> Spec:
        comp = self.comp
        value, spell, pids = cls
        known = {comp.current.kind: value}
        known.update({f.id: v for f, v in zip(comp.spell_cat, spell, strict=True) if f.type == "choice"})
        pid_of = {k.kind: p for k, p in zip(comp.beside, pids, strict=True)}   # cls: one per spell fact, beside
        kept: set[str] = set()
        numbers: dict[str, set[int]] = {}
        beside: dict[str, dict[str, set[int]]] = {}
        reads_group = False
        possible: list[str] = []
        for rule, branch in self.branches[unit]:
            if not rule.valid_on(day):
                continue
            if any(isinstance(t, ChoiceTest) and t.key in known and known[t.key] != OTHER
                   and not t.possible(known[t.key]) for t in branch.tests):
                continue
            if any(not b.possible(pid_of.get(b.kind, frozenset())) for b in branch.beside):
                continue
            possible.append(rule.id)
            for t in branch.tests:
                if t.key == DERIVED:
                    reads_group = True
                elif isinstance(t, (ChoiceTest, BoolTest)):
                    kept.add(t.key)
                elif isinstance(t, (NumberTest, DateTest)):
                    numbers.setdefault(t.key, set()).update(t.constants())
            for b in branch.beside:
                slot = beside.setdefault(b.kind, {})
                for d in b.dates:
                    slot.setdefault(d.key, set()).update(d.constants())
        nums = tuple((k, tuple(sorted(numbers[k]))) for k in comp.numeric if k in numbers)
        bes = tuple((k.kind, tuple((m.id, tuple(sorted(beside[k.kind].get(m.id, ())))) for m in k.measures))
                    for k in comp.beside if k.kind in beside)
        return Spec(frozenset(kept), nums, bes, reads_group and self.unit_family[unit] != DERIVED,
                    tuple(sorted(set(possible))))

    def local_number_table(self, spec: Spec, key: str) -> np.ndarray:
        """Global band code → band code between the spec's thresholds (all 0 when not read)."""
        glob = self.comp.thresholds[key]
        out = np.zeros(len(glob) + 2, dtype=np.int64)
        local = dict(spec.numbers).get(key)
        if local is None:
            return out
        for code in range(1, len(glob) + 2):
            out[code] = 1 + bisect_right(local, _representative(glob, code))
        return out

    def local_progset(self, spec: Spec, kind: str, code: int) -> int:
        local = dict(spec.beside).get(kind)
        if local is None:
            return 0
        comp = self.comp
        items = []
        for item in comp.progset_list[code]:
            bands = []
            for (m, ks), band_code in zip(local, item[1:], strict=False):
                bands.append(1 + bisect_right(ks, _representative(comp.thresholds[m], band_code)))
            items.append((item[0], *bands))
        return comp.progset(items)


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dense id per value, index of the first occurrence of each id), ids in order of appearance."""
    if values.ndim == 2:  # the columns of a stack: one key each (re-densified before it could overflow)
        key = np.zeros(values.shape[1], dtype=np.int64)
        bound = 1
        for row in values:
            if not len(row):
                break
            row = row - row.min()
            radix = int(row.max()) + 1
            if bound * radix >= 1 << 62:
                key, _ = factorize(key)
                bound = int(key.max()) + 1
            key = key * radix + row
            bound *= radix
        return factorize(key)
    # Arrow's hash kernel numbers distinct values in order of appearance (as pandas.factorize does,
    # without importing pandas, which costs a quarter of a second: so in and out through the buffers, as
    # pa.array and to_numpy import it)
    flat = np.ascontiguousarray(values, dtype=np.int64)
    enc = pc.dictionary_encode(pa.Array.from_buffers(pa.int64(), len(flat), [None, pa.py_buffer(flat)]))
    ix = enc.indices
    dense = np.frombuffer(ix.buffers()[1], dtype=f"int{ix.type.bit_width}", count=len(ix),
                          offset=ix.offset * ix.type.bit_width // 8).astype(np.int64)
    count = len(enc.dictionary)
    first = np.zeros(count, dtype=np.int64)
    first[dense[::-1]] = np.arange(len(values) - 1, -1, -1)
    return dense, first


def signature(rows: np.ndarray | Sequence[np.ndarray], radices: list[int]) -> np.ndarray:
    """One int64 key per column of ``rows`` (equal columns, equal keys), re-densified before it could overflow."""
    key = np.zeros(len(rows[0]), dtype=np.int64)
    bound = 1
    for row, radix in zip(rows, radices, strict=True):   # a radix per row (every caller builds them so)
        radix = max(int(radix), int(row.max()) + 1 if len(row) else 1)
        if bound * radix >= 1 << 62:
            key, _ = factorize(key)
            bound = int(key.max()) + 1 if len(key) else 1
        key = key * radix + row
        bound *= radix
    return key


def unit_keys(an: Analysis, spec_ids: np.ndarray, u: np.ndarray, tables: dict) -> np.ndarray:
    """One key per column of ``u`` (situation codes) for one unit of rules: equal keys, equal part of the answer
    (what the unit's rules that could apply on the date, for the class, read — and nothing else).

    The keys are only comparable within one call (their radices grow with the rule specs and programme sets
    met so far); a key kept across calls is a column of ``read_parts``, the rows not read as 0."""
    parts, radices, _ = read_parts(an, spec_ids, u, tables)
    return signature(parts, radices)


def read_parts(an: Analysis, spec_ids: np.ndarray, u: np.ndarray,
               tables: dict) -> tuple[list[np.ndarray], list[int], list[int]]:
    """What ``unit_keys`` is made of: one row per component some spec of ``spec_ids`` reads (first the spec,
    then what it reads of each code; the rows of the others would be all 0), their radices for ``signature``,
    and where each row is among all the components (0: the spec, 1 + i: code i). The numbers are stable
    (indices into lists that only grow), so a column with its 0s put back, as a tuple, means the same in every
    call."""
    comp = an.comp
    specs = an.spec_list
    used = np.flatnonzero(np.bincount(spec_ids, minlength=len(specs)))
    parts = [spec_ids]
    radices = [len(specs)]
    where = [0]
    for i, name in enumerate(comp.names):
        column = u[i]
        if name in comp.radix and name not in comp.thresholds:          # categorical
            keep = _per_spec(tables, ("kept", name), specs,
                              lambda s, name=name: np.array(name in s.kept, dtype=np.int64))
            if not keep[used].any():
                continue
            local = column * keep[spec_ids]
        elif name in comp.thresholds:                                    # numeric
            table = _per_spec(tables, ("numbers", name), specs,
                              lambda s, name=name: _number_table(an, tables, s, name))
            if not table[used].any():
                continue
            local = table[spec_ids, column]
        else:                                                            # a set of beside spells
            kind = name.split(":", 1)[1]
            if not any(kind in dict(specs[j].beside) for j in used.tolist()):
                continue
            pairs = spec_ids * len(comp.progset_list) + column
            pd_, pf = factorize(pairs)
            local = np.array([an.local_progset(specs[int(spec_ids[j])], kind, int(column[j])) for j in pf.tolist()],
                             dtype=np.int64)[pd_]
        parts.append(local)
        radices.append(comp.radix.get(name, len(comp.progset_list)))
        where.append(1 + i)
    return parts, radices, where


def _per_spec(tables: dict, key: tuple, specs: list, row) -> np.ndarray:
    """``np.stack([row(s) for s in specs])``, kept and extended as specs are found (they are only appended)."""
    done = tables.get(key)
    if done is None or len(done) < len(specs):
        have = 0 if done is None else len(done)
        more = np.stack([row(s) for s in specs[have:]])
        done = tables[key] = more if done is None else np.concatenate([done, more])
    return done


def _number_table(an: Analysis, tables: dict, spec: Spec, name: str) -> np.ndarray:
    k = (spec, name)
    table = tables.get(k)
    if table is None:
        table = tables[k] = an.local_number_table(spec, name)
    return table


def _representative(thresholds: list[int], band_code: int) -> int:
    return thresholds[band_code - 2] if band_code >= 2 else (thresholds[0] - 1 if thresholds else 0)


