"""A situation space as columns: ``situations.probes``, ``possible_on`` and ``Components.situation_codes`` for
every probe at once.

Probe i is a number: its values are the digits of i over the axes of its spell value's product (the last axis
varies fastest, as ``itertools.product``), so a code or a date check is worked out once per value of an axis
and spread over the probes with numpy, and a ``Probe`` is only made for the few that are derived or described
(the reform's proof: 184,003 cells, ~10 s of per-cell Python before).
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from math import prod
from typing import Any, Iterator

import numpy as np

from reform_rules.basics import dates
from reform_rules.law.citizen import Situation
from reform_rules.law.model import RuleSet
from reform_rules.logic.situation_codes import Components
from reform_rules.logic.situations import Bands, Probe, probe_axes


@dataclass(frozen=True)
class _Segment:
    """The probes of one value of the current spell kind: a product of axes."""
    value: str
    cat: tuple[str, ...]          # the categorical axes' names
    nums: tuple[str, ...]         # the numeric axes' names
    lists: tuple[list[Any], ...]  # each axis' values: categorical, numeric, then the beside spells (None: none)
    start: int                    # the number of its first probe
    size: int

    def spread(self, axis: int, table: Any) -> np.ndarray:
        """``table`` (one entry per value of ``axis``, along its first dimension) for each probe."""
        table = np.asarray(table)
        inner = prod(len(values) for values in self.lists[axis + 1:])
        outer = self.size // (inner * len(self.lists[axis]))
        return np.tile(np.repeat(table, inner, axis=0), (outer,) + (1,) * (table.ndim - 1))

    def digit(self, axis: int) -> np.ndarray:
        """Each probe's index into the values of ``axis``."""
        return self.spread(axis, np.arange(len(self.lists[axis])))

    def named(self) -> tuple[dict[str, int], dict[str, int]]:
        """Categorical and numeric axis name → axis (the last of a name, as ``dict(probe.facts)`` keeps it)."""
        return {name: a for a, name in enumerate(self.cat)}, \
            {name: len(self.cat) + j for j, name in enumerate(self.nums)}


