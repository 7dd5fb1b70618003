"""A few cells whose derivations answer many: cells grouped per unit of rules (cells of one group get the same
rules of the unit), and a small set of cells that meets every group asked for.

A unit's rules hold in a cell by what those rules read in it (and the target group, where one of them reads
it), so the rules of a field in a cell are the union of its units' parts, each taken from any derivation of
a cell of the same group: the batch's analysis (``caseload.evaluate``), for the proof and ``reform diff``.
"""
from __future__ import annotations

import numpy as np

from reform_rules.law.conditions import DERIVED
from reform_rules.logic.probe_grid import Cells
from reform_rules.logic.situation_codes import Analysis, factorize, signature, unit_keys


def unit_groups(an: Analysis, units: list[str], cells: Cells, codes: np.ndarray,
                tables: dict) -> dict[str, np.ndarray]:
    """Each unit's group of every cell of ``cells`` (``codes``: its grid's situation codes), dense ids: cells of
    one group have the same rules of the unit that could apply on their dates (a spec: same rules, same reads)
    and the same values of what those rules read, and where one reads the target group, the same groups of the
    target group's units."""
    comp = an.comp
    cls_rows = [comp.index[comp.current.kind]] + [comp.index[f.id] for f in comp.spell_cat] + \
        [comp.index[f"beside:{k.kind}"] for k in comp.beside]
    cls_sig = signature(codes[cls_rows], [comp.radix.get(comp.names[i], len(comp.progset_list)) for i in cls_rows])
    cls_of, cls_first = factorize(cls_sig)                     # each probe's class (the same on every date)
    classes = [comp.cls(codes[:, i]) for i in cls_first.tolist()]
    period_of, period_first = factorize(np.array([an.period(day) for day in cells.days], dtype=np.int64))
    period_days = [cells.days[i] for i in period_first.tolist()]   # a day of each period: the same specs
    cell_period = period_of[cells.day_of]
    by_probe = "date" not in comp.index                            # a probe's codes are the same on every date
    every: list[np.ndarray] = []
    tiles: dict[int, np.ndarray] = {}                              # the probes' codes once per era

    def keys(x: str) -> tuple[np.ndarray, np.ndarray]:
        """The unit's key and spec of each cell (keys comparable within one call only)."""
        table = np.array([[an.spec_id(x, day, c) for c in classes] for day in period_days], dtype=np.int64)
        eras, first = factorize(table.T)                       # periods in which the unit reads alike
        if by_probe and len(first) * codes.shape[1] < len(cells):
            # per (era, probe) and spread over the cells: a unit's rules change on few of the change dates
            # (the rule set doubled: its fields prepared in 3.2 s -> 2.2 s)
            specs = table[first][:, cls_of]
            tiled = tiles.get(len(first))
            if tiled is None:
                tiled = tiles[len(first)] = np.tile(codes, len(first))
            k = unit_keys(an, specs.ravel(), tiled, tables).reshape(specs.shape)
            at = (eras[cell_period], cells.probe_of)
            return k[at], specs[at]
        if not every:
            every.append(cells.codes(codes, comp))
        spec = table[cell_period, cls_of[cells.probe_of]]
        return unit_keys(an, spec, every[0], tables), spec

    found = {x: keys(x) for x in units}
    reads_group = np.array([s.reads_group for s in an.spec_list], dtype=bool)
    reads = {x: reads_group[spec] for x, (_, spec) in found.items()}   # never for a unit of the target group
    tg: np.ndarray | None = None
    if any(r.any() for r in reads.values()):
        tg_units = [x for x in an.units if an.unit_family[x] == DERIVED]
        tg = factorize(np.stack([keys(x)[0] for x in tg_units]))[0]
    out: dict[str, np.ndarray] = {}
    for x in units:
        key = found[x][0]
        if tg is not None and reads[x].any():
            out[x] = factorize(np.stack([key, np.where(reads[x], tg, -1)]))[0]
        else:
            out[x] = factorize(key)[0]
    return out


def cover(groups: list[np.ndarray], need: list[np.ndarray]) -> list[int]:
    """Cells that between them meet every group ``need[k]`` names of grouping ``groups[k]`` (dense ids per
    cell; ``need[k]``: a bool per group id), in the order chosen: greedily, each the cell whose distinct
    combination of groups meets the most groups still unmet (the reform's proof: 643 cells over its 7 fields,
    where one per combination of a field's groups and date took 1,424)."""
    if not groups or not len(groups[0]):
        return []
    stack = np.stack(groups)
    _, first = factorize(stack)
    combos = stack[:, first]                     # groupings × distinct combinations
    unmet = [n.copy() for n in need]
    score = np.zeros(combos.shape[1], dtype=np.int64)
    members: list[list[np.ndarray]] = []         # per grouping: the combinations of each group
    for k, row in enumerate(combos):
        score += unmet[k][row]
        order = np.argsort(row, kind="stable")
        members.append(np.split(order, np.cumsum(np.bincount(row, minlength=len(unmet[k])))[:-1]))
    picks: list[int] = []
    while True:
        best = int(np.argmax(score))
        if score[best] <= 0:
            return picks
        picks.append(int(first[best]))
        for k, row in enumerate(combos):
            g = row[best]
            if unmet[k][g]:
                unmet[k][g] = False
                score[members[k][g]] -= 1
