"""``reform batch``: a whole caseload, many dates, in one pass — fast by design, exact by test.

This module is the core (columns → situations → derivations → answers); the flat layout and what a
row means are in ``engine/batch_layout.py``, reading and writing the files in ``engine/batch_files.py``.

Input
=====
CSV or JSON Lines, chosen by the file's extension (``.csv`` / ``.jsonl``).

A JSON Lines row is one citizen object of the contract (``engine.citizen.parse_citizen``: ``id``,
``born``, ``spells`` …). A CSV row is the *flat* layout of the common case — one current benefit
spell and at most one programme beside it::

    id,born,municipality,vocational_education,exempted,work_duty,benefit,assessment,from,to,
    sick_from,expected_absence_weeks,uncomplicated,programme,programme_from,programme_to

An empty cell is an absent value. ``benefit``, ``assessment``, ``from``, ``to``, ``sick_from``,
``expected_absence_weeks`` and ``uncomplicated`` make the benefit spell (``spells[0]`` of the
contract); ``programme``, ``programme_from`` and ``programme_to`` the programme spell. The yes/no
columns take ``true``/``false`` (or ``1``/``0``, any case); ``uncomplicated`` ``false`` is the same
as an empty cell. Only the ``id`` column is required; a column the layout does not name stops the
run. Every row means exactly the contract object ``row_record(row)`` builds from it, and is
validated by the same rules (``parse_citizen``); error messages name the CSV column.

Output
======
CSV or JSON Lines (by extension or ``--format``; ``--out -`` is stdout, with rows in error on stderr),
one row per citizen and date, citizen-major, in input order.
The CSV columns are ``OUTPUT_FIELDS``; lists are compact: ``programmes`` is ``id:status;…``,
``obligations`` is ``requirement:kind:count:by`` (``by`` the last day of the window), followed by
``:first=DATE`` when there is a deadline for the first meeting and ``:waived=RULE`` when an
exception lifts it, joined by ``;``; ``open_questions`` lists the rule ids. A JSON Lines row is the
contract answer (``Answer.to_json``) without ``explanation`` — or with it, with ``explain``.
Rows that are not valid input go to the errors file (``row,id,message``, ``row`` counting data
rows from 1); they never stop the run, and rows in = rows out / dates + rows in errors.

How it is fast, and why it is exact
===================================
The answer for a citizen on a date is ``build_answer`` of the *derivation* (the rules that hold and
the exceptions that set others aside) for the citizen's canonical situation
(``compiler.situation_facts``), with only two per-citizen values on top: the citizen's id and the
first day of the current benefit spell (obligation due dates count from it). So:

1. *Features, by column.* Each cell is converted once per distinct value with the engine's own
   functions (``dates.parse_date``, ``vocabulary.benefit_id``, ``dates.age_on``,
   ``dates.completed_months``, ``compiler.canonical`` …), then whole columns are mapped with numpy:
   for each row and date an integer code per fact of the situation (benefit, assessment, …, the band
   of each number between the rules' thresholds, the programmes and their start bands, the
   municipality's class — names every rule lists alike are one class) and the spell's start. Rows
   that are not plainly valid take the slow path: ``parse_citizen`` (which gives the exact error
   messages) and ``situation`` per row.
2. *Distinct signatures.* Rows with equal codes have the same canonical situation; each distinct
   signature is handled once.
3. *Only what can matter.* A rule can only apply on a date it is valid, for a benefit, assessment,
   programme … its conditions allow. The rules of a family (phase, target group, programmes,
   obligations, sanctions, trials, jobpræmie) fall into *units*: rules linked by ``overrides`` (an
   exception and what it sets aside); what holds in a unit, and what it sets aside, depends only
   on which of the unit's own rules apply. For each unit and each class of signature (date,
   benefit, assessment, sick-listed from, programmes), the facts that the unit's rules *that could
   still apply* read, and the thresholds they compare them with, are all its result can depend on;
   units meet only through the derived target group, which is then part of their key.
   Signatures are grouped per unit by that projection, and one representative citizen per group
   is derived by the Datalog engine (``KnowledgeBase.derive_many`` on the representative's *full*
   canonical facts, one situation per call — with this program pyDatalog is faster one at a time
   than set-at-a-time — in forked helper processes, one per core, when there are many), the
   representatives chosen so that one derivation serves as many units as it can. A signature's
   derivation is the union of its units' parts; the answer template is ``build_answer`` on it.
4. *Due dates.* Rows are then grouped by (template, spell start, date); each group's obligations are
   computed once by the engine's own ``_obligation`` and the rendered row (CSV cells or the JSON
   answer) is cached and shared.

Every representative's vectorised codes are checked against the codes of its parsed ``Citizen``
(an internal error if they ever differ), and ``tests/test_batch.py`` proves the output equal to
``RuleBase.evaluate(...).to_json()`` citizen by citizen, on thousands of random citizens and dates.

Beyond one machine
==================
``batch_frame(df, days, ...)`` is the core as a pure function of one partition: a pandas DataFrame
of CSV rows (all strings) → a DataFrame of output rows (``OUTPUT_FIELDS``, ``answer`` as JSON text
when asked, ``row`` and ``error`` for rows in error). It loads the rule base once per process and
keeps its caches there, so it maps over partitions as it is:

- Dask (``reform batch --engine dask``; ``engine/batch_dask.py``)::

      ddf = dd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
      out = ddf.map_partitions(batch_frame, days, rules_dir="rules", meta=output_meta(days))

  which runs on the local scheduler, or unchanged on a ``dask.distributed`` cluster
  (``Client("scheduler:8786")``) when every worker has the package and the rules directory.
- Spark: ``spark.read.csv(path, header=True).mapInPandas(lambda frames: (batch_frame(f, days,
  rules_dir=R) for f in frames), schema)`` — each executor keeps its own rule base and caches.

The rules are small; partitions only share the (cheap, deterministic) derivation work, so the
map is embarrassingly parallel, and each worker derives each distinct situation at most once.
"""
from __future__ import annotations

import json
import os
import re
import time
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import column_dates, dates
from .citizen import YEARS, Citizen, Situation, normalise_name
from .compiler import _branches, situation_facts
from .errors import CitizenError
from .query import RuleBase, _obligation, build_answer, default_rules_dir
from .batch_files import (CHUNK_ROWS, Prefetch, Summary, _format, _progress, _record_numbers, _Writer,
                          errors_file_for, iter_jsonl, output_format, read_csv_table, use_fast_allocator,
                          write_errors)
from .batch_layout import (CSV_FIELDS, FLAGS, OUTPUT_FIELDS, BatchError, _id_text, _json_item, bool_cell,
                           parse_row, weeks_cell)
from .batch_layout import row_record  # noqa: F401 - the layout's meaning of a row, for users of engine.batch


