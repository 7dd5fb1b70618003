"""``reform batch``: a whole caseload, many dates, in one pass — fast by design, exact by test.

This module is the core (columns → situations → derivations → answers); the flat layout and what a
row means are in ``reform_rules/caseload/layout.py``, reading and writing the files in
``reform_rules/caseload/files.py``.

Input
=====
CSV or JSON Lines, chosen by the file's extension (``.csv`` / ``.jsonl``).

A JSON Lines row is one citizen object of the contract (``reform_rules.law.citizen.parse_citizen``: ``id``,
the declared facts, ``spells`` …). A CSV row is the *flat* layout of the common case — one spell of the
current kind (the benefit) and at most one spell of each kind beside it (a programme). Its columns are
derived from ``rules/vocabulary.yaml`` (``reform_rules.caseload.layout.Layout``): ``id``; each citizen fact by its
name; the current spell kind, ``from``, ``to`` and its facts by their names; a beside kind, its ``from``,
``to`` and facts prefixed with the kind (``programme_from``). ``reform schema --citizen`` lists them.

An empty cell is an absent value. Yes/no columns take ``true``/``false`` (or ``1``/``0``, any case); a
cell equal to the fact's default is the same as an empty one. Only the ``id`` column is required; a
column the layout does not name stops the run. Every row means exactly the contract object
``Layout.record(row)`` builds from it, and is validated by the same rules (``parse_citizen``); error
messages name the CSV column.

Output
======
CSV or JSON Lines (by extension or ``--format``; ``--out -`` is stdout, with rows in error on stderr),
one row per citizen and date, citizen-major, in input order.
The CSV columns are ``batch_layout.output_fields`` of the answer's declared fields; lists are compact:
``programmes`` is ``id:status;…``,
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
   computed once by the engine's own ``obligation_due`` and the rendered row (CSV cells or the JSON
   answer) is cached and shared.

Every representative's vectorised codes are checked against the codes of its parsed ``Citizen``
(an internal error if they ever differ), and ``tests/test_batch.py`` proves the output equal to
``RuleBase.evaluate(...).to_json()`` citizen by citizen, on thousands of random citizens and dates.

Beyond one machine
==================
``batch_frame(df, days, ...)`` is the core as a pure function of one partition: a pandas DataFrame
of CSV rows (all strings) → a DataFrame of output rows (``output_fields``, ``answer`` as JSON text
when asked, ``row`` and ``error`` for rows in error). It loads the rule base once per process and
keeps its caches there, so it maps over partitions as it is:

- Dask (``reform batch --engine dask``; ``reform_rules/caseload/on_dask.py``)::

      ddf = dd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
      out = ddf.map_partitions(batch_frame, days, rules_dir="rules", meta=output_meta(rules_dir="rules"))

  which runs on the local scheduler, or unchanged on a ``dask.distributed`` cluster
  (``Client("scheduler:8786")``) when every worker has the package and the rules directory.
- Spark: ``spark.read.csv(path, header=True).mapInPandas(lambda frames: (batch_frame(f, days,
  rules_dir=R) for f in frames), schema)`` — each executor keeps its own rule base and caches.

The rules are small; partitions only share the (cheap, deterministic) derivation work, so the
map is embarrassingly parallel, and each worker derives each distinct situation at most once.
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from datetime import date
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa

from reform_rules.answer.rulebase import RuleBase, default_rules_dir
from reform_rules.basics import dates
from reform_rules.basics.errors import BatchError
from reform_rules.caseload.core import Batch, ChunkResult  # noqa: F401 - the batch core, by its older address
from reform_rules.caseload.files import (
    CHUNK_ROWS,
    Prefetch,
    Summary,
    iter_jsonl,
    progress_bar,
    read_csv_table,
    record_numbers,
)
from reform_rules.caseload.formats import (
    check_columns,
    check_xlsx_rows,
    count_jsonl_rows,
    input_format,
    open_writer,
    output_format,
    read_parquet_table,
)
from reform_rules.caseload.layout import json_item, output_fields, parse_row  # noqa: F401 - parse_row: the tests' name
from reform_rules.caseload.speed import POOL_MIN_ROWS, start_helpers, use_fast_allocator
from reform_rules.caseload.writing import errors_file_for, write_errors
from reform_rules.logic.parallel import can_fork  # noqa: F401 - tests ask the batch whether it can fork

# -- files -------------------------------------------------------------------------------------------------------


def _read_table(inp: Path, in_fmt: str, batch: Batch, summary: Summary, prefetched: Prefetch | None):
    """The CSV or Parquet input as one Arrow table, with its bad rows and its skipped records (read ahead by
    ``prefetched`` if given); the reading time is added to ``summary``."""
    t = time.perf_counter()
    if in_fmt == "parquet":
        table, bad, skipped = prefetched.get() if prefetched is not None else read_parquet_table(inp)
        check_columns(inp, table.column_names, batch.layout)
    else:
        table, bad, skipped = prefetched.get() if prefetched is not None else read_csv_table(inp)
    summary.read += prefetched.seconds if prefetched is not None else time.perf_counter() - t
    return table, bad, skipped


def _take(result: ChunkResult, writer, summary: Summary, all_errors: list[tuple[int, str, str]]) -> None:
    """Hand one chunk's answers to the writer and count its rows and errors."""
    writer.write(result)
    all_errors += result.errors
    summary.rows_in += result.rows_in
    summary.rows_out += result.rows_out


