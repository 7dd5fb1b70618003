"""Whole columns of flat CSV rows converted at once into the situation codes of
:mod:`reform_rules.logic.situation_codes` (each distinct cell text converted once), and the codes of a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reform_rules.basics import column_dates, dates
from reform_rules.basics.errors import BatchError
from reform_rules.basics.privacy import CPR_SEARCH, looks_like_cpr
from reform_rules.caseload.layout import Layout, bool_cell, int_cell
from reform_rules.law.citizen import YEARS, spell_date
from reform_rules.law.conditions import BesideTest
from reform_rules.law.facts import Fact, Measure, Vocabulary
from reform_rules.logic.situation_codes import DATES, INVALID, OPEN, Analysis, Components, Spec, factorize, signature


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


def _bounds(fact: Fact) -> tuple[int, int]:
    """An integer fact's minimum and maximum (the vocabulary check makes sure that it has both)."""
    if fact.minimum is None or fact.maximum is None:
        raise ValueError(f"the integer fact {fact.id} has no minimum or maximum")
    return fact.minimum, fact.maximum


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
            lo, hi = _bounds(self._fact(column))
            return lambda s: n if isinstance(n := int_cell(s), int) and lo <= n <= hi else INVALID
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
        # a CPR-like cell is never a value: its row goes to the row-by-row parser, which refuses it unechoed
        if self.layout.types[name] == "date":
            ords = column_dates.parse_ordinals(values, date_value, YEARS).astype(np.int64)
            cpr = np.array([looks_like_cpr(v) for v in values], dtype=bool)
            conv = np.where((ords >= 0) & ~cpr, ords, INVALID)
            return Column(np.append(conv, -1)[codes], present, codes, np.where(cpr, column_dates.INVALID, ords))
        memo = self.memo.setdefault(name, {})
        typed = self.funcs[name]

        def fn(s: str) -> int:
            return INVALID if looks_like_cpr(s) else typed(s)
        conv = np.array([memo[s] if s in memo else memo.setdefault(s, fn(s)) for s in values] + [-1], dtype=np.int64)
        return Column(conv[codes], present, codes, np.zeros(0, np.int64))


def id_ok(table: pa.Table) -> np.ndarray:
    """Present, not blank at either end, not a CPR number (anything unusual: the slow path decides)."""
    ids = table.column("id").combine_chunks()
    if ids.type != pa.string():
        ids = pc.cast(ids, pa.string())
    plain = pc.match_substring_regex(ids, r"^[!-~](.*[!-~])?$")
    cpr = pc.match_substring_regex(ids, CPR_SEARCH)
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
        raise BatchError(f"unknown column(s) {', '.join(sorted(unknown))} "
                         f"(the columns are: {', '.join(layout.fields)})")
    if "id" not in names:
        raise BatchError(f"the column 'id' is missing (the columns are: {', '.join(layout.fields)})")
    columns = [c for c in layout.fields if c != "id"]
    done = threads([lambda: id_ok(table)] + [(lambda c=c: conv.column(table, c)) for c in columns])
    ok = done[0]
    cols: dict[str, Column] = dict(zip(columns, done[1:], strict=True))   # one result per job
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