# The facts of a situation, as integer codes (0 = absent) — one per condition kind the compiler knows.
CATEGORICAL = ("benefit", "assessment", "sick_from", "uncomplicated", "vocational_education", "exempted",
               "work_duty", "municipality")
NUMERIC = ("age", "months_into_spell", "spell_started", "expected_absence_weeks")
COMPONENTS = CATEGORICAL + NUMERIC + ("programme",)
ID_KEYS = ("benefit", "assessment", "sick_from")
_COL = {name: i for i, name in enumerate(COMPONENTS)}
POOL_MIN_ROWS = 20_000   # from this many rows, Datalog runs in forked helpers, one per core
DERIVE_BATCH = 1   # pyDatalog answers one situation at a time faster than many at once (measured)


# -- flat rows → contract records -------------------------------------------------------------------------------


# -- what the rules can read, per family, date and class of situation -------------------------------------------
_UNKNOWN = object()


def _id_possible(test: Any, value: str | None) -> bool:
    """False only when an id condition surely fails for ``value`` (None: not known)."""
    if isinstance(test, str):
        return value == test
    if isinstance(test, list):
        test = {"in": test}
    if not isinstance(test, dict):
        return True
    if set(test) == {"known"}:
        return (value is not None) == bool(test["known"])
    ok = True
    if "in" in test or "not_in" in test:
        ok = value is not None
    if "in" in test and isinstance(test["in"], list):
        ok = ok and value in test["in"]
    if "not_in" in test and isinstance(test["not_in"], list):
        ok = ok and value not in test["not_in"]
    return ok


def _programme_possible(test: Any, pids: frozenset[str]) -> bool:
    if isinstance(test, str):
        return test in pids
    if isinstance(test, list):
        return bool(pids & set(test))
    if isinstance(test, dict):
        if test.get("known") is False and set(test) == {"known"}:
            return not pids
        ok = True
        if isinstance(test.get("in"), list):
            ok = ok and bool(pids & set(test["in"]))
        if isinstance(test.get("not_in"), list):
            ok = ok and any(p not in test["not_in"] for p in pids)
        return ok
    return True


def _number_constants(test: Any) -> list[int] | None:
    """The ``>= k`` constants the compiler makes of a number test (None: not understood)."""
    if not isinstance(test, dict):
        return None
    out = []
    for op, k in test.items():
        if op == "known":
            continue
        if op in ("under", "at_least") and isinstance(k, int):
            out.append(k)
        elif op in ("over", "at_most") and isinstance(k, int):
            out.append(k + 1)
        else:
            return None
    return out


def _date_constants(test: Any) -> list[int] | None:
    if not isinstance(test, dict):
        return None
    out = []
    for op, value in test.items():
        if op not in ("before", "on_or_after"):
            return None
        try:
            out.append(dates.ordinal(dates.parse_date(value)))
        except ValueError:
            return None
    return out


@dataclass(frozen=True)
class Spec:
    """What one family's result can depend on for one class of situations on one date."""
    kept: frozenset            # components read by a rule that could apply
    numbers: tuple             # ((component, thresholds), …) for the numeric ones kept
    programme: tuple | None    # programme start thresholds when programmes are read
    reads_group: bool          # reads the derived target group