def _answer_table(batch: Batch, table, skipped, chunk_rows: int, writer, summary: Summary,
                  all_errors: list[tuple[int, str, str]], bar) -> float:
    """Answer an Arrow table chunk by chunk into the writer; the seconds spent answering."""
    eval_time = 0.0
    numbers = None
    if skipped:
        numbers = np.fromiter(record_numbers(table.num_rows, skipped), dtype=np.int64, count=table.num_rows)
    for offset in range(0, max(table.num_rows, 1), chunk_rows):
        part = table.slice(offset, chunk_rows)
        if part.num_rows == 0:
            break
        t = time.perf_counter()
        result = batch.run_table(part, first_row=offset + 1,   # rows numbered past skipped records
                                 numbers=numbers[offset:offset + part.num_rows] if numbers is not None else None)
        eval_time += time.perf_counter() - t
        _take(result, writer, summary, all_errors)
        if bar:
            bar.update(part.num_rows)
    return eval_time


def _answer_jsonl(batch: Batch, inp: Path, chunk_rows: int, writer, summary: Summary,
                  all_errors: list[tuple[int, str, str]], bar) -> float:
    """Answer a JSON Lines file chunk by chunk into the writer (the reading time is added to ``summary``);
    the seconds spent answering."""
    eval_time = 0.0
    t = time.perf_counter()
    for items, count in iter_jsonl(inp, batch.base.ruleset.vocabulary, chunk_rows):
        summary.read += time.perf_counter() - t
        t = time.perf_counter()
        result = batch.run_citizens(items, count)
        eval_time += time.perf_counter() - t
        _take(result, writer, summary, all_errors)
        if bar:
            bar.update(count)
        t = time.perf_counter()
    return eval_time


def run_batch(base: RuleBase, inp: Path, out: Path, days: Sequence[date], errors_path: Path | None = None,
              explain: bool = False, lang: str = "da", progress: bool | None = None,
              chunk_rows: int = CHUNK_ROWS, workers: int | None = None, prefetched: Prefetch | None = None,
              out_format: str | None = None, labels: str | None = None, dataset: bool = False) -> Summary:
    """Answer every citizen in ``inp`` on every date in ``days`` into ``out`` (``-``: stdout); bad rows into
    the errors file. ``inp``: CSV, JSON Lines, Parquet (a file or a directory); ``out``: CSV, JSON Lines,
    Parquet or XLSX (``reform_rules/caseload/formats.py``); ``labels`` (da/en): names beside the ids;
    ``dataset``: the output is a directory of Parquet files (one per chunk)."""
    wall = time.perf_counter()
    use_fast_allocator()
    in_fmt = input_format(inp)
    out_fmt = "parquet" if dataset else output_format(out, out_format)
    if labels and out_fmt == "jsonl":
        raise BatchError("--labels adds columns to csv, parquet or xlsx output; a JSON Lines answer has no columns "
                         "(its texts follow --lang)")
    errors_path = errors_file_for(out, errors_path)
    batch = Batch(base, days, lang=lang, explain=explain, want_json=out_fmt == "jsonl", want_csv=out_fmt == "csv",
                  workers=workers, labels=labels)
    summary = Summary(days=len(days))
    if not (inp.is_file() or (in_fmt == "parquet" and inp.is_dir())):
        raise BatchError(f"{inp}: no such file")
    if in_fmt in ("csv", "parquet"):  # read first: an unreadable input writes nothing
        table, bad, skipped = _read_table(inp, in_fmt, batch, summary, prefetched)
    if out_fmt == "xlsx":  # refused before anything is written: the rows out are at most rows in x dates
        most = (table.num_rows + len(bad) if in_fmt != "jsonl" else count_jsonl_rows(inp)) * len(days)
        check_xlsx_rows(most)
    writer = open_writer(out, out_fmt, batch.output_fields, dataset)
    all_errors: list[tuple[int, str, str]] = []
    bar = None
    write_time = eval_time = 0.0
    try:
        if in_fmt in ("csv", "parquet"):
            if batch.workers > 1 and table.num_rows >= POOL_MIN_ROWS:  # derive on every core (forked before the work)
                batch.pool = start_helpers(base, batch.workers)
            all_errors += bad
            summary.rows_in += len(bad)
            bar = progress_bar(table.num_rows, progress)
            eval_time = _answer_table(batch, table, skipped, chunk_rows, writer, summary, all_errors, bar)
        else:
            if batch.workers > 1 and os.path.getsize(inp) >= POOL_MIN_ROWS * 100:
                batch.pool = start_helpers(base, batch.workers)
            bar = progress_bar(None, progress)
            eval_time = _answer_jsonl(batch, inp, chunk_rows, writer, summary, all_errors, bar)
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