def day_codes(rows: Rows, conv: Converter, an: Analysis, day: date,
              out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The situation codes (components × rows) on ``day`` (written into ``out`` if given: every cell is
    written), and each current spell's start."""
    comp, cols, n = conv.comp, rows.cols, rows.n
    d = dates.ordinal(day)
    if out is None:
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
        pcovers = kc.present & (ks.value >= 0) & (ks.value <= d) & \
            (~ke.present | (d <= np.where(ke.present, ke.value, OPEN)))
        if not pcovers.any():
            out[ix[f"beside:{kind.kind}"]] = 0
            continue
        hit = np.flatnonzero(pcovers)
        key = np.maximum(kc.value[hit], 0)
        for m in kind.measures:
            c = cols.get(f"{p}{m.of}", ks)
            value = (np.where(c.present, c.value, ks.value) if c is not ks else ks.value)[hit]
            band = column_dates.bands(t[m.id], _measure(m, np.maximum(value, 0), day))
            key = key * (len(t[m.id]) + 2) + band
        dense, first = factorize(key)     # one progset per distinct (value, bands …), not per row
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
        column[hit] = np.asarray(codes, dtype=np.int64)[dense]
        out[ix[f"beside:{kind.kind}"]] = column
    return out, np.where(covers, start.value, -1)


# -- many days at once: rows grouped by everything their codes can depend on ----------------------------------
def day_groups(rows: Rows, conv: Converter, days: Sequence[date], idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``idx`` grouped so that the rows of a group have equal ``day_codes`` on every day of ``days``:
    (group of each row of ``idx``, position in ``idx`` of each group's first row).

    ``day_codes`` reads a cell that is not a date only through its converted value (and whether it is
    present), so that value is part of the key — a number's only through its band between the rules'
    thresholds. A date cell is read only through whether it is valid, how
    it compares with each day and the measures of it on each day (banded by the rules' thresholds); its
    key is the class of its *profile* — those values on every day — computed once per distinct date.
    """
    comp = conv.comp
    measured: dict[str, list[Measure]] = {}          # date column → the measures ``day_codes`` takes of it
    for f, m in comp.citizen_measures:
        measured.setdefault(f.id, []).append(m)
    for m in comp.current.measures:
        measured.setdefault(m.of if m.of in rows.cols else "from", []).append(m)
    for kind in comp.beside:
        p = kind.column_prefix
        for m in kind.measures:   # of its own column, or of the spell's start when that cell is empty
            for name in {f"{p}{m.of}" if f"{p}{m.of}" in rows.cols else f"{p}from", f"{p}from"}:
                measured.setdefault(name, []).append(m)
    banded = {f.id: comp.thresholds[f.id] for f in comp.citizen_int + comp.spell_int}
    parts = []
    for name, col in rows.cols.items():
        if conv.layout.types.get(name) == "date":
            ords = col.distinct
            valid = ords >= 0
            safe = np.maximum(ords, 0)
            profile = [valid.astype(np.int64)]
            for day in days:
                d = dates.ordinal(day)
                profile += [(ords <= d).astype(np.int64), (ords >= d).astype(np.int64)]
                profile += [np.where(valid, column_dates.bands(comp.thresholds[m.id], _measure(m, safe, day)), 0)
                            for m in measured.get(name, [])]
            if len(ords):
                klass, _ = factorize(signature(np.stack(profile), [1] * len(profile)))
            else:
                klass = np.zeros(0, dtype=np.int64)
            parts.append(np.append(klass, -1)[col.codes[idx]] + 1)
        elif name in banded:      # a number is read only through its band
            value = col.value[idx]
            parts.append(np.where(value >= 0, column_dates.bands(banded[name], np.maximum(value, 0)), value - 1)
                         * 2 + col.present[idx] + 10)
        else:
            parts.append((col.value[idx] - INVALID) * 2 + col.present[idx])
    if not parts:
        return np.zeros(len(idx), dtype=np.int64), np.zeros(min(len(idx), 1), dtype=np.int64)
    return factorize(signature(parts, [1] * len(parts)))


def take_rows(rows: Rows, idx: np.ndarray) -> Rows:
    """The rows ``idx`` of a chunk (the same distinct values)."""
    return Rows(len(idx), rows.ok[idx], {name: Column(c.value[idx], c.present[idx], c.codes[idx], c.distinct)
                                         for name, c in rows.cols.items()})


def beside_ends(rows: Rows, conv: Converter, day: date, idx: np.ndarray, value: str) -> tuple[np.ndarray, np.ndarray]:
    """For rows ``idx``: whether a beside spell of ``value`` covers ``day`` (the first kind that has one, in
    the vocabulary's order, as ``Citizen.beside_on``), and its last day's ordinal (-1: open-ended)."""
    comp = conv.comp
    d = dates.ordinal(day)
    found = np.zeros(len(idx), dtype=bool)
    end = np.full(len(idx), -1, dtype=np.int64)
    for kind in comp.beside:
        ids = list(comp.vocabulary.table(kind.values))
        if value not in ids:
            continue
        p = kind.column_prefix
        kc, ks, ke = rows.cols[kind.kind], rows.cols[f"{p}from"], rows.cols[f"{p}to"]
        start, stop, has_end = ks.value[idx], ke.value[idx], ke.present[idx]
        hit = ~found & kc.present[idx] & (kc.value[idx] == ids.index(value)) & (start >= 0) & (start <= d) & \
            (~has_end | (d <= np.where(has_end, stop, OPEN)))
        end[hit] = np.where(has_end[hit], stop[hit], -1)
        found |= hit
    return found, end


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
           "spell_date"]