class Analysis:
    """Static facts about a compiled rule set that the batch needs: codes, bands, relevance."""

    def __init__(self, base: RuleBase):
        self.base = base
        ruleset, program, v = base.ruleset, base.program, base.ruleset.vocabulary
        self.vocabulary = v
        self.benefits = list(v.benefits)
        self.benefit_code = {b: i for i, b in enumerate(self.benefits)}
        self.none_code = self.benefit_code[v.no_benefit]
        self.assessments = [None] + list(v.assessments)
        self.assessment_code = {a: i for i, a in enumerate(self.assessments)}
        self.sick_froms = [None] + list(v.sick_from)
        self.sick_from_code = {s: i for i, s in enumerate(self.sick_froms)}
        self.programmes = list(v.programmes)
        self.programme_code = {p: i for i, p in enumerate(self.programmes)}
        # municipality classes: names that every member set treats alike are interchangeable
        sets = [set(values) for values in program.sets.values()]
        classes: dict[tuple, int] = {}
        self.municipality_class: dict[str, int] = {}
        for name in sorted(program.municipalities):
            self.municipality_class[name] = classes.setdefault(tuple(name in s for s in sets), len(classes) + 2)
        self.thresholds = {k: list(program.thresholds.get(k, [])) for k in NUMERIC}
        self.programme_thresholds = list(program.programme_thresholds)
        self.radix = {"benefit": len(self.benefits), "assessment": len(self.assessments),
                      "sick_from": len(self.sick_froms), "uncomplicated": 2, "vocational_education": 2,
                      "exempted": 2, "work_duty": 2, "municipality": len(classes) + 2,
                      **{k: len(self.thresholds[k]) + 2 for k in NUMERIC}, "programme": 1 << 16}
        # Units: the rules of a family linked by ``overrides`` (an exception and the rules it sets aside).
        # What holds in one unit, and what it sets aside, depends only on which of its own rules apply.
        self.families = program.families
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
                unit = roots.setdefault(find(r.id), f"{family}#{len(roots)}")
                self.unit_of[r.id] = unit
            for unit in roots.values():
                self.units.append(unit)
                self.unit_family[unit] = family
        self.branches = {u: [] for u in self.units}
        for r in ruleset.rules:
            self.branches[self.unit_of[r.id]] += [(r, b) for b in _branches(r.when)]
        self.progsets: dict[tuple, int] = {(): 0}      # ((programme, start band), …) → code
        self.progset_list: list[tuple] = [()]
        self.specs: dict[Spec, int] = {}
        self.spec_list: list[Spec] = []
        self._spec_memo: dict[tuple, int] = {}

    # codes of single values -------------------------------------------------------------------------------------
    @staticmethod
    def band(thresholds: list[int], value: int) -> int:
        """1 + the band of ``value`` between the thresholds (the code of ``compiler.canonical``'s band)."""
        return 1 + bisect_right(thresholds, value)

    def progset(self, items: Iterable[tuple[str, int]]) -> int:
        key = tuple(sorted(set(items)))
        code = self.progsets.get(key)
        if code is None:
            code = self.progsets[key] = len(self.progset_list)
            self.progset_list.append(key)
            if code >= self.radix["programme"]:
                raise BatchError("too many distinct combinations of programmes for one batch")
        return code

    def municipality(self, name: str | None) -> int:
        """0 unknown, 1 a name no rule lists, else the class of the listed name (``name`` normalised)."""
        if name is None:
            return 0
        return self.municipality_class.get(name, 1)

    def situation_codes(self, sit: Situation) -> tuple[tuple[int, ...], int]:
        """The codes of a Situation (the slow path), and its spell start (-1: none)."""
        f, n = sit.facts, sit.numbers
        codes = [self.benefit_code[sit.benefit], self.assessment_code.get(f.get("assessment"), 0),
                 self.sick_from_code.get(f.get("sick_from"), 0), int(bool(f.get("uncomplicated"))),
                 int(bool(f.get("vocational_education"))), int(bool(f.get("exempted"))), int(bool(f.get("work_duty"))),
                 self.municipality(f.get("municipality"))]
        for key in NUMERIC:
            codes.append(self.band(self.thresholds[key], n[key]) if key in n else 0)
        pt = self.programme_thresholds
        codes.append(self.progset((pid, self.band(pt, start)) for pid, start in sit.programmes))
        return tuple(codes), (n["spell_started"] if sit.spell else -1)

    # relevance -------------------------------------------------------------------------------------------------
    def spec_id(self, family: str, day: date, cls: tuple) -> int:
        memo = (family, day, cls)
        found = self._spec_memo.get(memo)
        if found is None:
            spec = self._spec(family, day, cls)
            found = self.specs.get(spec)
            if found is None:
                found = self.specs[spec] = len(self.spec_list)
                self.spec_list.append(spec)
            self._spec_memo[memo] = found
        return found

    def _spec(self, family: str, day: date, cls: tuple) -> Spec:
        benefit, assessment, sick_from, pids = cls
        known = {"benefit": benefit, "assessment": assessment, "sick_from": sick_from}
        kept: set[str] = set()
        numbers: dict[str, set[int]] = {}
        prog: set[int] | None = None
        reads_group = everything = False
        for rule, branch in self.branches[family]:
            if not rule.valid_on(day):
                continue
            if any(k in branch and not _id_possible(branch[k], known[k]) for k in ID_KEYS):
                continue
            if "programme" in branch and not _programme_possible(branch["programme"], pids):
                continue
            for key, test in branch.items():
                if key in CATEGORICAL:
                    kept.add(key)
                elif key in ("age", "months_into_spell", "expected_absence_weeks"):
                    ks = _number_constants(test)
                    if ks is None:
                        everything = True
                    kept.add(key)
                    numbers.setdefault(key, set()).update(ks or ())
                elif key == "spell_started":
                    ks = _date_constants(test)
                    if ks is None:
                        everything = True
                    kept.add(key)
                    numbers.setdefault(key, set()).update(ks or ())
                elif key in ("programme", "programme_started"):
                    kept.add("programme")
                    prog = prog if prog is not None else set()
                    if key == "programme_started":
                        ks = _date_constants(test)
                        if ks is None:
                            everything = True
                        prog.update(ks or ())
                elif key == "target_group":
                    reads_group = True
                else:  # a condition kind this analysis does not know: keep every fact as it is
                    everything = True
        if everything:
            return Spec(frozenset(COMPONENTS), tuple((k, tuple(self.thresholds[k])) for k in NUMERIC),
                        tuple(self.programme_thresholds), self.unit_family[family] != "target_group")
        nums = []
        for key in NUMERIC:
            if key in kept:
                ks = numbers.get(key, set())
                if not ks <= set(self.thresholds[key]):   # not the compiler's constants: keep all bands
                    ks = set(self.thresholds[key])
                nums.append((key, tuple(sorted(ks))))
        if prog is not None and not prog <= set(self.programme_thresholds):
            prog = set(self.programme_thresholds)
        return Spec(frozenset(kept), tuple(nums), tuple(sorted(prog)) if prog is not None else None,
                    reads_group and self.unit_family[family] != "target_group")

    def local_number_table(self, spec: Spec, key: str) -> np.ndarray:
        """Global band code → band code between the spec's thresholds (all 0 when not read)."""
        glob = self.thresholds[key]
        out = np.zeros(len(glob) + 2, dtype=np.int64)
        local = dict(spec.numbers).get(key)
        if local is None:
            return out
        for code in range(1, len(glob) + 2):
            value = glob[code - 2] if code >= 2 else (glob[0] - 1 if glob else 0)
            out[code] = 1 + bisect_right(local, value)
        return out

    def local_progset(self, spec: Spec, code: int) -> int:
        if spec.programme is None:
            return 0
        glob = self.programme_thresholds
        items = []
        for pid, band_code in self.progset_list[code]:
            value = glob[band_code - 2] if band_code >= 2 else (glob[0] - 1 if glob else 0)
            items.append((pid, self.band(list(spec.programme), value)))
        return self.progset(items)


