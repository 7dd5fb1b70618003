"""``reform batch --engine dask``: the same batch core mapped over partitions with dask.dataframe.

``batch_frame`` (reform_rules/caseload/batch.py) is a pure function of one partition; here dask reads the input
in partitions, maps the core over them with ``map_partitions`` on the local scheduler, and the
results are written in partition order — the same rows as the default engine. On a cluster the
same graph runs under ``dask.distributed`` (``Client(address)`` before calling ``run_dask``),
every worker loading the rule base once. Needs the ``dask`` extra: ``pip install -e '.[dask]'``.

A CSV input must be well-formed here (one record per line, as many fields as the header): dask
splits the file by bytes, and a malformed line stops the run (exit 2, with pandas' message); rows whose
*values* are not valid input go to the errors file as with the default engine.
"""
from __future__ import annotations

import csv
import time
from datetime import date
from pathlib import Path
from typing import Sequence

from reform_rules.caseload.batch import _base_for, batch_frame, output_meta
from reform_rules.caseload.files import Dialect, Summary, _csv_header, _format, errors_file_for, is_stdout, output_format, write_errors
from reform_rules.basics.errors import BatchError
from reform_rules.caseload.layout import formula_safe, output_fields, printable


def _csv_partition(df, days, rules_dir, offsets, json_output, explain, lang, partition_info=None):
    number = partition_info["number"] if partition_info else 0
    return batch_frame(df, days, rules_dir=rules_dir, first_row=offsets[number] + 1, json_output=json_output,
                       explain=explain, lang=lang)


def _distributed_client():
    """The active ``dask.distributed`` client, if the caller made one."""
    try:
        from distributed import default_client
        return default_client()
    except (ImportError, ValueError):
        return None


def _lines_frame(lines):
    import pandas as pd
    return pd.DataFrame({"json": pd.Series(list(lines), dtype=object)})


def _not_for_dask(inp: Path, exc: BaseException) -> BatchError:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    said = lines[-2] if len(lines) > 1 and lines[-1].startswith("Pass argument") else (lines[-1] if lines else "")
    return BatchError(f"{inp}: not a well-formed CSV file for --engine dask ({printable(said)[:200] or type(exc).__name__}); "
                      f"the default engine reads it, with each broken line as a row in error")


def run_dask(rules_dir: str | Path, inp: Path, out: Path, days: Sequence[date], errors_path: Path | None = None,
             explain: bool = False, lang: str = "da", blocksize: int | str = "64MB",
             out_format: str | None = None, dialect: Dialect | None = None) -> Summary:
    """Run the batch with dask (local scheduler unless a distributed client is active)."""
    try:
        import dask
        import dask.bag as db
        import dask.dataframe as dd
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise BatchError(f"--engine dask needs the dask extra ({exc.name} is missing): pip install -e '.[dask]'")
    wall = time.perf_counter()
    in_fmt, out_fmt = _format(inp, "input"), output_format(out, out_format)
    errors_path = errors_file_for(out, errors_path)
    json_output = out_fmt == "jsonl"
    rules_dir = str(Path(rules_dir).resolve())
    if not inp.is_file():
        raise BatchError(f"{inp}: no such file")
    if in_fmt == "csv":
        dialect = dialect or Dialect()
        header = _csv_header(inp, dialect)
        try:
            ddf = dd.read_csv(str(inp), dtype={c: "object" for c in header}, keep_default_na=False, na_values=[""],
                              blocksize=blocksize, encoding=dialect.encoding or "utf-8", sep=dialect.delimiter or ",")
            lengths = ddf.map_partitions(len).compute().tolist()
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:   # pandas' reader refused the file
            raise _not_for_dask(inp, exc) from None
    else:
        bag = db.read_text(str(inp), blocksize=blocksize, encoding="utf-8")
        frames = [dask.delayed(_lines_frame)(part) for part in bag.to_delayed()]
        ddf = dd.from_delayed(frames, meta=pd.DataFrame({"json": pd.Series([], dtype=object)}))
        lengths = ddf.map_partitions(len).compute().tolist()
    offsets = [sum(lengths[:i]) for i in range(len(lengths))]
    meta = output_meta(json_output, rules_dir)
    fields = list(output_fields(_base_for(rules_dir).ruleset.answer))
    result = ddf.map_partitions(_csv_partition, [d.isoformat() for d in days], rules_dir, offsets, json_output,
                                explain, lang, meta=meta, enforce_metadata=False)
    t = time.perf_counter()
    try:
        if _distributed_client() is not None:   # a cluster: every worker loads the rule base once
            frame = result.compute()
        else:
            with dask.config.set(scheduler="synchronous"):  # one process: the rule base and its caches are shared
                frame = result.compute()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:   # dask needs a well-formed file
        raise _not_for_dask(inp, exc) from None
    evaluation = time.perf_counter() - t
    errors = frame[frame["error"].notna()]
    good = frame[frame["error"].isna()]
    t = time.perf_counter()
    import contextlib
    import sys
    target = contextlib.nullcontext(sys.stdout) if is_stdout(out) else open(out, "w", newline="", encoding="utf-8")
    with target as fh:
        if out_fmt == "csv":
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(fields)
            rows = good[fields].itertuples(index=False, name=None)
            w.writerows((formula_safe(r[0]),) + r[1:] for r in rows)   # as the default engine writes it
        else:
            for line in good["answer"].tolist():
                fh.write(line + "\n")
    write_errors(errors_path, [(int(r), c or "", m) for r, c, m in
                               errors[["row", "citizen", "error"]].itertuples(index=False, name=None)])
    summary = Summary(rows_in=sum(lengths) if in_fmt == "csv" else len(good) // max(len(days), 1) + len(errors),
                      rows_out=len(good), errors=len(errors), days=len(days), evaluation=evaluation,
                      write=time.perf_counter() - t)
    if in_fmt == "jsonl":
        with open(inp, encoding="utf-8") as fh:
            summary.rows_in = sum(1 for line in fh if line.strip())
    summary.wall = time.perf_counter() - wall
    summary.stats = {"partitions": len(lengths)}
    if summary.rows_in * summary.days != summary.rows_out + summary.errors * summary.days:
        raise RuntimeError(f"batch (dask): internal error: rows do not add up ({summary})")
    return summary
