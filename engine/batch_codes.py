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
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import column_dates, dates
from .batch_layout import BatchError, Layout, bool_cell, int_cell
from .citizen import CPR_PATTERN, YEARS, Situation, spell_date
from .compiler import OTHER, Program
from .conditions import DERIVED, BesideTest, BoolTest, ChoiceTest, DateTest, NumberTest
from .facts import Fact, Measure, Vocabulary

INVALID = -2
OPEN = np.iinfo(np.int32).max
DATES = object()   # a column of dates (converted whole, by engine.column_dates)


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
            codes.append(self.progset((item[0],) + tuple(self.band(self.thresholds[m], n) for m, n in zip(ms, item[1:]))
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

            def find(x: str) -> str:
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

    def spec_id(self, unit: str, day: date, cls: tuple) -> int:
        memo = (unit, day, cls)
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
        known.update({f.id: v for f, v in zip(comp.spell_cat, spell) if f.type == "choice"})
        pid_of = {k.kind: p for k, p in zip(comp.beside, pids)}
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
            for (m, ks), band_code in zip(local, item[1:]):
                bands.append(1 + bisect_right(ks, _representative(comp.thresholds[m], band_code)))
            items.append((item[0], *bands))
        return comp.progset(items)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dense id per value, index of the first occurrence of each id), ids in order of appearance."""
    if values.ndim == 2:  # rows of a stack: factorize each, then the pairs, step by step (no overflow)
        dense, first = _factorize(values[0])
        for row in values[1:]:
            d2, f2 = _factorize(row)
            dense, first = _factorize(dense * len(f2) + d2)
        return dense, first
    # Arrow's hash kernel numbers distinct values in order of appearance (as pandas.factorize does,
    # without importing pandas, which costs a quarter of a second)
    enc = pc.dictionary_encode(pa.array(np.ascontiguousarray(values, dtype=np.int64)))
    dense = enc.indices.to_numpy().astype(np.int64)
    count = len(enc.dictionary)
    first = np.zeros(count, dtype=np.int64)
    first[dense[::-1]] = np.arange(len(values) - 1, -1, -1)
    return dense, first


def _signature(rows: np.ndarray, radices: list[int]) -> np.ndarray:
    """One int64 key per column of ``rows`` (equal columns, equal keys), re-densified before it could overflow."""
    key = np.zeros(rows.shape[1], dtype=np.int64)
    bound = 1
    for row, radix in zip(rows, radices):
        radix = max(int(radix), int(row.max()) + 1 if len(row) else 1)
        if bound * radix >= 1 << 62:
            key, _ = _factorize(key)
            bound = int(key.max()) + 1 if len(key) else 1
        key = key * radix + row
        bound *= radix
    return key


def unit_keys(an: Analysis, spec_ids: np.ndarray, u: np.ndarray, tables: dict) -> np.ndarray:
    """One key per column of ``u`` (situation codes) for one unit of rules: equal keys, equal part of the answer
    (what the unit's rules that could apply on the date, for the class, read — and nothing else)."""
    comp = an.comp
    specs = an.spec_list
    parts = [spec_ids]
    radices = [len(specs)]
    for i, name in enumerate(comp.names):
        column = u[i]
        if name in comp.radix and name not in comp.thresholds:          # categorical
            keep = np.array([name in s.kept for s in specs], dtype=np.int64)
            local = column * keep[spec_ids]
        elif name in comp.thresholds:                                    # numeric
            table = np.stack([_number_table(an, tables, s, name) for s in specs])
            local = table[spec_ids, column]
        else:                                                            # a set of beside spells
            kind = name.split(":", 1)[1]
            pairs = spec_ids * len(comp.progset_list) + column
            pd_, pf = _factorize(pairs)
            local = np.array([an.local_progset(specs[int(spec_ids[j])], kind, int(column[j])) for j in pf.tolist()],
                             dtype=np.int64)[pd_]
        parts.append(local)
        radices.append(comp.radix.get(name, len(comp.progset_list)))
    return _signature(np.stack(parts), radices)


def _number_table(an: Analysis, tables: dict, spec: Spec, name: str) -> np.ndarray:
    k = (spec, name)
    table = tables.get(k)
    if table is None:
        table = tables[k] = an.local_number_table(spec, name)
    return table


def _representative(thresholds: list[int], band_code: int) -> int:
    return thresholds[band_code - 2] if band_code >= 2 else (thresholds[0] - 1 if thresholds else 0)


# -- the per-column conversion of CSV cells ------------------------------------------------------------------
def encode(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list]:
    """Dictionary codes of a string column (-1 for null) and its distinct values."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if arr.type != pa.string():
        arr = pc.cast(arr, pa.string())
    enc = pc.dictionary_encode(arr)
    idx = enc.indices
    codes = (pc.fill_null(idx, -1) if idx.null_count else idx).to_numpy(zero_copy_only=False)
    return codes, enc.dictionary.to_pylist()


def date_value(text: str) -> int | None:
    """The ordinal of a valid date cell, or None (the same test as ``parse_citizen``)."""
    try:
        day = dates.parse_date(text)
    except ValueError:
        return None
    return dates.ordinal(day) if YEARS[0] <= day.year <= YEARS[1] else None


@dataclass
class Column:
    value: np.ndarray          # converted value per row (INVALID when the cell is not valid; ``missing`` absent)
    present: np.ndarray        # the cell is not empty
    codes: np.ndarray          # distinct-value code per row (-1 absent)
    distinct: np.ndarray       # dates: the ordinal per distinct value (column_dates.INVALID if not a date)


class Converter:
    """Whole columns of flat rows → converted values, each distinct cell text converted once."""

    def __init__(self, comp: Components, layout: Layout):
        self.comp, self.layout = comp, layout
        self.memo: dict[str, dict[str, int]] = {}
        v = comp.vocabulary
        self.funcs: dict[str, Callable[[str], int]] = {}
        for column, kind in layout.types.items():
            self.funcs[column] = self._func(column, kind, v)

    def _func(self, column: str, kind: str, v: Vocabulary) -> Callable[[str], int]:
        comp = self.comp
        if kind == "bool":
            return lambda s: INVALID if not isinstance(b := bool_cell(s), bool) else comp.bool_code(b)
        if kind == "integer":
            fact = self._fact(column)
            return lambda s: n if isinstance(n := int_cell(s), int) and fact.minimum <= n <= fact.maximum else INVALID
        if kind == "choice":
            if column == comp.current.kind:
                table = v.table(comp.current.values)
                return lambda s: comp.value_code.get(table.lookup(s) or "", INVALID)
            beside = next((k for k in comp.beside if k.kind == column), None)
            if beside is not None:
                table = v.table(beside.values)
                ids = list(table)
                return lambda s: ids.index(found) if (found := table.lookup(s)) else INVALID
            fact = self._fact(column)
            table = v.table(fact.values or "")
            return lambda s: comp.choice_code(fact.id, found) if (found := table.lookup(s)) else INVALID
        return date_value  # type: ignore[return-value]

    def _fact(self, column: str) -> Fact:
        for f in self.layout.citizen:
            if f.id == column:
                return f
        for kind, fields in self.layout.spells:
            for f in kind.facts:
                if fields.get(column) == f.id:
                    return f
        raise KeyError(column)

    def column(self, table: pa.Table, name: str) -> Column:
        n = table.num_rows
        if name not in table.column_names:
            return Column(np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64),
                          np.zeros(0, np.int64))
        codes, values = encode(table.column(name))
        present = codes >= 0
        if self.layout.types[name] == "date":
            ords = column_dates.parse_ordinals(values, date_value, YEARS).astype(np.int64)
            conv = np.where(ords >= 0, ords, INVALID)
            return Column(np.append(conv, -1)[codes], present, codes, ords)
        memo = self.memo.setdefault(name, {})
        fn = self.funcs[name]
        conv = np.array([memo[s] if s in memo else memo.setdefault(s, fn(s)) for s in values] + [-1], dtype=np.int64)
        return Column(conv[codes], present, codes, np.zeros(0, np.int64))


def id_ok(table: pa.Table) -> np.ndarray:
    """Present, not blank at either end, not a CPR number (anything unusual: the slow path decides)."""
    ids = table.column("id").combine_chunks()
    if ids.type != pa.string():
        ids = pc.cast(ids, pa.string())
    plain = pc.match_substring_regex(ids, r"^[!-~](.*[!-~])?$")
    cpr = pc.match_substring_regex(ids, CPR_PATTERN.replace(r"\d", "[0-9]"))
    return pc.and_(pc.fill_null(plain, False), pc.invert(pc.fill_null(cpr, True))).to_numpy(zero_copy_only=False)


@dataclass
class Rows:
    """The converted columns of one chunk of flat rows, and the rows the fast path may take."""
    n: int
    ok: np.ndarray
    cols: dict[str, Column]


def convert(table: pa.Table, conv: Converter, threads: Callable[[list], list]) -> Rows:
    """Convert a chunk of flat CSV rows (string columns) and mark the rows that are plainly valid."""
    layout, comp = conv.layout, conv.comp
    names = set(table.column_names)
    unknown = names - set(layout.fields)
    if unknown:
        raise BatchError(f"unknown column(s) {', '.join(sorted(unknown))} (the columns are: {', '.join(layout.fields)})")
    if "id" not in names:
        raise BatchError(f"the column 'id' is missing (the columns are: {', '.join(layout.fields)})")
    columns = [c for c in layout.fields if c != "id"]
    done = threads([lambda: id_ok(table)] + [(lambda c=c: conv.column(table, c)) for c in columns])
    ok = done[0]
    cols: dict[str, Column] = dict(zip(columns, done[1:]))
    for c in cols.values():
        ok &= ~(c.present & (c.value == INVALID))
    for kind, fields in layout.spells:
        any_cell = np.zeros(table.num_rows, dtype=bool)
        for column in fields:
            c = cols[column]
            flag = c.present
            fact = next((f for f in kind.facts if fields[column] == f.id), None)
            if fact is not None and fact.type == "bool" and fact.default is not None:
                flag = flag & (c.value != comp.bool_code(fact.default))   # the default is the same as empty
            any_cell |= flag
            if fact is not None and fact.only_with:
                allowed = np.zeros(len(comp.values) + 1, dtype=bool)
                for value in fact.only_with:
                    allowed[comp.value_code[value]] = True
                kv = cols[kind.kind].value
                ok &= ~(flag & ~allowed[np.where(kv >= 0, kv, -1)])
        p = kind.column_prefix
        start, end = cols[f"{p}from"], cols[f"{p}to"]
        ok &= ~(any_cell & ~(cols[kind.kind].present & (cols[kind.kind].value >= 0)))
        ok &= ~(any_cell & ~(start.present & (start.value >= 0)))
        ok &= ~(end.present & (end.value < start.value))
        for f in layout.citizen:
            if f.spells_not_before:
                bound = cols[f.id]
                ok &= ~(bound.present & any_cell & (start.value >= 0) & (start.value < bound.value))
    return Rows(table.num_rows, ok, cols)


def day_codes(rows: Rows, conv: Converter, an: Analysis, day: date) -> tuple[np.ndarray, np.ndarray]:
    """The situation codes (components × rows) on ``day``, and each current spell's start."""
    comp, cols, n = conv.comp, rows.cols, rows.n
    d = dates.ordinal(day)
    out = np.zeros((len(comp.names), n), dtype=np.int64)
    cur = comp.current
    start, end = cols["from"], cols["to"]
    covers = cols[cur.kind].present & (start.value >= 0) & (start.value <= d) & \
        (~end.present | (d <= np.where(end.present, end.value, OPEN)))
    ix = comp.index
    out[ix[cur.kind]] = np.where(covers, cols[cur.kind].value, comp.none_code)
    for f in comp.citizen_cat:
        c = cols[f.id]
        out[ix[f.id]] = np.where(c.present, c.value, comp.cat_code(f, f.default))
    for f in comp.spell_cat:
        c = cols[f.id]
        out[ix[f.id]] = np.where(covers & c.present, c.value, comp.cat_code(f, f.default))
    t = comp.thresholds
    for f in comp.citizen_int:
        c = cols[f.id]
        out[ix[f.id]] = np.where(c.present, column_dates.bands(t[f.id], np.maximum(c.value, 0)), 0)
    for f, m in comp.citizen_measures:
        c = cols[f.id]
        table = np.append(np.where(c.distinct >= 0, column_dates.bands(t[m.id], _measure(m, c.distinct, day)), 0), 0)
        out[ix[m.id]] = np.where(c.present, table[c.codes], 0)
    for f in comp.spell_int:
        c = cols[f.id]
        out[ix[f.id]] = np.where(covers & c.present, column_dates.bands(t[f.id], np.maximum(c.value, 0)), 0)
    for m in cur.measures:
        c = cols[m.of] if m.of in cols else start
        table = np.append(np.where(c.distinct >= 0, column_dates.bands(t[m.id], _measure(m, c.distinct, day)), 0), 0)
        out[ix[m.id]] = np.where(covers, table[c.codes], 0)
    for kind in comp.beside:
        p = kind.column_prefix
        kc, ks, ke = cols[kind.kind], cols[f"{p}from"], cols[f"{p}to"]
        pcovers = kc.present & (ks.value >= 0) & (ks.value <= d) & (~ke.present | (d <= np.where(ke.present, ke.value, OPEN)))
        if not pcovers.any():
            continue
        rows = np.flatnonzero(pcovers)
        key = np.maximum(kc.value[rows], 0)
        for m in kind.measures:
            c = cols.get(f"{p}{m.of}", ks)
            value = (np.where(c.present, c.value, ks.value) if c is not ks else ks.value)[rows]
            band = column_dates.bands(t[m.id], _measure(m, np.maximum(value, 0), day))
            key = key * (len(t[m.id]) + 2) + band
        dense, first = _factorize(key)     # one progset per distinct (value, bands …), not per row
        ids = list(conv.comp.vocabulary.table(kind.values))
        radices = [len(t[m.id]) + 2 for m in kind.measures]
        codes = []
        for k in key[first].tolist():
            parts = []
            for r in reversed(radices):
                k, b = divmod(k, r)
                parts.append(b)
            codes.append(comp.progset([(ids[int(k)], *reversed(parts))]))
        column = np.zeros(n, dtype=np.int64)
        column[rows] = np.asarray(codes, dtype=np.int64)[dense]
        out[ix[f"beside:{kind.kind}"]] = column
    return out, np.where(covers, start.value, -1)


def _measure(m: Measure, ordinals: np.ndarray, day: date) -> np.ndarray:
    """A measure of whole columns of date ordinals on ``day`` (as ``citizen.measure_value``)."""
    if m.kind == "years_since":
        return column_dates.age_on(ordinals, day)
    if m.kind == "months_since":
        return column_dates.completed_months(ordinals, day)
    if m.kind == "weeks_since":
        diff = dates.ordinal(day) - ordinals
        return np.where(diff >= 0, diff // 7, -1)
    return ordinals


__all__ = ["Analysis", "BesideTest", "Components", "Converter", "DATES", "Rows", "Spec", "convert", "day_codes",
           "spell_date", "unit_keys"]