# -- the per-column conversion of CSV cells ----------------------------------------------------------------------
def _encode(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list]:
    """Dictionary codes of a string column (-1 for null) and its distinct values."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if arr.type != pa.string():
        arr = pc.cast(arr, pa.string())
    enc = pc.dictionary_encode(arr)
    idx = enc.indices
    codes = (pc.fill_null(idx, -1) if idx.null_count else idx).to_numpy(zero_copy_only=False)
    return codes, enc.dictionary.to_pylist()


DATES = object()   # Batch.columns: a column of dates (converted whole, by engine.column_dates)


class _Memo(dict):
    """str → converted value, computed once per distinct cell text for the whole run."""

    def __init__(self, fn: Callable[[str], Any]):
        super().__init__()
        self.fn = fn

    def __missing__(self, key: str) -> Any:
        value = self[key] = self.fn(key)
        return value


def _date_value(text: str) -> int | None:
    """The ordinal of a valid date cell, or None (the same test as ``parse_citizen``)."""
    try:
        day = dates.parse_date(text)
    except ValueError:
        return None
    from .citizen import YEARS
    return dates.ordinal(day) if YEARS[0] <= day.year <= YEARS[1] else None


@dataclass
class Columns:
    """The converted columns of one chunk of flat rows (numpy arrays, one entry per row)."""
    n: int
    ok: np.ndarray                  # plainly valid: the fast path applies
    born: np.ndarray                # ordinal or -1
    born_code: np.ndarray           # code into born_values, -1 absent
    born_values: np.ndarray         # the ordinal of each distinct cell (column_dates.INVALID if not a date)
    municipality: np.ndarray        # class code
    flags: dict[str, np.ndarray]
    spell: np.ndarray               # has a benefit spell
    benefit: np.ndarray
    assessment: np.ndarray
    sick_from: np.ndarray
    uncomplicated: np.ndarray
    weeks: np.ndarray               # -1 absent
    start: np.ndarray               # ordinal, -1 absent
    start_code: np.ndarray
    start_values: np.ndarray        # as born_values
    end: np.ndarray                 # ordinal, big when open
    prog: np.ndarray                # has a programme spell
    prog_id: np.ndarray
    prog_start: np.ndarray
    prog_end: np.ndarray


OPEN = np.iinfo(np.int32).max


class Batch:
    """The batch core for one rule base, a list of dates and an output form; caches live here."""

    def __init__(self, base: RuleBase, days: Sequence[date], lang: str = "da", explain: bool = False,
                 want_json: bool = False, want_csv: bool = True, workers: int | None = None):
        self.base, self.days, self.lang = base, list(days), lang
        self.explain, self.want_json, self.want_csv = explain, want_json, want_csv
        self.an = Analysis(base)
        self.vocabulary = base.ruleset.vocabulary
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        v = self.vocabulary
        an = self.an
        self._benefit = _Memo(lambda s: an.benefit_code.get(v.benefit_id(s), -1) if v.benefit_id(s) else -1)
        self._assessment = _Memo(lambda s: an.assessment_code.get(s, -1) if s in v.assessments else -1)
        self._sick = _Memo(lambda s: an.sick_from_code.get(s, -1) if s in v.sick_from else -1)
        self._programme = _Memo(lambda s: an.programme_code.get(s, -1) if s in v.programmes else -1)
        self._bool = _Memo(lambda s: {True: 1, False: 0}.get(bool_cell(s), -1) if isinstance(bool_cell(s), bool) else -1)
        self._weeks = _Memo(lambda s: w if isinstance(w := weeks_cell(s), int) and w <= 520 else -1)
        self._municipality = _Memo(lambda s: an.municipality(normalise_name(s)))
        self._facts: dict[tuple, tuple] = {}            # canonical facts → derivation
        self._parts: dict[tuple, tuple] = {}            # (day, family, key) → (holding, setaside) of the family
        self._combos: dict[tuple, int] = {}             # (day, family parts…) → template
        self._templates: list[dict] = []
        self._template_ids: dict[tuple, int] = {}
        self._rendered: dict[tuple, dict] = {}
        self._obligations: dict[tuple, Any] = {}
        self._tables: dict[tuple, np.ndarray] = {}
        self.pool = None
        self._signatures: dict[date, set] = {}
        self.stats = {"signatures": 0, "derived": 0, "templates": 0, "slow_rows": 0, "evaluation": 0.0,
                      "self_checked": 0}

    # -- reading chunks ------------------------------------------------------------------------------------------
    def columns(self, table: pa.Table) -> Columns:
        """Convert a chunk of flat CSV rows (string columns) and mark the rows that are plainly valid."""
        n = table.num_rows
        names = set(table.column_names)
        unknown = names - set(CSV_FIELDS)
        if unknown:
            raise BatchError(f"unknown column(s) {', '.join(sorted(unknown))} (the columns are: {', '.join(CSV_FIELDS)})")
        if "id" not in names:
            raise BatchError(f"the column 'id' is missing (the columns are: {', '.join(CSV_FIELDS)})")

        def col(name: str, memo: _Memo | object | None, missing: int = -1) -> tuple[np.ndarray, np.ndarray, list]:
            """(converted value per row, code per row (-1 null), distinct values — ordinals for dates)."""
            if name not in names:
                return np.full(n, missing, dtype=np.int32), np.full(n, -1, dtype=np.int32), np.zeros(0, np.int32)
            codes, values = _encode(table.column(name))
            if memo is DATES:  # whole columns of dates at once, exactly as _date_value one by one
                ords = column_dates.parse_ordinals(values, _date_value, YEARS)
                return np.append(ords, missing).astype(np.int32)[codes], codes, ords
            if memo is None:
                return codes, codes, values
            table_ = np.array([memo[s] if s is not None else missing for s in values] + [missing], dtype=object)
            conv = np.array([x if x is not None else -2 for x in table_], dtype=np.int32)  # ordinals fit
            return conv[codes], codes, values

        ok = np.ones(n, dtype=bool)
        present = lambda codes: codes >= 0  # noqa: E731
        ids = table.column("id").combine_chunks()
        if ids.type != pa.string():
            ids = pc.cast(ids, pa.string())

        def id_ok() -> np.ndarray:
            """Present, not blank at either end, not a CPR number (anything unusual: the slow path decides)."""
            plain = pc.match_substring_regex(ids, r"^[!-~](.*[!-~])?$")
            cpr = pc.match_substring_regex(ids, r"^[0-9]{6}-?[0-9]{4}$")
            return pc.and_(pc.fill_null(plain, False), pc.invert(pc.fill_null(cpr, True))).to_numpy(zero_copy_only=False)

        jobs = {"id": id_ok, "born": lambda: col("born", DATES, missing=-1),
                "municipality": lambda: col("municipality", self._municipality, missing=0),
                **{name: (lambda name=name: col(name, self._bool, missing=0)) for name in FLAGS},
                "benefit": lambda: col("benefit", self._benefit), "assessment": lambda: col("assessment", self._assessment),
                "sick_from": lambda: col("sick_from", self._sick),
                "uncomplicated": lambda: col("uncomplicated", self._bool, missing=0),
                "expected_absence_weeks": lambda: col("expected_absence_weeks", self._weeks),
                "from": lambda: col("from", DATES), "to": lambda: col("to", DATES),
                "programme": lambda: col("programme", self._programme),
                "programme_from": lambda: col("programme_from", DATES),
                "programme_to": lambda: col("programme_to", DATES)}
        done = dict(zip(jobs, _in_threads(list(jobs.values()))))   # pyarrow and numpy release the GIL
        ok &= done["id"]
        born, born_code, born_values = done["born"]
        ok &= ~(present(born_code) & (born < 0))
        municipality = done["municipality"][0]
        flags = {}
        for name in FLAGS:
            value, code, _ = done[name]
            ok &= ~(present(code) & (value < 0))
            flags[name] = np.maximum(value, 0)
        benefit, b_code, _ = done["benefit"]
        assessment, a_code, _ = done["assessment"]
        sick_from, s_code, _ = done["sick_from"]
        unc, u_code, _ = done["uncomplicated"]
        weeks, w_code, _ = done["expected_absence_weeks"]
        start, f_code, start_values = done["from"]
        end, t_code, _ = done["to"]
        unc_given = present(u_code) & (unc == 1)
        spell = present(b_code) | present(a_code) | present(f_code) | present(t_code) | present(s_code) | \
            present(w_code) | unc_given
        v, an = self.vocabulary, self.an
        sick = an.benefit_code.get(v.sick_benefit, -9)
        with_assessment = np.zeros(len(an.benefits) + 1, dtype=bool)
        for b in v.assessment_for:
            if b in an.benefit_code:
                with_assessment[an.benefit_code[b]] = True
        bad = spell & ~(present(b_code) & (benefit >= 0))                     # a spell needs a known benefit
        bad |= spell & ~(present(f_code) & (start >= 0))                      # … and a valid first day
        bad |= present(t_code) & ((end < 0) | (end < start))                  # a valid last day, not before it
        bad |= present(a_code) & ((assessment < 0) | ~with_assessment[np.where(benefit >= 0, benefit, -1)])
        bad |= (present(s_code) | present(w_code) | unc_given) & (benefit != sick)
        bad |= present(s_code) & (sick_from < 0)
        bad |= present(w_code) & (weeks < 0)
        bad |= present(u_code) & (unc < 0)
        bad |= present(born_code) & spell & (start >= 0) & (start < born)
        prog_id, p_code, _ = done["programme"]
        pstart, pf_code, _ = done["programme_from"]
        pend, pt_code, _ = done["programme_to"]
        prog = present(p_code) | present(pf_code) | present(pt_code)
        bad |= prog & ~(present(p_code) & (prog_id >= 0))
        bad |= prog & ~(present(pf_code) & (pstart >= 0))
        bad |= present(pt_code) & ((pend < 0) | (pend < pstart))
        bad |= present(born_code) & prog & (pstart >= 0) & (pstart < born)
        ok &= ~bad
        return Columns(n=n, ok=ok, born=born, born_code=born_code, born_values=born_values, municipality=municipality,
                       flags=flags, spell=spell, benefit=benefit, assessment=np.where(present(a_code), assessment, 0),
                       sick_from=np.where(present(s_code), sick_from, 0), uncomplicated=unc_given.astype(np.int32),
                       weeks=np.where(present(w_code), weeks, -1), start=start, start_code=f_code,
                       start_values=start_values, end=np.where(present(t_code), end, OPEN), prog=prog,
                       prog_id=prog_id, prog_start=pstart, prog_end=np.where(present(pt_code), pend, OPEN))

    def codes(self, c: Columns, day: date) -> tuple[np.ndarray, np.ndarray]:
        """The situation codes (COMPONENTS × rows) of the fast rows on ``day``, and each spell's start."""
        an, n, d = self.an, c.n, dates.ordinal(day)
        out = np.empty((len(COMPONENTS), n), dtype=np.int32)
        covers = c.spell & (c.start >= 0) & (c.start <= d) & (d <= c.end)
        col = _COL
        t = an.thresholds

        # numbers: per distinct date, the engine's date functions over whole columns, then mapped by code
        cd = column_dates
        born, start = c.born_values, c.start_values
        born_t = np.append(np.where(born >= 0, cd.bands(t["age"], cd.age_on(born, day)), 0), 0).astype(np.int32)
        months_t = np.append(np.where(start >= 0, cd.bands(t["months_into_spell"], cd.completed_months(start, day)),
                                      0), 0).astype(np.int32)
        started_t = np.append(np.where(start >= 0, cd.bands(t["spell_started"], start), 0), 0).astype(np.int32)
        weeks_t = np.array([an.band(t["expected_absence_weeks"], w) for w in range(521)], dtype=np.int32)
        prog_table = None
        pt = an.programme_thresholds
        nb = len(pt) + 2
        if c.prog.any():
            prog_table = np.zeros(len(an.programmes) * nb, dtype=np.int32)
            for i, pid in enumerate(an.programmes):
                for b in range(1, nb):
                    prog_table[i * nb + b] = an.progset([(pid, b)])

        def put(name: str, fn) -> Callable[[], None]:
            def job() -> None:
                out[col[name]] = fn()
            return job

        def programme() -> np.ndarray:
            if prog_table is None:
                return 0
            pcovers = c.prog & (c.prog_start >= 0) & (c.prog_start <= d) & (d <= c.prog_end)
            pbands = np.searchsorted(np.asarray(pt, dtype=np.int32), c.prog_start, side="right") + 1
            return np.where(pcovers, prog_table[np.maximum(c.prog_id, 0) * nb + pbands], 0)

        jobs = [put("benefit", lambda: np.where(covers, c.benefit, an.none_code)),
                put("assessment", lambda: np.where(covers, c.assessment, 0)),
                put("sick_from", lambda: np.where(covers, c.sick_from, 0)),
                put("uncomplicated", lambda: covers & (c.uncomplicated == 1)),
                *[put(name, lambda name=name: c.flags[name]) for name in FLAGS],
                put("municipality", lambda: c.municipality),
                put("age", lambda: np.where(c.born >= 0, born_t[c.born_code], 0)),
                put("months_into_spell", lambda: np.where(covers, months_t[c.start_code], 0)),
                put("spell_started", lambda: np.where(covers, started_t[c.start_code], 0)),
                put("expected_absence_weeks",
                    lambda: np.where(covers & (c.weeks >= 0), weeks_t[np.maximum(c.weeks, 0)], 0)),
                put("programme", programme)]
        _in_threads(jobs)
        return out, np.where(covers, c.start, -1)

    # -- the evaluation of one chunk -----------------------------------------------------------------------------
    def evaluate(self, codes: np.ndarray, day: date, citizen_at: Callable[[int], Citizen]) -> np.ndarray:
        """The template of every row (codes: COMPONENTS × rows) on ``day``."""
        t0 = time.perf_counter()
        an = self.an
        n = codes.shape[1]
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        key = np.zeros(n, dtype=np.int64)
        for i, name in enumerate(COMPONENTS):
            key *= an.radix[name] if name != "programme" else len(an.progset_list)
            key += codes[i]
        dense, uniq_first = _factorize(key)
        u = codes[:, uniq_first]                                # one column per distinct signature
        seen = self._signatures.setdefault(day, set())   # distinct over the whole run, per date
        seen.update(key[uniq_first].tolist())
        self.stats["signatures"] = sum(len(v) for v in self._signatures.values())
        col = _COL
        # the class of each signature (what decides which rules could apply) → a spec per family
        pidsets: dict[frozenset, int] = {}
        pidset_of = np.array([pidsets.setdefault(frozenset(p for p, _ in ps), len(pidsets)) for ps in an.progset_list],
                             dtype=np.int64)
        pidset_list = list(pidsets)
        cls_key = ((u[col["benefit"]] * an.radix["assessment"] + u[col["assessment"]]) * an.radix["sick_from"]
                   + u[col["sick_from"]]) * len(pidset_list) + pidset_of[u[col["programme"]]]
        cls_dense, cls_first = _factorize(cls_key)
        classes = [(an.benefits[u[col["benefit"], i]], an.assessments[u[col["assessment"], i]],
                    an.sick_froms[u[col["sick_from"], i]], pidset_list[pidset_of[u[col["programme"], i]]])
                   for i in cls_first.tolist()]
        raw: dict[str, np.ndarray] = {}
        reads: dict[str, np.ndarray] = {}
        for unit in an.units:
            spec_ids = np.array([an.spec_id(unit, day, cls) for cls in classes], dtype=np.int64)[cls_dense]
            raw[unit] = self._family_key(spec_ids, u)
            reads[unit] = np.array([s.reads_group for s in an.spec_list], dtype=bool)[spec_ids]
        # the derived target group: all target-group units together
        tg_units = [x for x in an.units if an.unit_family[x] == "target_group"]
        tg_dense = tg_keys = None
        if tg_units:
            tg_dense, tg_first = _factorize(np.stack([raw[x] for x in tg_units]))
            tg_keys = [tuple(int(raw[x][i]) for x in tg_units) for i in tg_first.tolist()]
        group: dict[str, np.ndarray] = {}          # unit → group id of each signature
        group_keys: dict[str, list[tuple]] = {}    # unit → stable key of each group
        for unit in an.units:
            r = raw[unit]
            if tg_units and unit not in tg_units and reads[unit].any():
                t = np.where(reads[unit], tg_dense, -1)
                gd, gf = _factorize(np.stack([r, t]))
                group_keys[unit] = [(day, unit, int(r[i]), tg_keys[t[i]] if t[i] >= 0 else None) for i in gf.tolist()]
            else:
                gd, gf = _factorize(r)
                group_keys[unit] = [(day, unit, int(r[i]), None) for i in gf.tolist()]
            group[unit] = gd
        # derive a few representatives: every unit group not yet known is covered by one of them
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
        if len(picks):
            derivations = self._derive([int(uniq_first[i]) for i in picks], u[:, picks], day, citizen_at)
            for unit in an.units:
                todo = set(missing[unit])
                for i, (holding, setaside) in zip(picks.tolist(), derivations):
                    g = int(group[unit][i])
                    if g in todo:
                        todo.discard(g)
                        self._parts[group_keys[unit][g]] = (
                            tuple(r for r in holding if an.unit_of[r] == unit),
                            tuple(p for p in setaside if an.unit_of[p[0]] == unit))
        # each signature's derivation is the union of its families' parts → an answer template
        cd, cf = _factorize(np.stack([group[x] for x in an.units]))
        tids = []
        for i in cf.tolist():
            ck = tuple(group_keys[x][int(group[x][i])] for x in an.units)
            tid = self._combos.get(ck)
            if tid is None:
                parts = [self._parts[k] for k in ck]
                holding = tuple(sorted(r for h, _ in parts for r in h))
                setaside = tuple(sorted(p for _, s in parts for p in s))
                tid = self._combos[ck] = self._template(day, holding, setaside, int(uniq_first[i]), citizen_at)
            tids.append(tid)
        self.stats["evaluation"] += time.perf_counter() - t0
        return np.asarray(tids, dtype=np.int64)[cd][dense]

    def _family_key(self, spec_ids: np.ndarray, u: np.ndarray) -> np.ndarray:
        an = self.an
        specs = an.spec_list
        key = spec_ids.copy()
        for i, name in enumerate(COMPONENTS):
            column = u[i]
            if name in CATEGORICAL:
                keep = np.array([name in s.kept for s in specs], dtype=np.int64)
                local = column * keep[spec_ids]
            elif name in NUMERIC:
                table = np.stack([self._number_table(s, name) for s in specs])
                local = table[spec_ids, column]
            else:
                pairs = spec_ids * len(an.progset_list) + column
                pd_, pf = _factorize(pairs)
                local = np.array([an.local_progset(specs[int(spec_ids[j])], int(column[j])) for j in pf.tolist()],
                                 dtype=np.int64)[pd_]
            key = key * an.radix[name] + local
        return key

    def _number_table(self, spec: Spec, name: str) -> np.ndarray:
        k = (spec, name)
        table = self._tables.get(k)
        if table is None:
            table = self._tables[k] = self.an.local_number_table(spec, name)
        return table

    def _derive(self, rows: list[int], codes: np.ndarray, day: date, citizen_at) -> list[tuple]:
        """The engine's derivation for each representative row (its full canonical facts)."""
        facts_list = []
        for j, row in enumerate(rows):
            citizen = citizen_at(row)
            sit = self.base.situation(citizen, day)
            got, _ = self.an.situation_codes(sit)
            expected = tuple(int(x) for x in codes[:, j])
            if expected != got:
                raise RuntimeError(f"batch: internal error: the codes of a row on {day} differ from its situation "
                                   f"({expected} != {got}); please report it")
            self.stats["self_checked"] += 1
            facts_list.append(situation_facts(sit, self.base.program))
        todo = [f for f in dict.fromkeys(facts_list) if f not in self._facts]
        if todo:
            t = time.perf_counter()
            derived = self._derive_many(todo)
            self.stats["datalog_s"] = self.stats.get("datalog_s", 0.0) + time.perf_counter() - t
            for f, d in zip(todo, derived):
                self._facts[f] = d
            self.stats["derived"] += len(todo)
        return [self._facts[f] for f in facts_list]

    def _derive_many(self, todo: list[tuple]) -> list[tuple]:
        kb = self.base.kb
        if len(todo) >= 16 and self.workers > 1:
            if self.pool is None:
                self.pool = start_pool(self.base, self.workers) or False
            if self.pool:
                return _derive_parallel(self.pool, todo)
        out: list[tuple] = []
        for i in range(0, len(todo), DERIVE_BATCH):
            out += kb.derive_many(todo[i:i + DERIVE_BATCH])
        return out

    def _template(self, day: date, holding: tuple, setaside: tuple, row: int, citizen_at) -> int:
        key = (day, holding, setaside)
        tid = self._template_ids.get(key)
        if tid is not None:
            return tid
        citizen = citizen_at(row)
        sit = self.base.situation(citizen, day)
        answer = build_answer(self.base.ruleset, citizen, sit, holding, setaside, self.lang)
        ruleset = self.base.ruleset
        obligations = [(ruleset.rule(o.requirement), ruleset.rule(o.rule) if o.waived else None)
                       for o in answer.obligations]
        dated = any(any(r.then_value.get(k) for k in ("within_months", "every_months", "first_within_weeks"))
                    for r, _ in obligations)
        tg = answer.target_group or {}
        cells = {"date": day.isoformat(), "phase": answer.phase or "", "target_group": tg.get("id", ""),
                 "structure": tg.get("structure", ""), "sanctionable": answer.sanctionable or "",
                 "trial": answer.trial or "", "jobpraemie": "true" if answer.jobpraemie else "false",
                 "status": answer.status, "programmes": ";".join(f"{p['id']}:{p['status']}" for p in answer.programmes),
                 "open_questions": ";".join(q["rule"] for q in answer.open_questions)}
        i = OUTPUT_FIELDS.index("obligations")
        head = "," + ",".join(_csv_cell(cells[k]) for k in OUTPUT_FIELDS[1:i]) + ","
        rest = "".join("," + _csv_cell(cells[k]) for k in OUTPUT_FIELDS[i + 1:]) + "\n"
        tid = len(self._templates)
        self._templates.append({"head": head, "rest": rest, "answer": answer, "sit": sit, "citizen": citizen, "holding": holding,
                                "setaside": setaside, "obligations": obligations, "dated": dated, "cells": cells,
                                "day": day})
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
        t = self._templates[tid]
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
                    real = replace(real, spell=_spell_at(spell.start))
                answer = build_answer(self.base.ruleset, t["citizen"], real, t["holding"], t["setaside"], self.lang)
            else:
                answer = replace(t["answer"], obligations=obligations, explanation=[])
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
            hit = self._obligations[key] = _obligation(rule, sit, waived_by)
        return hit

    def pairs(self, templates: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, list[dict]]:
        """Rows grouped by (template, spell start where due dates need it): group per row, rendered groups."""
        dated = np.array([t["dated"] for t in self._templates], dtype=bool)
        eff = np.where(dated[templates], starts, -1)
        dense, first = _factorize(templates * (1 << 22) + (eff + 1))
        return dense, [self.render(int(templates[i]), int(eff[i])) for i in first.tolist()]

    # -- a whole chunk: fast rows, slow rows, errors ---------------------------------------------------------------
    def run_table(self, table: pa.Table, first_row: int = 1) -> "ChunkResult":
        """Answers for a chunk of flat CSV rows (string columns); ``first_row`` numbers its first row."""
        t0 = time.perf_counter()
        c = self.columns(table)
        self.stats["columns_s"] = self.stats.get("columns_s", 0.0) + time.perf_counter() - t0
        slow = np.flatnonzero(~c.ok)
        citizens: dict[int, Citizen] = {}
        errors: list[tuple[int, str, str]] = []
        if len(slow):
            rows = table.take(pa.array(slow)).to_pylist()
            for i, row in zip(slow.tolist(), rows):
                try:
                    citizens[i] = parse_row(row, self.vocabulary, f"row {first_row + i}")
                except CitizenError as exc:
                    errors.append((first_row + i, _id_text(row.get("id")), " | ".join(exc.messages)))
        self.stats["slow_rows"] += len(slow)
        valid = c.ok.copy()
        valid[list(citizens)] = True
        slow_ok = [i for i in citizens]

        def citizen_at(i: int) -> Citizen:
            if i not in citizens:
                citizens[i] = parse_row(table.slice(i, 1).to_pylist()[0], self.vocabulary, f"row {first_row + i}")
            return citizens[i]

        rows = np.flatnonzero(valid)
        per_day = []
        for day in self.days:
            t0 = time.perf_counter()
            codes, starts = self.codes(c, day)
            self.stats["codes_s"] = self.stats.get("codes_s", 0.0) + time.perf_counter() - t0
            for i in slow_ok:
                got, starts[i] = self.an.situation_codes(self.base.situation(citizens[i], day))
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
            codes = np.zeros((len(COMPONENTS), n), dtype=np.int32)
            starts = np.full(n, -1, dtype=np.int32)
            for i, citizen in enumerate(good):
                got, starts[i] = self.an.situation_codes(self.base.situation(citizen, day))
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
        from .batch_files import formula_safe_ids
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
            per_day.append([f'{{"citizen": {i}, {texts[g]}' for i, g in zip(ids, dense.tolist())])
        return per_day[0] if len(per_day) == 1 else [line for group in zip(*per_day) for line in group]

    def frame_columns(self) -> dict[str, list]:
        """Column lists of the output rows (for ``batch_frame``), citizen-major."""
        ids = self.ids.to_pylist()
        out: dict[str, list] = {k: [] for k in OUTPUT_FIELDS}
        out["answer"] = []
        per_day = []
        for templates, starts in self.per_day:
            dense, rendered = self.batch.pairs(templates, starts)
            per_day.append((templates.tolist(), dense.tolist(), rendered))
        for i, cid in enumerate(ids):
            for templates, dense, rendered in per_day:
                cells = self.batch._templates[templates[i]]["cells"]
                r = rendered[dense[i]]
                out["citizen"].append(cid)
                for k in OUTPUT_FIELDS[1:]:
                    out[k].append(r["obligations"] if k == "obligations" else cells[k])
                if self.batch.want_json:
                    out["answer"].append(f'{{"citizen": {json.dumps(cid, ensure_ascii=False)}, {r["json"]}')
        return out


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
    from .batch_layout import formula_safe
    text = formula_safe(text)   # a generated cell never starts like a formula; should a rule's text, it is not run
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _spell_at(start: date):
    from .citizen import Spell
    return Spell(kind="benefit", id="", start=start)