class ProbeGrid:
    """Every probe of ``probes(ruleset, bands, keys)``, numbered in the order it yields them."""

    def __init__(self, ruleset: RuleSet, bands: Bands, keys: set[str]):
        self.bands = bands
        self.kind = ruleset.vocabulary.current.kind
        self.segments: list[_Segment] = []
        start = 0
        for value, axes, nums, progs in probe_axes(ruleset, bands, keys):
            lists = tuple([values for _, values in axes] + [values for _, values in nums] + [progs])
            size = prod(len(values) for values in lists)
            if size:
                self.segments.append(_Segment(value, tuple(k for k, _ in axes), tuple(k for k, _ in nums), lists,
                                              start, size))
            start += size
        self.size = start
        self._starts = [s.start for s in self.segments]

    def probe(self, i: int) -> Probe:
        """Probe number ``i``."""
        seg = self.segments[bisect_right(self._starts, i) - 1]
        rest, combo = i - seg.start, []
        for values in reversed(seg.lists):
            rest, d = divmod(rest, len(values))
            combo.append(values[d])
        combo.reverse()
        n = len(seg.cat)
        return Probe(benefit=seg.value, facts=tuple(zip(seg.cat, combo[:n], strict=True)),
                     numbers=tuple((k, v) for k, v in zip(seg.nums, combo[n:-1], strict=True) if v is not None),
                     programme=combo[-1], kind=self.kind)

    def codes(self, comp: Components) -> np.ndarray:
        """Each probe's situation codes (components × probes), as ``comp.situation_codes`` gives them on any
        date (a component named ``date`` excepted: ``cell_codes``)."""
        out = np.zeros((len(comp.names), self.size), dtype=np.int64)
        for seg in self.segments:
            part = out[:, seg.start:seg.start + seg.size]
            cat, num = seg.named()
            part[comp.index[comp.current.kind]] = comp.value_code[seg.value]
            for f in comp.citizen_cat + comp.spell_cat:
                if f.id in cat:
                    values = seg.lists[cat[f.id]]
                    part[comp.index[f.id]] = seg.spread(cat[f.id], [comp.cat_code(f, v) for v in values])
            for key in comp.numeric:
                if key in num:
                    ks = comp.thresholds[key]
                    values = seg.lists[num[key]]
                    part[comp.index[key]] = seg.spread(num[key], [0 if v is None else comp.band(ks, v) for v in values])
            for kind in comp.beside:
                ms = [m.id for m in kind.measures]
                table = [comp.progset([(p[0], *_bands(comp, ms, p[1:]))] if p else []) for p in seg.lists[-1]]
                part[comp.index[f"beside:{kind.kind}"]] = seg.spread(len(seg.lists) - 1, table)
        return out

    def cell_codes(self, codes: np.ndarray, comp: Components, probe_of: np.ndarray, day_of: np.ndarray,
                   days: list[date]) -> np.ndarray:
        """The situation codes of cells (probe ``probe_of[i]`` on ``days[day_of[i]]``), ``codes`` the probes'."""
        out = codes[:, probe_of]
        if "date" in comp.index:   # the situation's date is a number of its own
            bands = [comp.band(comp.thresholds["date"], dates.ordinal(d)) for d in days]
            out[comp.index["date"]] = np.asarray(bands, dtype=np.int64)[day_of]
        return out

    def possible(self, days: list[date]) -> np.ndarray:
        """Whether each probe is possible on each of ``days`` (probes × days): ``possible_on``."""
        today = np.array([dates.ordinal(d) for d in days], dtype=np.int64)
        ok = np.ones((self.size, len(days)), dtype=bool)
        for seg in self.segments:
            part = ok[seg.start:seg.start + seg.size]
            for table in self._impossible(seg, today):
                part &= table
        return ok

    def _impossible(self, seg: _Segment, today: np.ndarray) -> Iterator[np.ndarray]:
        """The segment's probes × days checks that are not all true: a spell not started after the date, nor
        N months old too early (the lowest band reaches back without limit)."""
        bands = self.bands
        if bands.beside[1]:
            table = np.ones((len(seg.lists[-1]), len(today)), dtype=bool)
            for j, p in enumerate(seg.lists[-1]):
                for m, n in zip(bands.beside[1], (p or ())[1:], strict=False):
                    if m in bands.date_keys and n != bands.values(m)[0]:
                        table[j] &= n <= today
            if not table.all():
                yield seg.spread(len(seg.lists) - 1, table)
        axis = seg.named()[1]
        for key, a in axis.items():
            if key not in bands.date_keys:
                continue
            lowest = bands.values(key)[0]
            starts = [None if s == lowest else s for s in seg.lists[a]]
            table = np.array([np.ones(len(today), dtype=bool) if s is None else s <= today for s in starts])
            if not table.all():
                yield seg.spread(a, table)
            for other, b in axis.items():   # months since the same spell's start must fit before the date
                if other in bands.date_keys or other == key or key not in bands.same_start.get(other, ()):
                    continue
                fits = np.ones((len(starts), len(seg.lists[b]), len(today)), dtype=bool)
                for i, s in enumerate(starts):
                    for j, months in enumerate(seg.lists[b]):
                        if s is not None and months is not None and months >= 0:
                            fits[i, j] = dates.ordinal(dates.add_months(dates.from_ordinal(s), months)) <= today
                if not fits.all():
                    yield fits[seg.digit(a), seg.digit(b)]

    def identity(self, ids: dict[str, dict[Any, int]]) -> dict[str, np.ndarray]:
        """Each probe as numbers, a row per name (``ids``: value → number, per name, shared by the grids whose
        probes are compared): equal rows of every name, equal probes (a name a grid lacks is all 0)."""
        out: dict[str, np.ndarray] = {}

        def row(name: str, seg: _Segment, a: int, absent: bool) -> None:
            known = ids.setdefault(name, {})
            table = [0 if absent and v is None else known.setdefault(v, len(known) + 1) for v in seg.lists[a]]
            out.setdefault(name, np.zeros(self.size, dtype=np.int64))[seg.start:seg.start + seg.size] = \
                seg.spread(a, np.asarray(table, dtype=np.int64))
        for seg in self.segments:
            values = ids.setdefault("", {})
            out.setdefault("", np.zeros(self.size, dtype=np.int64))[seg.start:seg.start + seg.size] = \
                values.setdefault(seg.value, len(values) + 1)
            for a, name in enumerate(seg.cat):
                row(f"fact:{a}:{name}", seg, a, absent=False)   # every probe has every categorical axis, in order
            for j, name in enumerate(seg.nums):
                row(f"number:{name}", seg, len(seg.cat) + j, absent=True)   # a number is left out when unknown
            row("programme", seg, len(seg.lists) - 1, absent=True)
        return out


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

    def situation(self, i: int) -> Situation:
        return self.probe(i).situation(self.day(i))

    def codes(self, codes: np.ndarray, comp: Components, rows: np.ndarray | None = None) -> np.ndarray:
        """The situation codes of the cells ``rows`` (all by default), ``codes`` the grid's (``ProbeGrid.codes``)."""
        at = slice(None) if rows is None else rows
        return self.grid.cell_codes(codes, comp, self.probe_of[at], self.day_of[at], self.days)


def _bands(comp: Components, measures: list[str], values: tuple) -> tuple[int, ...]:
    """The band codes of a beside spell's measures (as ``situation_codes``)."""
    return tuple(comp.band(comp.thresholds[m], n) for m, n in zip(measures, values, strict=False))
