"""The batch core: columns → situations → derivations → answers, for one chunk of rows (``Batch``), and
the answers of a chunk rendered as CSV, JSON or columns (``ChunkResult``). How and why it is fast and
exact: ``reform_rules/caseload/batch.py``'s docstring and the analyst guide."""
from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from datetime import date
from types import SimpleNamespace
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reform_rules.answer.rulebase import RuleBase, build_answer, obligation_due
from reform_rules.basics import dates
from reform_rules.basics.errors import CitizenError
from reform_rules.caseload.columns import Converter, convert, day_codes
from reform_rules.caseload.evaluate import Evaluation
from reform_rules.caseload.formats import Labeller, labelled
from reform_rules.caseload.layout import Layout, formula_safe, id_text, output_fields, parse_row
from reform_rules.caseload.speed import in_threads
from reform_rules.caseload.writing import formula_safe_ids
from reform_rules.law.citizen import Citizen, Spell
from reform_rules.logic.situation_codes import Analysis, Components, factorize

FACTS_KEPT = 300_000   # derivations a rule base keeps for its batches; past it, they start anew


def derivations_kept_on(base: RuleBase) -> dict[tuple, tuple]:
    """The derivations of canonical facts that every batch of ``base`` shares (the facts mean the same in any
    batch, unlike the batch's own numbered codes), so a second batch on the same rules derives only what is
    new. Kept on the rule base, not in a global: it goes with the base."""
    kept: dict[tuple, tuple] = vars(base).setdefault("batch_derivations", {})
    if len(kept) > FACTS_KEPT:
        kept.clear()
    return kept