def _obligation_cell(o) -> str:
    text = f"{o.requirement}:{o.kind}:{'' if o.count is None else o.count}:{o.by or ''}"
    if o.first_by:
        text += f":first={o.first_by}"
    if o.waived:
        text += f":waived={o.rule}"
    return text


_POOL = None


def _in_threads(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run independent column jobs on every core (their heavy parts run without the GIL)."""
    global _POOL
    workers = min(4, os.cpu_count() or 1)
    if workers < 2 or len(jobs) < 2:
        return [job() for job in jobs]
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor
        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reform-batch")
    return list(_POOL.map(lambda job: job(), jobs))


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


# -- parallel derivation (fork: the children inherit the loaded knowledge base) ---------------------------------
_FORK_KB = None


def _can_fork() -> bool:
    import multiprocessing
    return "fork" in multiprocessing.get_all_start_methods() and os.environ.get("REFORM_BATCH_FORK", "1") != "0"


def start_pool(base: RuleBase, workers: int):
    """A pool of ``workers`` forked processes that derive with ``base``'s knowledge base (None: not here)."""
    global _FORK_KB
    if workers < 2 or not _can_fork():
        return None
    import multiprocessing
    _FORK_KB = base.kb
    return multiprocessing.get_context("fork").Pool(workers)


def _derive_chunk(chunk: list[tuple]) -> list[tuple]:
    out: list[tuple] = []
    for i in range(0, len(chunk), DERIVE_BATCH):
        out += _FORK_KB.derive_many(chunk[i:i + DERIVE_BATCH])
    return out


def _derive_parallel(pool, todo: list[tuple]) -> list[tuple]:
    size = max(1, -(-len(todo) // 16))
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    return [d for part in pool.map(_derive_chunk, chunks, chunksize=1) for d in part]


# -- files -------------------------------------------------------------------------------------------------------


def run_batch(base: RuleBase, inp: Path, out: Path, days: Sequence[date], errors_path: Path | None = None,
              explain: bool = False, lang: str = "da", progress: bool | None = None,
              chunk_rows: int = CHUNK_ROWS, workers: int | None = None, prefetched: Prefetch | None = None,
              out_format: str | None = None) -> Summary:
    """Answer every citizen in ``inp`` on every date in ``days`` into ``out`` (``-``: stdout); bad rows into
    the errors file."""
    wall = time.perf_counter()
    use_fast_allocator()
    in_fmt, out_fmt = _format(inp, "input"), output_format(out, out_format)
    errors_path = errors_file_for(out, errors_path)
    batch = Batch(base, days, lang=lang, explain=explain, want_json=out_fmt == "jsonl", want_csv=out_fmt == "csv",
                  workers=workers)
    summary = Summary(days=len(days))
    if not inp.is_file():
        raise BatchError(f"{inp}: no such file")
    if in_fmt == "csv":  # read first: an unreadable input writes nothing
        t = time.perf_counter()
        table, bad, skipped = prefetched.get() if prefetched is not None else read_csv_table(inp)
        summary.read += prefetched.seconds if prefetched is not None else time.perf_counter() - t
    writer = _Writer(out, out_fmt)
    all_errors: list[tuple[int, str, str]] = []
    bar = None
    write_time = eval_time = 0.0
    try:
        if in_fmt == "csv":
            if batch.workers > 1 and table.num_rows >= POOL_MIN_ROWS:  # derive on every core (forked before the work)
                batch.pool = start_pool(base, batch.workers) or False
            all_errors += bad
            summary.rows_in += len(bad)
            bar = _progress(table.num_rows, progress)
            numbers = None
            if skipped:
                numbers = np.fromiter(_record_numbers(table.num_rows, skipped), dtype=np.int64, count=table.num_rows)
            for offset in range(0, max(table.num_rows, 1), chunk_rows):
                part = table.slice(offset, chunk_rows)
                if part.num_rows == 0:
                    break
                t = time.perf_counter()
                result = batch.run_table(part, first_row=offset + 1)
                eval_time += time.perf_counter() - t
                if numbers is not None:  # renumber errors past skipped records
                    result.errors = [(int(numbers[r - 1]), i, re.sub(r"(^|\| )row \d+", f"\\1row {int(numbers[r - 1])}", m))
                                     for r, i, m in result.errors]
                writer.write(result)
                all_errors += result.errors
                summary.rows_in += result.rows_in
                summary.rows_out += result.rows_out
                if bar:
                    bar.update(part.num_rows)
        else:
            if batch.workers > 1 and os.path.getsize(inp) >= POOL_MIN_ROWS * 100:
                batch.pool = start_pool(base, batch.workers) or False
            bar = _progress(None, progress)
            t = time.perf_counter()
            for items, count in iter_jsonl(inp, base.ruleset.vocabulary, chunk_rows):
                summary.read += time.perf_counter() - t
                t = time.perf_counter()
                result = batch.run_citizens(items, count)
                eval_time += time.perf_counter() - t
                writer.write(result)
                all_errors += result.errors
                summary.rows_in += result.rows_in
                summary.rows_out += result.rows_out
                if bar:
                    bar.update(count)
                t = time.perf_counter()
    finally:
        if bar:
            bar.close()
        if batch.pool:
            batch.pool.terminate()
        t = time.perf_counter()
        writer.close()
        write_errors(errors_path, all_errors)
        write_time = time.perf_counter() - t
    summary.errors = len(all_errors)
    summary.write = write_time           # waiting for the writer after the last block, and the errors file
    summary.stats["writing_s"] = writer.seconds
    summary.stats.update(batch.stats)
    summary.wall = time.perf_counter() - wall
    summary.evaluation = eval_time + batch.stats.get("render_s", 0.0)
    if summary.rows_in * summary.days != summary.rows_out + summary.errors * summary.days:
        raise RuntimeError(f"batch: internal error: rows do not add up ({summary})")
    return summary


# -- the core as a pure function of one partition (pandas) --------------------------------------------------------
_BASES: dict[str, RuleBase] = {}
_BATCHES: dict[tuple, Batch] = {}


def _base_for(rules_dir: str | Path | None) -> RuleBase:
    key = str(Path(rules_dir or default_rules_dir()).resolve())
    if key not in _BASES:
        _BASES[key] = RuleBase.load(key)
    return _BASES[key]


def output_meta(json_output: bool = False):
    """The empty DataFrame ``batch_frame`` returns (for ``dask`` ``meta``)."""
    import pandas as pd
    cols = list(OUTPUT_FIELDS) + (["answer"] if json_output else []) + ["row", "error"]
    return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "row" else "object") for c in cols})


