"""A few cells whose derivations answer many: cells grouped per unit of rules (cells of one group get the same
rules of the unit), and a small set of cells that meets every group asked for.

A unit's rules hold in a cell by what those rules read in it (and the target group, where one of them reads
it), so the rules of a field in a cell are the union of its units' parts, each taken from any derivation of
a cell of the same group: the batch's analysis (``caseload.evaluate``), for the proof and ``reform diff``.
"""
from __future__ import annotations

from datetime import date

import numpy as np

from reform_rules.law.conditions import DERIVED
from reform_rules.logic.situation_codes import Analysis, factorize, signature, unit_keys


def unit_groups(an: Analysis, units: list[str], u: np.ndarray, day_of: np.ndarray, days: list[date],
                tables: dict) -> dict[str, np.ndarray]:
    """Each unit's group of every cell (a column of situation codes ``u`` on ``days[day_of[i]]``), dense ids:
    cells of one group have the same rules of the unit that could apply on their dates (a spec: same rules,
    same reads) and the same values of what those rules read, and where one reads the target group, the same
    groups of the target group's units."""
    comp = an.comp
    cls_rows = [comp.index[comp.current.kind]] + [comp.index[f.id] for f in comp.spell_cat] + \
        [comp.index[f"beside:{k.kind}"] for k in comp.beside]
    cls_sig = signature(u[cls_rows], [comp.radix.get(comp.names[i], len(comp.progset_list)) for i in cls_rows])
    periods = np.array([an.period(day) for day in days], dtype=np.int64)
    cls_dense, cls_first = factorize(np.stack([periods[day_of], cls_sig]))   # a period's days: the same specs
    classes = [(days[int(day_of[i])], comp.cls(u[:, i])) for i in cls_first.tolist()]

    def specs(x: str) -> np.ndarray:
        return np.array([an.spec_id(x, day, cls) for day, cls in classes], dtype=np.int64)[cls_dense]
    spec_ids = {x: specs(x) for x in units}
    reads_group = np.array([s.reads_group for s in an.spec_list], dtype=bool)
    reads = {x: reads_group[spec_ids[x]] for x in units}   # never for a unit of the target group itself
    tg: np.ndarray | None = None
    if any(r.any() for r in reads.values()):
        tg_units = [x for x in an.units if an.unit_family[x] == DERIVED]
        tg = factorize(np.stack([unit_keys(an, specs(x), u, tables) for x in tg_units]))[0]
    out: dict[str, np.ndarray] = {}
    for x in units:
        key = unit_keys(an, spec_ids[x], u, tables)
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