# -- the core as a pure function of one partition (pandas or Arrow) ----------------------------------------------
# Each process (a dask worker, a Spark executor) keeps its rule bases and their Batch objects between
# partitions: the caches are what make the second partition cheap. Both are bounded, and a Batch lives on
# its RuleBase (``batch_cache``), so a rule base that is let go takes its batches with it.
BASES_KEPT = 4      # rule bases by directory, most recently used
BATCHES_KEPT = 8    # Batch objects per rule base (dates × output form × thread), most recently used
_BASES: "OrderedDict[str, RuleBase]" = OrderedDict()


def base_for(rules_dir: str | Path | None) -> RuleBase:
    """The rule base of a directory, loaded once per process (the last ``BASES_KEPT`` are kept)."""
    key = str(Path(rules_dir or default_rules_dir()).resolve())
    base = _BASES.get(key)
    if base is None:
        base = _BASES[key] = RuleBase.load(key)
    _BASES.move_to_end(key)
    while len(_BASES) > BASES_KEPT:
        _BASES.popitem(last=False)
    return base


def batch_for(base: RuleBase, days: Sequence[date], json_output: bool, explain: bool, lang: str) -> Batch:
    """The ``Batch`` of a rule base for these dates and this output in this thread, kept on the rule base."""
    cache = vars(base).setdefault("batch_cache", OrderedDict())
    key = (tuple(days), json_output, explain, lang, threading.get_ident())
    batch = cache.get(key)
    if batch is None:
        batch = cache[key] = Batch(base, days, lang=lang, explain=explain, want_json=json_output, want_csv=True,
                                   workers=1)
    cache.move_to_end(key)
    while len(cache) > BATCHES_KEPT:
        cache.popitem(last=False)
    return batch


def output_meta(json_output: bool = False, rules_dir: str | Path | None = None, base: RuleBase | None = None):
    """The empty DataFrame ``batch_frame`` returns (for ``dask`` ``meta``)."""
    import pandas as pd  # pandas only for the partition API (the local engine never imports it)
    base = base or base_for(rules_dir)
    cols = list(output_fields(base.ruleset.answer)) + (["answer"] if json_output else []) + ["row", "error"]
    return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "row" else "object") for c in cols})


def batch_frame(df, days: Sequence[date | str], rules_dir: str | Path | None = None, first_row: int = 1,
                json_output: bool = False, explain: bool = False, lang: str = "da", base: RuleBase | None = None):
    """The batch core on one partition: flat CSV rows (strings) → output rows, and error rows.

    ``df`` is a pandas DataFrame, or a ``pyarrow.Table`` of text columns (as ``read_parquet_part`` gives).
    Rows of the result (a pandas DataFrame): one per valid input row and date (citizen-major), then one
    per input row in error (``error`` set, ``row`` its number counted from ``first_row``). With
    ``json_output`` the column ``answer`` holds the contract answer as JSON text. A partition with a
    column ``json`` instead holds JSON Lines (one citizen object per cell; ``row`` numbers from ``first_row``).
    """
    import pandas as pd  # as above
    parsed = [d if isinstance(d, date) else dates.parse_date(d) for d in days]
    base = base or base_for(rules_dir)
    batch = batch_for(base, parsed, json_output, explain, lang)
    if isinstance(df, pa.Table):
        result = batch.run_table(df, first_row=first_row)
    else:
        frame = df.reset_index(drop=True)
        if "json" in frame.columns:
            items = []
            for i, line in enumerate(frame["json"].tolist()):
                if not isinstance(line, str) or not line.strip():  # blank lines are not rows
                    continue
                items.append(json_item(first_row + i, line, base.ruleset.vocabulary))
            result = batch.run_citizens(items, len(items))
        else:
            cells = {name: [None if (v is None or v is pd.NA or (isinstance(v, float) and v != v)) else str(v)
                            for v in frame[name].tolist()] for name in frame.columns}
            table = pa.table({name: pa.array(values, type=pa.string()) for name, values in cells.items()}) \
                if cells else pa.table({"id": pa.array([], type=pa.string())})
            result = batch.run_table(table, first_row=first_row)
    cols = result.frame_columns()
    out = pd.DataFrame({k: pd.Series(cols[k], dtype=object) for k in batch.output_fields})
    if json_output:
        out["answer"] = pd.Series(cols["answer"], dtype=object)
    out["row"] = pd.Series([0] * len(out), dtype="int64")
    out["error"] = pd.Series([None] * len(out), dtype=object)
    if result.errors:
        err = pd.DataFrame({"citizen": pd.Series([e[1] for e in result.errors], dtype=object),
                            "row": pd.Series([e[0] for e in result.errors], dtype="int64"),
                            "error": pd.Series([e[2] for e in result.errors], dtype=object)})
        out = pd.concat([out, err], ignore_index=True)
    columns = list(batch.output_fields) + (["answer"] if json_output else []) + ["row", "error"]
    out = out.reindex(columns=columns)
    out["row"] = out["row"].fillna(0).astype("int64")
    for name in columns:
        if name != "row":
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


