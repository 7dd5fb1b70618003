"""``reform batch --engine dask``: the same batch core mapped over partitions with dask.

``batch_frame`` (reform_rules/caseload/batch.py) is a pure function of one partition; here dask reads the
input in partitions, maps the core over them, and the results are written in partition order — the same
rows as the default engine. With ``--scheduler ADDRESS`` the partitions run on an existing
``dask.distributed`` cluster (``dask scheduler`` / ``dask worker``), each worker loading the rule base
once; without it, on the local synchronous scheduler in this process. Needs the ``dask`` extra:
``pip install 'reform-rules[dask]'``.

The input: a CSV file (split by bytes, ``dd.read_csv``), a JSON Lines file (split by lines), or Parquet —
a file or a dataset directory, one partition per file, read by the worker itself
(``formats.read_parquet_part``), so on a cluster the input path must be readable on the workers (a
shared file system or object store), as must the rules directory. The output is written by this process
as the partitions' answers come back: CSV, JSON Lines, a Parquet file, or a Parquet dataset directory
(one file per input partition).

A CSV input must be well-formed here (one record per line, as many fields as the header): dask
splits the file by bytes, and a malformed line stops the run (exit 2, with pandas' message); rows whose
*values* are not valid input go to the errors file as with the default engine.
"""
from __future__ import annotations

import contextlib
import csv
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Sequence

import pyarrow as pa

from reform_rules.basics.errors import BatchError
from reform_rules.caseload.batch import base_for, batch_frame, output_meta
from reform_rules.caseload.files import Dialect, Summary, csv_header
from reform_rules.caseload.formats import ParquetWriter, input_format, output_format, parquet_parts, read_parquet_part
from reform_rules.caseload.layout import Layout, formula_safe, output_fields, printable
from reform_rules.caseload.writing import errors_file_for, is_stdout, write_errors

# how long --scheduler waits for the scheduler to answer ($REFORM_SCHEDULER_TIMEOUT, e.g. 30s, changes it)
CONNECT_TIMEOUT = os.environ.get("REFORM_SCHEDULER_TIMEOUT", "10s")


def _csv_partition(df, days, rules_dir, offsets, json_output, explain, lang, partition_info=None):
    number = partition_info["number"] if partition_info else 0
    return batch_frame(df, days, rules_dir=rules_dir, first_row=offsets[number] + 1, json_output=json_output,
                       explain=explain, lang=lang)


def _parquet_partition(root: str, index: int, days, rules_dir, first_row, json_output, explain, lang):
    """On a worker: file ``index`` of a Parquet input, answered."""
    table = read_parquet_part(Path(root), index)
    return batch_frame(table, days, rules_dir=rules_dir, first_row=first_row, json_output=json_output,
                       explain=explain, lang=lang)


def _lines_frame(lines):
    import pandas as pd  # pandas comes with dask.dataframe: imported only on this path
    return pd.DataFrame({"json": pd.Series(list(lines), dtype=object)})


def _not_for_dask(inp: Path, exc: BaseException) -> BatchError:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    said = lines[-2] if len(lines) > 1 and lines[-1].startswith("Pass argument") else (lines[-1] if lines else "")
    return BatchError(f"{inp}: not a well-formed CSV file for --engine dask "
                      f"({printable(said)[:200] or type(exc).__name__}); "
                      f"the default engine reads it, with each broken line as a row in error")


def connect(address: str):
    """A ``dask.distributed`` client of the scheduler at ``address`` (``tcp://host:8786``); a ``BatchError``
    (exit 2) when there is none there or it does not answer within ``CONNECT_TIMEOUT``."""
    try:
        from distributed import Client  # optional: the dask extra
    except ImportError as exc:
        raise BatchError(f"--scheduler needs dask.distributed ({exc.name} is missing): "
                         f"pip install 'reform-rules[dask]'") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=True)
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError (a bad address) …: one line
        said = printable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)[:200]
        raise BatchError(f"--scheduler {address}: cannot connect to a dask scheduler there ({said})") from None