class Batch(Evaluation):
    """The batch core for one rule base, a list of dates and an output form; caches live here."""

    def __init__(self, base: RuleBase, days: Sequence[date], lang: str = "da", explain: bool = False,
                 want_json: bool = False, want_csv: bool = True, workers: int | None = None,
                 labels: str | None = None):
        self.base, self.days, self.lang = base, list(days), lang
        self.explain, self.want_json, self.want_csv = explain, want_json, want_csv
        self.vocabulary = base.ruleset.vocabulary
        self.layout = Layout(self.vocabulary)
        self.shape = base.ruleset.answer
        self.output_fields = labelled(output_fields(self.shape), self.shape, labels)
        self.labeller = Labeller(base.ruleset, labels) if labels else None   # ``<field>_label`` cells
        self.ob_field = next(iter(self.shape.of_kind("obligation")), None)
        self.comp = Components(self.vocabulary, base.program)
        self.an = Analysis(base.ruleset, self.comp)
        self.conv = Converter(self.comp, self.layout)
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self._facts = derivations_kept_on(base)          # canonical facts → derivation (every batch of the base)
        # (unit, key) → (holding, setaside) of the unit. No date in the key: a key names the spec (the rules that
        # could apply, and what they read), so the same key on two dates is the same derivation (as in the proof)
        self._parts: dict[tuple, tuple] = {}
        self._group_ids: dict[tuple, int] = {}          # (unit, key) → its number
        self._combos: dict[tuple, int] = {}             # (day, unit group numbers…) → template
        self.templates: list[dict] = []                 # template id → answer and cells (impact, formats read it)
        self._template_ids: dict[tuple, int] = {}
        self._rendered: dict[tuple, dict] = {}
        self._obligations: dict[tuple, Any] = {}
        self._tables: dict[tuple, np.ndarray] = {}
        self.pool = None
        self._signatures: dict[date, set] = {}
        self.stats = {"signatures": 0, "derived": 0, "templates": 0, "slow_rows": 0, "evaluation": 0.0,
                      "self_checked": 0}

    def _template(self, day: date, holding: tuple, setaside: tuple, row: int, citizen_at) -> int:
        key = (day, holding, setaside)
        tid = self._template_ids.get(key)
        if tid is not None:
            return tid
        citizen = citizen_at(row)
        sit = self.base.situation(citizen, day)
        # a template's explanation is never shown (``render`` builds the answer anew to explain)
        answer = build_answer(self.base.ruleset, citizen, sit, holding, setaside, self.lang, explain=False)
        ruleset = self.base.ruleset
        obligations = [(ruleset.rule(o.requirement), ruleset.rule(o.rule) if o.waived else None)
                       for o in (answer.values.get(self.ob_field.id, []) if self.ob_field else [])]
        dated = any(any(r.then_value.get(k) for k in ("within_months", "every_months", "first_within_weeks"))
                    for r, _ in obligations)
        cells = {"date": day.isoformat(), "status": answer.status,
                 "open_questions": ";".join(q["rule"] for q in answer.open_questions), **_cells(self.shape, answer)}
        if self.labeller:
            cells.update(self.labeller.cells(cells))
        fields = self.output_fields
        i = fields.index(self.ob_field.id) if self.ob_field else len(fields)
        head = "," + ",".join(_csv_cell(cells[k]) for k in fields[1:i]) + ","
        rest = "".join("," + _csv_cell(cells[k]) for k in fields[i + 1:]) + "\n"
        tid = len(self.templates)
        self.templates.append({"head": head, "rest": rest, "answer": answer, "sit": sit, "citizen": citizen,
                                "holding": holding, "setaside": setaside, "obligations": obligations, "dated": dated,
                                "cells": cells, "day": day})
        self._template_ids[key] = tid
        self.stats["templates"] += 1
        return tid

    # -- rendering ------------------------------------------------------------------------------------------------
    def render(self, tid: int, start: int) -> dict[str, Any]:
        """The rendered row (CSV cells, CSV line tail, JSON tail) for a template and a spell start."""
        key = (tid, start)
        hit = self._rendered.get(key)
        if hit is not None:
            return hit
        t = self.templates[tid]
        day = t["day"]
        spell = SimpleNamespace(start=dates.from_ordinal(start)) if start >= 0 else None
        sit = SimpleNamespace(day=day, spell=spell)
        obligations = [self._obligation(rule, sit, waived_by) for rule, waived_by in t["obligations"]]
        out: dict[str, Any] = {"obligations": ";".join(_obligation_cell(o) for o in obligations)}
        if self.want_csv:
            out["tail"] = t["head"] + _csv_cell(out["obligations"]) + t["rest"]
        if self.want_json:
            if self.explain:
                real = t["sit"]
                if spell is None:
                    real = replace(real, spell=None)
                elif real.spell is not None:
                    real = replace(real, spell=replace(real.spell, start=spell.start))
                else:
                    real = replace(real, spell=_spell_at(spell.start, self.vocabulary.current.kind))
                answer = build_answer(self.base.ruleset, t["citizen"], real, t["holding"], t["setaside"], self.lang)
            else:
                values = dict(t["answer"].values)
                if self.ob_field:
                    values[self.ob_field.id] = obligations
                answer = replace(t["answer"], values=values, explanation=[])
            data = answer.to_json()
            del data["citizen"]
            if not self.explain:
                del data["explanation"]
            out["json"] = json.dumps(data, ensure_ascii=False)[1:]
        self._rendered[key] = out
        return out

    def _obligation(self, rule, sit, waived_by):
        key = (rule.id, waived_by.id if waived_by else None, sit.spell.start if sit.spell else None, sit.day)
        hit = self._obligations.get(key)
        if hit is None:
            hit = self._obligations[key] = obligation_due(rule, sit, waived_by)
        return hit

    def pairs(self, templates: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, list[dict]]:
        """Rows grouped by (template, spell start where due dates need it): group per row, rendered groups."""
        dated = np.array([t["dated"] for t in self.templates], dtype=bool)
        eff = np.where(dated[templates], starts, -1)
        dense, first = factorize(templates * (1 << 22) + (eff + 1))
        return dense, [self.render(int(templates[i]), int(eff[i])) for i in first.tolist()]

    # -- a whole chunk: fast rows, slow rows, errors ---------------------------------------------------------------
    def run_table(self, table: pa.Table, first_row: int = 1, numbers: np.ndarray | None = None) -> "ChunkResult":
        """Answers for a chunk of flat CSV rows (string columns); ``first_row`` numbers its first row (or
        ``numbers`` gives each row's record number in the file)."""
        number = (lambda i: int(numbers[i])) if numbers is not None else (lambda i: first_row + i)
        t0 = time.perf_counter()
        c = convert(table, self.conv, in_threads)
        self.stats["columns_s"] = self.stats.get("columns_s", 0.0) + time.perf_counter() - t0
        slow = np.flatnonzero(~c.ok)
        citizens: dict[int, Citizen] = {}
        errors: list[tuple[int, str, str]] = []
        if len(slow):
            rows = table.take(pa.array(slow)).to_pylist()
            for i, row in zip(slow.tolist(), rows, strict=True):
                try:
                    citizens[i] = parse_row(row, self.vocabulary, f"row {number(i)}", self.layout)
                except CitizenError as exc:
                    errors.append((number(i), id_text(row.get("id")), " | ".join(exc.messages)))
        self.stats["slow_rows"] += len(slow)
        valid = c.ok.copy()
        valid[list(citizens)] = True
        slow_ok = [i for i in citizens]

        def citizen_at(i: int) -> Citizen:
            if i not in citizens:
                citizens[i] = parse_row(table.slice(i, 1).to_pylist()[0], self.vocabulary, f"row {number(i)}",
                                        self.layout)
            return citizens[i]

        rows = np.flatnonzero(valid)
        per_day = []
        for day in self.days:
            t0 = time.perf_counter()
            codes, starts = day_codes(c, self.conv, self.an, day)
            self.stats["codes_s"] = self.stats.get("codes_s", 0.0) + time.perf_counter() - t0
            for i in slow_ok:
                got, starts[i] = self.comp.situation_codes(self.base.situation(citizens[i], day))
                codes[:, i] = got
            if len(rows) == c.n:
                templates = self.evaluate(codes, day, citizen_at)
                per_day.append((templates, starts))
            else:
                templates = self.evaluate(codes[:, rows], day, lambda j: citizen_at(int(rows[j])))
                per_day.append((templates, starts[rows]))
        ids = table.column("id").combine_chunks()
        if ids.type != pa.string():
            ids = pc.cast(ids, pa.string())
        ids = ids.take(pa.array(rows)) if len(rows) != table.num_rows else ids
        result = ChunkResult(self, ids, per_day, errors, table.num_rows)
        result.citizen_at = lambda j: citizen_at(int(rows[j]))
        return result

    def run_citizens(self, items: list[tuple[int, Citizen | None, str | None, str]], rows_in: int) -> "ChunkResult":
        """Answers for parsed citizens (JSON Lines): items are (row, citizen or None, id, error message)."""
        errors = [(row, cid or "", msg) for row, c, cid, msg in items if c is None]
        good = [c for _, c, _, _ in items if c is not None]
        per_day = []
        for day in self.days:
            n = len(good)
            codes = np.zeros((len(self.comp.names), n), dtype=np.int64)
            starts = np.full(n, -1, dtype=np.int32)
            for i, citizen in enumerate(good):
                got, starts[i] = self.comp.situation_codes(self.base.situation(citizen, day))
                codes[:, i] = got
            templates = self.evaluate(codes, day, lambda j: good[j])
            per_day.append((templates, starts))
        result = ChunkResult(self, pa.array([c.id for c in good], type=pa.string()), per_day, errors, rows_in)
        result.citizen_at = lambda j: good[j]
        return result


