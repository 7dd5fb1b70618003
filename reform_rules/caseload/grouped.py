"""The batch core over many dates when only the *answers* count, not each row's rendered output.

``Batch.run_table`` computes every row's situation codes on every date: right for ``reform batch``,
which writes a row per citizen and date, but 36 passes over a million rows for a count per month.
Here a chunk's valid rows are first grouped by everything their codes can depend on over *all* the
dates (``columns.day_groups``: the converted cells, and each date cell's profile over the dates), and
the codes are computed and evaluated for one row per group; each group carries its number of rows.
Rows on the slow path (``parse_citizen``) are groups of their own. The answers are the batch's own
(``Batch.evaluate``, with its self-check of every derived representative), so they are exact.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import numpy as np
import pyarrow as pa

from reform_rules.basics import dates
from reform_rules.basics.errors import CitizenError
from reform_rules.caseload.batch import Batch
from reform_rules.caseload.columns import beside_ends, convert, day_codes, day_groups, take_rows
from reform_rules.caseload.layout import id_text, parse_row
from reform_rules.caseload.speed import in_threads
from reform_rules.law.citizen import Citizen


@dataclass
class Groups:
    """One chunk's answers by group: per date, the template of each group; each group's number of rows."""
    weights: np.ndarray                                  # rows per group
    per_day: list[np.ndarray]                            # per date of the batch: template per group
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    rows_in: int = 0
    ends: Callable[[np.ndarray, date, str], Counter] | None = None   # see ``programme_ends``

    @property
    def citizens(self) -> int:
        return int(self.weights.sum())

    def programme_ends(self, groups: np.ndarray, day: date, value: str) -> Counter:
        """For the citizens of ``groups``: the last day of their beside spell of ``value`` covering ``day``
        (None: open-ended, or no such spell) → how many."""
        return self.ends(groups, day, value) if self.ends and len(groups) else Counter()


def run_table_grouped(batch: Batch, table: pa.Table, first_row: int = 1,
                      tick: Callable[[int], None] | None = None) -> Groups:
    """The answers of a chunk of flat CSV rows on every date of ``batch``, by group of equal situations
    (``tick(rows)`` after each date, for a progress bar)."""
    number = lambda i: first_row + i   # noqa: E731 - the row's number in the file
    c = convert(table, batch.conv, in_threads)
    slow = np.flatnonzero(~c.ok)
    citizens: dict[int, Citizen] = {}
    errors: list[tuple[int, str, str]] = []
    if len(slow):
        for i, row in zip(slow.tolist(), table.take(pa.array(slow)).to_pylist(), strict=True):
            try:
                citizens[i] = parse_row(row, batch.vocabulary, f"row {number(i)}", batch.layout)
            except CitizenError as exc:
                errors.append((number(i), id_text(row.get("id")), " | ".join(exc.messages)))
    batch.stats["slow_rows"] += len(slow)
    fast = np.flatnonzero(c.ok)
    dense, first = day_groups(c, batch.conv, batch.days, fast)
    reps = fast[first]                                    # one row per group
    slow_ok = sorted(citizens)
    weights = np.concatenate([np.bincount(dense, minlength=len(reps)), np.ones(len(slow_ok), dtype=np.int64)])
    few = take_rows(c, reps)

    def citizen_at(j: int) -> Citizen:
        i = int(reps[j]) if j < len(reps) else slow_ok[j - len(reps)]
        if i not in citizens:
            citizens[i] = parse_row(table.slice(i, 1).to_pylist()[0], batch.vocabulary, f"row {number(i)}",
                                    batch.layout)
        return citizens[i]

    reused = np.zeros((len(batch.comp.names), len(reps)), dtype=np.int64)   # a day's codes are copied by evaluate

    def codes_on(day: date) -> np.ndarray:
        codes, _ = day_codes(few, batch.conv, batch.an, day, out=reused)
        if slow_ok:
            more = np.array([batch.comp.situation_codes(batch.base.situation(citizens[i], day))[0] for i in slow_ok],
                            dtype=np.int64).T
            codes = np.concatenate([codes, more], axis=1)
        if tick:
            tick(table.num_rows)
        return codes

    per_day = batch.evaluate_days((codes_on(day) for day in batch.days), batch.days, citizen_at)

    def ends(groups: np.ndarray, day: date, value: str) -> Counter:
        out: Counter = Counter()
        fast_groups = groups[groups < len(reps)]
        if len(fast_groups):
            rows = fast[np.isin(dense, fast_groups)]
            found, end = beside_ends(c, batch.conv, day, rows, value)
            for e, k in zip(*np.unique(np.where(found, end, -1), return_counts=True), strict=True):
                out[dates.from_ordinal(int(e)) if e >= 0 else None] += int(k)
        for g in groups[groups >= len(reps)].tolist():
            out[_end(citizens[slow_ok[g - len(reps)]], day, value)] += 1
        return out

    return Groups(weights, per_day, errors, table.num_rows, ends)


def run_citizens_grouped(batch: Batch, items: list[tuple[int, Citizen | None, str | None, str]],
                         rows_in: int, tick: Callable[[int], None] | None = None) -> Groups:
    """The answers of parsed citizens (JSON Lines) on every date of ``batch``: a group per citizen."""
    result = batch.run_citizens(items, rows_in)
    if tick:
        tick(rows_in * len(batch.days))
    good = [c for _, c, _, _ in items if c is not None]

    def ends(groups: np.ndarray, day: date, value: str) -> Counter:
        out: Counter = Counter()
        for g in groups.tolist():
            out[_end(good[g], day, value)] += 1
        return out

    return Groups(np.ones(len(good), dtype=np.int64), [t for t, _ in result.per_day], result.errors, rows_in, ends)


def _end(citizen: Citizen, day: date, value: str) -> date | None:
    spells = [p.end for p in citizen.beside_on(day) if p.id == value]
    return spells[0] if spells else None