def run_dask(rules_dir: str | Path, inp: Path, out: Path, days: Sequence[date], errors_path: Path | None = None,
             explain: bool = False, lang: str = "da", blocksize: int | str = "64MB",
             out_format: str | None = None, dialect: Dialect | None = None, scheduler: str | None = None,
             dataset: bool = False) -> Summary:
    """Run the batch with dask: on the cluster at ``scheduler``, else on the local synchronous scheduler.
    ``dataset``: the output is a directory of Parquet files (one per partition)."""
    try:
        import dask  # optional: the dask extra
        import dask.bag as db
        import dask.dataframe as dd
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise BatchError(f"--engine dask needs the dask extra ({exc.name} is missing): "
                         "pip install -e '.[dask]'") from exc
    wall = time.perf_counter()
    in_fmt, out_fmt = input_format(inp), output_format(out, out_format)
    if out_fmt == "xlsx":
        raise BatchError("--engine dask writes csv, jsonl or parquet (a spreadsheet is not a cluster's output)")
    errors_path = errors_file_for(out, errors_path)
    json_output = out_fmt == "jsonl"
    rules_dir = str(Path(rules_dir).resolve())
    if not (inp.is_file() or (in_fmt == "parquet" and inp.is_dir())):
        raise BatchError(f"{inp}: no such file")
    base = base_for(rules_dir)
    client = connect(scheduler) if scheduler else None
    try:
        plain = [d.isoformat() for d in days]
        if in_fmt == "parquet":   # one partition per file, read on the worker
            lengths = parquet_parts(inp, Layout(base.ruleset.vocabulary))
            offsets = [sum(lengths[:i]) for i in range(len(lengths))]
            parts = [dask.delayed(_parquet_partition)(str(inp.resolve()), i, plain, rules_dir, offsets[i] + 1,
                                                      json_output, explain, lang) for i in range(len(lengths))]
        else:
            if in_fmt == "csv":
                dialect = dialect or Dialect()
                header = csv_header(inp, dialect)
                try:
                    ddf = dd.read_csv(str(inp), dtype={c: "object" for c in header}, keep_default_na=False,
                                      na_values=[""], blocksize=blocksize, encoding=dialect.encoding or "utf-8",
                                      sep=dialect.delimiter or ",")
                    lengths = ddf.map_partitions(len).compute().tolist()
                except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:   # pandas refused the file
                    raise _not_for_dask(inp, exc) from None
            else:
                bag = db.read_text(str(inp), blocksize=blocksize, encoding="utf-8")
                frames = [dask.delayed(_lines_frame)(part) for part in bag.to_delayed()]
                ddf = dd.from_delayed(frames, meta=pd.DataFrame({"json": pd.Series([], dtype=object)}))
                lengths = ddf.map_partitions(len).compute().tolist()
            offsets = [sum(lengths[:i]) for i in range(len(lengths))]
            result = ddf.map_partitions(_csv_partition, plain, rules_dir, offsets, json_output, explain, lang,
                                        meta=output_meta(json_output, rules_dir), enforce_metadata=False)
            parts = result.to_delayed()
        t = time.perf_counter()
        try:
            if client is not None:   # the cluster: every worker loads the rule base once
                frames = list(dask.compute(*parts))
            else:
                with dask.config.set(scheduler="synchronous"):  # one process: the rule base and caches are shared
                    frames = list(dask.compute(*parts))
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:   # dask needs a well-formed file
            raise _not_for_dask(inp, exc) from None
    finally:
        if client is not None:
            client.close()
    evaluation = time.perf_counter() - t
    t = time.perf_counter()
    fields = list(output_fields(base.ruleset.answer))
    rows_out, errors = _write(frames, out, out_fmt, fields, dataset)
    write_errors(errors_path, errors)
    summary = Summary(rows_in=sum(lengths) if in_fmt != "jsonl" else rows_out // max(len(days), 1) + len(errors),
                      rows_out=rows_out, errors=len(errors), days=len(days), evaluation=evaluation,
                      write=time.perf_counter() - t)
    if in_fmt == "jsonl":
        with open(inp, encoding="utf-8") as fh:
            summary.rows_in = sum(1 for line in fh if line.strip())
    summary.wall = time.perf_counter() - wall
    summary.stats = {"partitions": len(lengths)}
    if summary.rows_in * summary.days != summary.rows_out + summary.errors * summary.days:
        raise RuntimeError(f"batch (dask): internal error: rows do not add up ({summary})")
    return summary


def _write(frames: list, out: Path, out_fmt: str, fields: list[str], dataset: bool) -> tuple[int, list]:
    """The partitions' answers into ``out``, in partition order: the rows written, and the rows in error."""
    errors: list[tuple[int, str, str]] = []
    rows_out = 0
    if out_fmt == "parquet":
        writer = ParquetWriter(out, fields, dataset)
        try:
            for frame in frames:
                good = frame[frame["error"].isna()]
                errors += _errors(frame)
                rows_out += len(good)
                writer.write_table(pa.Table.from_pandas(good[fields], preserve_index=False))
        finally:
            writer.close()
        return rows_out, errors
    target = contextlib.nullcontext(sys.stdout) if is_stdout(out) else open(out, "w", newline="", encoding="utf-8")
    with target as fh:
        w = csv.writer(fh, lineterminator="\n")
        if out_fmt == "csv":
            w.writerow(fields)
        for frame in frames:
            good = frame[frame["error"].isna()]
            errors += _errors(frame)
            rows_out += len(good)
            if out_fmt == "csv":
                rows = good[fields].itertuples(index=False, name=None)
                w.writerows((formula_safe(r[0]),) + r[1:] for r in rows)   # as the default engine writes it
            else:
                for line in good["answer"].tolist():
                    fh.write(line + "\n")
    return rows_out, errors


def _errors(frame) -> list[tuple[int, str, str]]:
    bad = frame[frame["error"].notna()]
    return [(int(r), c or "", m) for r, c, m in bad[["row", "citizen", "error"]].itertuples(index=False, name=None)]