class ChunkResult:
    """The answers of one chunk (per date: the template and spell start of each valid row) and its errors."""

    def __init__(self, batch: Batch, ids: pa.Array, per_day: list, errors: list[tuple[int, str, str]], rows_in: int):
        self.batch, self.ids, self.per_day, self.errors, self.rows_in = batch, ids, per_day, errors, rows_in
        self.rows_out = sum(len(t) for t, _ in per_day)
        self.citizen_at: Callable[[int], Citizen] | None = None   # output row (of one date) → its citizen

    def csv_blocks(self, block: int = 1 << 16) -> Iterator[memoryview]:
        """The CSV lines (no header), citizen-major, in blocks: the citizen cell, then the rendered rest."""
        if not self.rows_out:
            return
        t0 = time.perf_counter()
        ids = formula_safe_ids(self.ids)
        needs = pc.match_substring_regex(ids, r'[",\r\n]')
        if pc.any(needs).as_py():
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(ids, '"', '""'), '"', "")
            ids = pc.if_else(needs, quoted, ids)
        groups = []
        for templates, starts in self.per_day:
            dense, rendered = self.batch.pairs(templates, starts)
            groups.append((dense, pa.array([r["tail"] for r in rendered], type=pa.string())))
        n = len(ids)
        stats = self.batch.stats
        stats["render_s"] = stats.get("render_s", 0.0) + time.perf_counter() - t0
        for lo in range(0, n, block):
            t = time.perf_counter()
            part = ids.slice(lo, block)
            lines = [pc.binary_join_element_wise(part, tails.take(pa.array(dense[lo:lo + block])), "")
                     for dense, tails in groups]
            arr = lines[0] if len(lines) == 1 else _interleave_arrays(lines)
            data = _string_data(arr)
            stats["render_s"] = stats.get("render_s", 0.0) + time.perf_counter() - t
            yield data

    def json_lines(self) -> list[str]:
        t0 = time.perf_counter()
        try:
            return self._json_lines()
        finally:
            self.batch.stats["render_s"] = self.batch.stats.get("render_s", 0.0) + time.perf_counter() - t0

    def _json_lines(self) -> list[str]:
        ids = [json.dumps(i, ensure_ascii=False) for i in self.ids.to_pylist()]
        per_day = []
        for templates, starts in self.per_day:
            dense, rendered = self.batch.pairs(templates, starts)
            texts = [r["json"] for r in rendered]
            per_day.append([f'{{"citizen": {i}, {texts[g]}' for i, g in zip(ids, dense.tolist(), strict=True)])
        return per_day[0] if len(per_day) == 1 else [line for group in zip(*per_day, strict=True) for line in group]

    def frame_columns(self) -> dict[str, list]:
        """Column lists of the output rows (for ``batch_frame``), citizen-major."""
        ids = self.ids.to_pylist()
        fields = self.batch.output_fields
        ob = self.batch.ob_field.id if self.batch.ob_field else None
        out: dict[str, list] = {k: [] for k in fields}
        out["answer"] = []
        per_day = []
        for templates, starts in self.per_day:
            dense, rendered = self.batch.pairs(templates, starts)
            per_day.append((templates.tolist(), dense.tolist(), rendered))
        for i, cid in enumerate(ids):
            for templates, dense, rendered in per_day:
                cells = self.batch.templates[templates[i]]["cells"]
                r = rendered[dense[i]]
                out["citizen"].append(cid)
                for k in fields[1:]:
                    out[k].append(r["obligations"] if k == ob else cells[k])
                if self.batch.want_json:
                    out["answer"].append(f'{{"citizen": {json.dumps(cid, ensure_ascii=False)}, {r["json"]}')
        return out