def batch_frame(df, days: Sequence[date | str], rules_dir: str | Path | None = None, first_row: int = 1,
                json_output: bool = False, explain: bool = False, lang: str = "da", base: RuleBase | None = None):
    """The batch core on one partition: flat CSV rows (strings) → output rows, and error rows.

    Rows of the result: one per valid input row and date (citizen-major), then one per input row in
    error (``error`` set, ``row`` its number counted from ``first_row``). With ``json_output`` the
    column ``answer`` holds the contract answer as JSON text. A partition with a column ``json``
    instead holds JSON Lines (one citizen object per cell; ``row`` numbers from ``first_row``).
    """
    import pandas as pd
    days = [d if isinstance(d, date) else dates.parse_date(d) for d in days]
    base = base or _base_for(rules_dir)
    import threading
    key = (id(base), tuple(days), json_output, explain, lang, threading.get_ident())
    batch = _BATCHES.get(key)
    if batch is None:
        batch = _BATCHES[key] = Batch(base, days, lang=lang, explain=explain, want_json=json_output, want_csv=True,
                                      workers=1)
    frame = df.reset_index(drop=True)
    if "json" in frame.columns:
        items = []
        for i, line in enumerate(frame["json"].tolist()):
            if not isinstance(line, str) or not line.strip():  # blank lines are not rows
                continue
            items.append(_json_item(first_row + i, line, base.ruleset.vocabulary))
        result = batch.run_citizens(items, len(items))
    else:
        cells = {name: [None if (v is None or v is pd.NA or (isinstance(v, float) and v != v)) else str(v)
                        for v in frame[name].tolist()] for name in frame.columns}
        table = pa.table({name: pa.array(values, type=pa.string()) for name, values in cells.items()}) \
            if cells else pa.table({"id": pa.array([], type=pa.string())})
        result = batch.run_table(table, first_row=first_row)
    cols = result.frame_columns()
    out = pd.DataFrame({k: pd.Series(cols[k], dtype=object) for k in OUTPUT_FIELDS})
    if json_output:
        out["answer"] = pd.Series(cols["answer"], dtype=object)
    out["row"] = pd.Series([0] * len(out), dtype="int64")
    out["error"] = pd.Series([None] * len(out), dtype=object)
    if result.errors:
        err = pd.DataFrame({"citizen": pd.Series([e[1] for e in result.errors], dtype=object),
                            "row": pd.Series([e[0] for e in result.errors], dtype="int64"),
                            "error": pd.Series([e[2] for e in result.errors], dtype=object)})
        out = pd.concat([out, err], ignore_index=True)
    columns = list(OUTPUT_FIELDS) + (["answer"] if json_output else []) + ["row", "error"]
    out = out.reindex(columns=columns)
    out["row"] = out["row"].fillna(0).astype("int64")
    for name in columns:
        if name != "row":
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


