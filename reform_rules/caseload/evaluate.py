"""The evaluation of a chunk: situation codes → distinct signatures → each unit's part of the answer (derived
once per stable key) → answer templates, for one date or for many dates at once (``Evaluation``, the part of
``Batch`` that answers)."""
from __future__ import annotations

import time
from datetime import date
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from reform_rules.answer.rulebase import RuleBase
from reform_rules.caseload.speed import start_helpers
from reform_rules.law.citizen import Citizen
from reform_rules.law.conditions import DERIVED
from reform_rules.logic.compiler import situation_facts
from reform_rules.logic.parallel import DERIVE_BATCH, Derivations, derive_parallel
from reform_rules.logic.situation_codes import Analysis, Components, factorize, read_parts, signature

# from so many days on, the helpers derive what the days so far miss while the main process computes the next
# days (when they are done with the previous ones)
EARLY = 2


class Evaluation:
    """Codes → templates. The caches are the batch's (set in ``Batch.__init__``)."""

    base: RuleBase
    comp: Components
    an: Analysis
    workers: int
    pool: Any
    stats: dict
    _facts: dict[tuple, tuple]          # canonical facts → derivation
    _parts: dict[tuple, tuple]          # a unit group's stable key → (holding, setaside) of the unit
    _group_ids: dict[tuple, int]        # a unit group's stable key → its number (for the combination keys)
    _combos: dict[tuple, int]           # (day, unit group numbers…) → template
    _signatures: dict[date, set]
    _tables: dict
    _pending: tuple | None = None       # derivations under way in the helpers: (facts, wait for them, keep them)

    def _template(self, day: date, holding: tuple, setaside: tuple, row: int, citizen_at) -> int:
        raise NotImplementedError

    def evaluate(self, codes: np.ndarray, day: date, citizen_at: Callable[[int], Citizen]) -> np.ndarray:
        """The template of every row (codes: components × rows) on ``day``."""
        return self.evaluate_days([codes], [day], citizen_at)[0]

    def evaluate_days(self, codes: Iterable[np.ndarray], days: Sequence[date],
                      citizen_at: Callable[[int], Citizen]) -> list[np.ndarray]:
        """The template of every row on each of ``days`` (``codes``: components × rows on each day in turn,
        the same rows every day; a day's array is not kept, so the next may reuse it)."""
        comp = self.comp
        dense: list[np.ndarray] = []
        distinct: list[np.ndarray] = []      # per day: one column per distinct signature
        firsts: list[np.ndarray] = []
        t = 0.0
        early = 0      # the first day not yet looked at for early derivations
        for day, c in zip(days, codes, strict=True):
            t0 = time.perf_counter()
            if c.shape[1] == 0:
                d, f = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            else:
                d, f = factorize(signature(c, [comp.radix.get(k, len(comp.progset_list)) for k in comp.names]))
            dense.append(d)
            firsts.append(f)
            distinct.append(c[:, f])
            self._count_signatures(day, distinct[-1])
            if EARLY <= len(distinct) < len(days) and self._helpers() and \
                    (self._pending is None or self._pending[1].ready()):
                self._derive_early(distinct[early:], firsts[early:], early, days, citizen_at)
                early = len(distinct)
            t += time.perf_counter() - t0
        t0 = time.perf_counter()
        sizes = [len(f) for f in firsts]
        tids = np.zeros(0, dtype=np.int64)
        if sum(sizes):
            day_of = np.repeat(np.arange(len(days), dtype=np.int64), sizes)
            tids = self._templates_of(np.concatenate(distinct, axis=1), np.concatenate(firsts), day_of, days,
                                      citizen_at)
        ends = np.cumsum([0] + sizes)
        self.stats["evaluation"] += t + time.perf_counter() - t0
        return [tids[ends[k]:ends[k + 1]][dense[k]] for k in range(len(days))]

    def _count_signatures(self, day: date, u: np.ndarray) -> None:
        """The distinct signatures over the whole run, per date (a statistic)."""
        seen = self._signatures.setdefault(day, set())
        if u.shape[1]:
            seen.update(np.ascontiguousarray(u.T).view(np.dtype((np.void, 8 * u.shape[0]))).ravel().tolist())
        self.stats["signatures"] = sum(len(v) for v in self._signatures.values())

    def _helpers(self) -> bool:
        """Whether there are helper processes to derive in (started at the first question)."""
        if self.pool is None and self.workers > 1:
            self.pool = start_helpers(self.base, self.workers)
        return bool(self.pool)

    def _derive_early(self, distinct: list[np.ndarray], firsts: list[np.ndarray], lo: int, days: Sequence[date],
                      citizen_at: Callable[[int], Citizen]) -> None:
        """Start deriving in the helpers what the days from ``days[lo]`` on miss (``distinct``: theirs)."""
        day_of = np.repeat(np.arange(lo, lo + len(distinct), dtype=np.int64), [len(f) for f in firsts])
        u, rows = np.concatenate(distinct, axis=1), np.concatenate(firsts)
        if u.shape[1]:
            group, group_keys = self._groups_of(u, day_of, days)
            self._derive_missing(u, rows, day_of, days, group, group_keys, citizen_at, early=True)

    def _templates_of(self, u: np.ndarray, rows: np.ndarray, day_of: np.ndarray, days: Sequence[date],
                      citizen_at: Callable[[int], Citizen]) -> np.ndarray:
        """The template of every distinct signature (a column of ``u``, of row ``rows[i]`` on ``days[day_of[i]]``)."""
        group, group_keys = self._groups_of(u, day_of, days)
        self._derive_missing(u, rows, day_of, days, group, group_keys, citizen_at)
        return self._signature_templates(rows, day_of, days, group, group_keys, citizen_at)

    def _groups_of(self, u: np.ndarray, day_of: np.ndarray,
                   days: Sequence[date]) -> tuple[dict[str, np.ndarray], dict[str, list[tuple]]]:
        """Each unit's group of every signature, and each group's stable key (``_unit_groups``)."""
        an, comp = self.an, self.comp
        # the class of each signature (what decides which rules could apply) on its day → a spec per unit
        cls_rows = [comp.index[comp.current.kind]] + [comp.index[f.id] for f in comp.spell_cat] + \
            [comp.index[f"beside:{k.kind}"] for k in comp.beside]
        cls_sig = signature(u[cls_rows], [comp.radix.get(comp.names[i], len(comp.progset_list)) for i in cls_rows])
        periods = np.array([an.period(day) for day in days], dtype=np.int64)
        cls_dense, cls_first = factorize(np.stack([periods[day_of], cls_sig]))   # a period's days: the same specs
        classes = [(days[int(day_of[i])], comp.cls(u[:, i])) for i in cls_first.tolist()]
        spec_ids = {unit: np.array([an.spec_id(unit, day, cls) for day, cls in classes], dtype=np.int64)[cls_dense]
                    for unit in an.units}
        reads_group = np.array([s.reads_group for s in an.spec_list], dtype=bool)
        raw: dict[str, np.ndarray] = {}      # unit → its key of each signature (comparable within this call only)
        made_of: dict[str, tuple] = {}       # unit → its ``read_parts``: the rows read, and where they are
        reads: dict[str, np.ndarray] = {}
        for unit in an.units:
            parts, radices, where = read_parts(an, spec_ids[unit], u, self._tables)
            made_of[unit] = (parts, where)
            raw[unit] = signature(parts, radices)
            reads[unit] = reads_group[spec_ids[unit]]
        return self._unit_groups(raw, made_of, reads)

    def _unit_groups(self, raw: dict[str, np.ndarray], made_of: dict[str, tuple],
                     reads: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, list[tuple]]]:
        """Each unit's group of every signature, and each group's stable key (a unit that reads the derived
        target group is grouped by it too)."""
        an = self.an
        width = len(self.comp.names) + 1

        def stable(unit: str, i: int) -> tuple:   # the caches outlive the chunk: their keys must mean the same
            parts, where = made_of[unit]          # every component, the rows not read as 0
            key = [0] * width
            for r, row in zip(where, parts, strict=True):
                key[r] = int(row[i])
            return tuple(key)
        # the derived target group: all target-group units together
        tg_units = [x for x in an.units if an.unit_family[x] == DERIVED]
        tg_dense: np.ndarray | None = None
        tg_keys: list[tuple] = []
        if tg_units:
            tg_dense, tg_first = factorize(np.stack([raw[x] for x in tg_units]))
            tg_keys = [tuple(stable(x, i) for x in tg_units) for i in tg_first.tolist()]
        group: dict[str, np.ndarray] = {}          # unit → group id of each signature
        group_keys: dict[str, list[tuple]] = {}    # unit → stable key of each group
        for unit in an.units:
            r = raw[unit]
            if tg_dense is not None and unit not in tg_units and reads[unit].any():
                t = np.where(reads[unit], tg_dense, -1)
                gd, gf = factorize(np.stack([r, t]))
                group_keys[unit] = [(unit, stable(unit, i), tg_keys[t[i]] if t[i] >= 0 else None)
                                    for i in gf.tolist()]
            else:
                gd, gf = factorize(r)
                group_keys[unit] = [(unit, stable(unit, i), None) for i in gf.tolist()]
            group[unit] = gd
        return group, group_keys

    def _derive_missing(self, u: np.ndarray, rows: np.ndarray, day_of: np.ndarray, days: Sequence[date],
                        group: dict[str, np.ndarray], group_keys: dict[str, list[tuple]],
                        citizen_at: Callable[[int], Citizen], early: bool = False) -> None:
        """Derive a few representatives: every unit group not yet known is covered by one of them, and its
        part of the derivation is kept (``self._parts``); ``early``: in the helpers, kept when next asked."""
        an = self.an
        self._collect()
        chosen = np.zeros(u.shape[1], dtype=bool)
        missing = {x: [g for g, k in enumerate(group_keys[x]) if k not in self._parts] for x in an.units}
        for unit in sorted(an.units, key=lambda x: -len(missing[x])):
            if not missing[unit]:
                continue
            covered = set(np.unique(group[unit][chosen]).tolist())
            for g in missing[unit]:
                if g not in covered:
                    chosen[int(np.argmax(group[unit] == g))] = True
        picks = np.flatnonzero(chosen)
        if not len(picks):
            return
        facts = self._facts_of([int(rows[i]) for i in picks], [days[int(day_of[i])] for i in picks],
                               u[:, picks], citizen_at)

        def keep() -> None:
            self._keep_parts(picks, [self._facts[f] for f in facts], group, group_keys, missing)
        todo = [f for f in dict.fromkeys(facts) if f not in self._facts]
        if early and len(todo) >= 16:
            self._pending = (todo, Derivations(self.pool, todo), keep)
            return
        self._derive_todo(todo)
        keep()

    def _collect(self) -> None:
        """Keep what the helpers derived early."""
        if self._pending is None:
            return
        todo, pending, keep = self._pending
        self._pending = None
        t = time.perf_counter()
        derived = pending.get()
        self.stats["datalog_s"] = self.stats.get("datalog_s", 0.0) + time.perf_counter() - t
        self._store(todo, derived)
        keep()

    def _keep_parts(self, picks: np.ndarray, derivations: list[tuple], group: dict[str, np.ndarray],
                    group_keys: dict[str, list[tuple]], missing: dict[str, list[int]]) -> None:
        """Each missing unit group's part of the derivation of the representative that covers it."""
        an = self.an
        for unit in an.units:
            todo = set(missing[unit])
            for i, (holding, setaside) in zip(picks.tolist(), derivations, strict=True):
                g = int(group[unit][i])
                if g in todo:
                    todo.discard(g)
                    self._parts[group_keys[unit][g]] = (
                        tuple(r for r in holding if an.unit_of[r] == unit),
                        tuple(p for p in setaside if an.unit_of[p[0]] == unit))

    def _signature_templates(self, rows: np.ndarray, day_of: np.ndarray, days: Sequence[date],
                             group: dict[str, np.ndarray], group_keys: dict[str, list[tuple]],
                             citizen_at: Callable[[int], Citizen]) -> np.ndarray:
        """The answer template of every signature: the union of its units' parts on its day."""
        an = self.an
        ids = self._group_ids
        numbers = np.stack([day_of] + [np.array([ids.setdefault(k, len(ids)) for k in group_keys[x]],
                                                dtype=np.int64)[group[x]] for x in an.units])
        cd, cf = factorize(numbers)
        part_of = {ids[k]: self._parts[k] for x in an.units for k in group_keys[x]}
        tids = []
        for i, combo in zip(cf.tolist(), numbers[:, cf].T.tolist(), strict=True):
            day = days[combo[0]]
            ck = (day, *combo[1:])   # a template is of its day
            tid = self._combos.get(ck)
            if tid is None:
                parts = [part_of[n] for n in combo[1:]]
                holding = tuple(sorted(r for h, _ in parts for r in h))
                setaside = tuple(sorted(p for _, s in parts for p in s))
                tid = self._combos[ck] = self._template(day, holding, setaside, int(rows[i]), citizen_at)
            tids.append(tid)
        return np.asarray(tids, dtype=np.int64)[cd]

    def _facts_of(self, rows: list[int], days: list[date], codes: np.ndarray, citizen_at) -> list[tuple]:
        """The canonical facts of each representative row on its day (its codes checked against them)."""
        facts_list = []
        for j, (row, day) in enumerate(zip(rows, days, strict=True)):
            citizen = citizen_at(row)
            sit = self.base.situation(citizen, day)
            got, _ = self.comp.situation_codes(sit)
            expected = tuple(int(x) for x in codes[:, j])
            if expected != got:
                raise RuntimeError(f"batch: internal error: the codes of a row on {day} differ from its situation "
                                   f"({expected} != {got}); please report it")
            self.stats["self_checked"] += 1
            facts_list.append(situation_facts(sit, self.base.program))
        return facts_list

    def _derive_todo(self, todo: list[tuple]) -> None:
        """The engine's derivations of ``todo`` (canonical facts), kept."""
        if todo:
            t = time.perf_counter()
            derived = self._derive_many(todo)
            self.stats["datalog_s"] = self.stats.get("datalog_s", 0.0) + time.perf_counter() - t
            self._store(todo, derived)

    def _store(self, todo: list[tuple], derived: list[tuple]) -> None:
        for f, d in zip(todo, derived, strict=True):
            self._facts[f] = d
        self.stats["derived"] += len(todo)

    def _derive_many(self, todo: list[tuple]) -> list[tuple]:
        kb = self.base.kb
        if len(todo) >= 16 and self._helpers():
            return derive_parallel(self.pool, todo)
        out: list[tuple] = []
        for i in range(0, len(todo), DERIVE_BATCH):
            out += kb.derive_many(todo[i:i + DERIVE_BATCH])
        return out