def _cells(shape, answer) -> dict[str, str]:
    """The single-valued and compact list cells of an answer (obligations are rendered per spell start)."""
    cells: dict[str, str] = {}
    for f in shape.fields:
        v = answer.values.get(f.id)
        if f.kind == "id":
            cells[f.id] = (v.get("id", "") if isinstance(v, dict) else v) or ""
            for k in f.carry:
                cells[k] = (v.get(k) if isinstance(v, dict) else "") or ""
        elif f.kind == "value":
            cells[f.id] = v or ""
        elif f.kind == "flag":
            cells[f.id] = "true" if v else "false"
        elif f.kind == "status":
            cells[f.id] = ";".join(f"{p['id']}:{p['status']}" for p in v or [])
    return cells


def _string_data(arr: pa.Array) -> memoryview:
    """The bytes of a string array's values (offset-aware, no nulls)."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1 + arr.offset)[arr.offset:]
    data = arr.buffers()[2]
    return memoryview(data)[int(offsets[0]):int(offsets[-1])]


def _interleave_arrays(arrays: list[pa.Array]) -> pa.Array:
    k, n = len(arrays), len(arrays[0])
    both = pa.concat_arrays(arrays)
    order = (np.arange(n)[:, None] + np.arange(k)[None, :] * n).ravel()
    return both.take(pa.array(order))


def _csv_cell(text: str) -> str:
    text = formula_safe(text)   # a generated cell never starts like a formula; should a rule's text, it is not run
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _spell_at(start: date, kind: str):
    return Spell(kind=kind, id="", start=start)


def _obligation_cell(o) -> str:
    text = f"{o.requirement}:{o.kind}:{'' if o.count is None else o.count}:{o.by or ''}"
    if o.first_by:
        text += f":first={o.first_by}"
    if o.waived:
        text += f":waived={o.rule}"
    return text

