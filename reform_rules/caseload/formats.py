"""More file formats for ``reform batch``: Parquet in and out, XLSX out, and ``--labels`` (names beside ids).

- *Parquet in*: a ``.parquet`` file, or a directory of Parquet files (a partitioned dataset, read with
  ``pyarrow.dataset``; ``key=value`` folder names are columns). The columns are the flat layout's
  (``reform_rules.caseload.layout.Layout``). Typed columns are read as the CSV path reads their text: dates as
  ISO text, yes/no as ``true``/``false``, whole numbers as digits; an empty string is an absent value.
  The table then goes through the same ``Batch.run_table`` as a CSV file, in the same chunks.
- *Parquet out*: the CSV output's columns and cells, as string columns.
- *XLSX out* (the ``excel`` extra: openpyxl): the same columns on one sheet; a run whose output could
  exceed a sheet (1,048,575 data rows) is refused before anything is written. A cell that begins with
  ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is written as text with the quote prefix, as a
  spreadsheet stores what a user types after ``'``: it shows the text and is never read as a formula.
- *Labels* (``--labels da|en``): beside each id or value column a column ``<field>_label`` with its
  name in that language, taken from the rules (the names rules give the ids they set, the titles of
  the vocabulary, the labels ``rules/the-answer.yaml`` declares for values); nothing is named here.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reform_rules.answer.explain import names_by_id
from reform_rules.basics.errors import BatchError
from reform_rules.caseload.files import Prefetch
from reform_rules.caseload.files import prefetch as csv_prefetch
from reform_rules.caseload.layout import Layout
from reform_rules.caseload.speed import use_fast_allocator
from reform_rules.caseload.writing import BackgroundWriter, TextWriter, file_format, is_stdout
from reform_rules.caseload.writing import output_format as csv_or_jsonl

if TYPE_CHECKING:
    from reform_rules.caseload.core import ChunkResult

PARQUET = (".parquet", ".pq")
XLSX_MAX_ROWS = 1_048_575          # a sheet's 1,048,576 rows, less the header
FORMATS = ("csv", "jsonl", "parquet", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# -- which format ---------------------------------------------------------------------------------------------------
def input_format(path: Path) -> str:
    """csv, jsonl or parquet: by the extension; a directory is a Parquet dataset."""
    if path.suffix.lower() in PARQUET or path.is_dir():
        return "parquet"
    try:
        return file_format(path, "input")
    except BatchError:
        raise BatchError(f"{path}: the input must end in .csv, .jsonl or .parquet (or be a directory of "
                         f"Parquet files)") from None


def output_format(out: Path, out_format: str | None) -> str:
    """csv, jsonl, parquet or xlsx: as asked, else by the extension (stdout: csv or jsonl only)."""
    if out_format is not None and out_format not in FORMATS:
        raise BatchError(f"the output format is one of {', '.join(FORMATS)}, not {out_format!r}")
    fmt = out_format
    if fmt is None and not is_stdout(out):
        suffix = out.suffix.lower()
        fmt = "parquet" if suffix in PARQUET else "xlsx" if suffix == ".xlsx" else None
        if fmt is None and suffix not in (".csv", ".jsonl"):
            raise BatchError(f"{out}: the output must end in .csv, .jsonl, .parquet or .xlsx")
    if fmt in ("parquet", "xlsx"):
        if is_stdout(out):
            raise BatchError(f"--out - (standard output) writes csv or jsonl, not {fmt}: give a file name")
        return fmt
    return csv_or_jsonl(out, fmt)


def is_dataset(out: Path, out_format: str | None) -> bool:
    """Whether ``--out`` names a Parquet dataset directory: an existing directory, or a name without an
    extension (with no ``--format`` or ``--format parquet``)."""
    if is_stdout(out) or out_format not in (None, "parquet"):
        return False
    return out.is_dir() or out.suffix == ""


def labelled(fields: Sequence[str], shape, labels: str | None) -> tuple[str, ...]:
    """The output columns with ``<field>_label`` after each id, carried key, value and list-of-ids column."""
    if not labels:
        return tuple(fields)
    wanted = set()
    for f in shape.fields:
        if f.kind in ("id", "value", "status"):
            wanted.add(f.id)
            wanted.update(f.carry)
    return tuple(c for k in fields for c in ((k, f"{k}_label") if k in wanted else (k,)))


class Labeller:
    """The ``_label`` cells of an answer's cells, in one language, from the rules."""

    def __init__(self, ruleset, lang: str):
        self.lang, self.shape = lang, ruleset.answer
        self.names = names_by_id(ruleset, lang)

    def cells(self, cells: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        lang, names = self.lang, self.names
        for f in self.shape.fields:
            v = cells.get(f.id, "")
            if f.kind == "id":
                out[f"{f.id}_label"] = names.get(v, v) if v else ""
                for k in f.carry:
                    c = cells.get(k, "")
                    out[f"{k}_label"] = f.attribute_label(k, c, lang) if c else ""
            elif f.kind == "value":
                out[f"{f.id}_label"] = f.value_label(v, lang) if v else ""
            elif f.kind == "status":
                items = [p.split(":", 1) for p in v.split(";")] if v else []
                out[f"{f.id}_label"] = " | ".join(f"{names.get(i, i)}: {f.value_label(s, lang)}" for i, s in items)
        return out


# -- Parquet in -----------------------------------------------------------------------------------------------------
def read_parquet_table(path: Path, layout: Layout | None = None) -> tuple[pa.Table, list, list[int]]:
    """Every row of a Parquet file or dataset as string columns (as the CSV path reads them); no errors,
    no skipped records (the same shape as ``read_csv_table``). The columns are checked against ``layout``
    when it is given (else call ``check_columns``)."""
    if not path.exists():
        raise BatchError(f"{path}: no such file or directory")
    try:
        data = _dataset(path)
        names = data.schema.names
        if not names:
            raise BatchError(f"{path}: no Parquet files, or no columns ('id' first)")
        if layout is not None:
            check_columns(path, names, layout)
        table = data.to_table()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise BatchError(f"{path}: not a readable Parquet file or dataset ({exc})") from None
    return as_text_table(path, table), [], []


def _dataset(path: Path):
    import pyarrow.dataset as ds  # lazily: ~60 ms of start-up that a CSV run does not need
    return ds.dataset(path, format="parquet", partitioning=ds.HivePartitioning.discover(infer_dictionary=True),
                      exclude_invalid_files=False)


def as_text_table(path: Path, table: pa.Table) -> pa.Table:
    """Every column of a Parquet table as the CSV path reads it (text, an empty string absent)."""
    columns = [_as_text(path, name, table.column(name)) for name in table.column_names]
    return pa.table(columns, names=table.column_names)


def parquet_parts(path: Path, layout: Layout) -> list[int]:
    """The rows of each file of a Parquet file or dataset, in the order ``read_parquet_table`` reads them
    (from the files' footers: nothing else is read); the columns are checked against ``layout``."""
    if not path.exists():
        raise BatchError(f"{path}: no such file or directory")
    try:
        data = _dataset(path)
        if not data.schema.names:
            raise BatchError(f"{path}: no Parquet files, or no columns ('id' first)")
        check_columns(path, data.schema.names, layout)
        return [fragment.count_rows() for fragment in data.get_fragments()]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise BatchError(f"{path}: not a readable Parquet file or dataset ({exc})") from None


def read_parquet_part(path: Path, index: int) -> pa.Table:
    """File ``index`` of a Parquet file or dataset (``parquet_parts``'s order), as text columns, with the
    dataset's columns (``key=value`` folder names included)."""
    data = _dataset(path)
    fragment = list(data.get_fragments())[index]
    return as_text_table(path, fragment.to_table(schema=data.schema))


def check_columns(path: Path, names: list[str], layout: Layout) -> None:
    """Refuse columns the flat layout does not name, a column named twice, no ``id``."""
    if len(set(names)) != len(names):
        raise BatchError(f"{path}: a column is named twice")
    unknown = set(names) - set(layout.fields)
    if unknown:
        raise BatchError(f"{path}: unknown column(s) {', '.join(sorted(unknown))} "
                         f"(the columns are: {', '.join(layout.fields)})")
    if "id" not in names:
        raise BatchError(f"{path}: the column 'id' is missing")


def _as_text(path: Path, name: str, col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column as the CSV path sees it: text, an empty string absent."""
    t = col.type
    if pa.types.is_dictionary(t):
        col, t = pc.cast(col, t.value_type), t.value_type
    if pa.types.is_timestamp(t):      # a date stored as a timestamp: its day, when it is midnight
        day = pc.cast(col, pa.date32())
        midnight = pc.equal(pc.cast(day, t), col)
        col = pc.if_else(midnight, pc.cast(day, pa.string()), pc.cast(col, pa.string()))
        t = pa.string()
    if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_date(t) or pa.types.is_boolean(t)
            or pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t)
            or getattr(pa.types, "is_string_view", lambda _: False)(t)):
        raise BatchError(f"{path}: column {name!r} is of type {t}, not text, a date, yes/no or a number")
    text = pc.cast(col, pa.string())
    empty = pc.equal(text, "")
    if not pc.any(empty).as_py():      # the common case: no copy of the column
        return text
    return pc.if_else(empty, pa.scalar(None, pa.string()), text)


class ParquetPrefetch(Prefetch):
    """Read a Parquet input in a thread while the rules load (as :class:`Prefetch` does for CSV)."""

    def __init__(self, path: Path):
        super().__init__(path)

    def read(self) -> tuple[pa.Table, list, list[int]]:
        return read_parquet_table(self.path)


def prefetch(inp: Path, dialect=None):
    """Start reading ``inp`` now: a Parquet file or directory here, a CSV file by ``batch_files.prefetch``."""
    if inp.suffix.lower() in PARQUET or inp.is_dir():
        use_fast_allocator()
        return ParquetPrefetch(inp) if inp.exists() else None
    return csv_prefetch(inp, dialect)


# -- the rows of a chunk as columns ---------------------------------------------------------------------------------
def result_table(result: "ChunkResult", fields: Sequence[str], dictionary: bool = False) -> pa.Table:
    """A chunk's output rows (citizen-major) as string columns: the CSV output's cells. With ``dictionary``
    (one date), the columns but the citizen's are dictionary arrays — each distinct answer's cell once and
    an index per row — instead of a string per row (the Parquet writer stores them so, without copying)."""
    batch = result.batch
    ob = batch.ob_field.id if batch.ob_field else None
    t0 = time.perf_counter()
    per_day = []
    for templates, starts in result.per_day:
        dense, rendered = batch.pairs(templates, starts)
        n_t = len(batch.templates)
        cols = []
        for k in fields:
            if k == "citizen":
                cols.append(result.ids)
            elif k == ob:
                cols.append(_cells_of(pa.array([r["obligations"] for r in rendered], type=pa.string()), dense,
                                      dictionary and len(result.per_day) == 1))
            else:
                values = pa.array([batch.templates[i]["cells"][k] for i in range(n_t)], type=pa.string())
                cols.append(_cells_of(values, templates, dictionary and len(result.per_day) == 1))
        per_day.append(pa.table(cols, names=list(fields)))
    if len(per_day) == 1:
        table = per_day[0]
    else:
        n, n_days = per_day[0].num_rows, len(per_day)
        order = (np.arange(n)[:, None] + np.arange(n_days)[None, :] * n).ravel()
        table = pa.concat_tables(per_day).take(pa.array(order))
    batch.stats["render_s"] = batch.stats.get("render_s", 0.0) + time.perf_counter() - t0
    return table


def _cells_of(values: pa.Array, index: np.ndarray, dictionary: bool) -> pa.Array:
    if dictionary:
        return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32, copy=False)), values)
    return values.take(pa.array(index))


# -- writers --------------------------------------------------------------------------------------------------------
class ParquetWriter(BackgroundWriter):
    """The output as a Parquet file of string columns, one row group per chunk — or, for a dataset
    directory (``dataset``), one file per chunk (``part-00000.parquet`` …, in the order of the rows).
    Written in the background thread (pyarrow releases the GIL), so that writing overlaps the next chunk.

    The columns but the citizen's are handed to Parquet as dictionary arrays (a few dozen distinct cells
    per column: Parquet dictionary-encodes them anyway), which spares a string per row and column in
    memory; the Arrow schema is not stored (``store_schema=False``), so a reader sees plain string columns."""

    def __init__(self, path: Path, fields: Sequence[str], dataset: bool = False):
        import pyarrow.parquet as pq  # lazily, as pyarrow.dataset above
        self.path, self.fields, self.dataset, self.parts = path, list(fields), dataset, 0
        self.schema = pa.schema([(k, pa.string() if k == "citizen" else pa.dictionary(pa.int32(), pa.string()))
                                 for k in self.fields])
        self._w = None
        try:
            if dataset:
                path.mkdir(parents=False, exist_ok=True)
            else:
                self._w = pq.ParquetWriter(path, self.schema, compression="zstd", store_schema=False)
        except (OSError, pa.ArrowException) as exc:
            raise BatchError(f"{path}: cannot write ({exc})") from None
        super().__init__(queue_size=2)

    def _write(self, table: pa.Table) -> None:
        if self._w is not None:
            self._w.write_table(table)
        else:
            import pyarrow.parquet as pq
            pq.write_table(table, self.path / f"part-{self.parts:05d}.parquet", compression="zstd",
                           store_schema=False)
            self.parts += 1

    def write(self, result: "ChunkResult") -> None:
        if result.rows_out:
            self.put(self._typed(result_table(result, self.fields, dictionary=True)))

    def write_table(self, table: pa.Table) -> None:
        """A table of the output columns (``--engine dask``: one per partition)."""
        if table.num_rows:
            self.put(self._typed(table.select(self.fields)))

    def _typed(self, table: pa.Table) -> pa.Table:
        """The table in the writer's schema (string columns dictionary-encoded where the schema says so)."""
        columns = []
        for field, column in zip(self.schema, table.columns, strict=True):
            if pa.types.is_dictionary(field.type) and not pa.types.is_dictionary(column.type):
                column = pc.dictionary_encode(pc.cast(column, pa.string()))
            columns.append(pc.cast(column, field.type))
        return pa.table(columns, schema=self.schema)

    def _finish(self) -> None:
        if self._w is not None:
            self._w.close()
        elif self.parts == 0:   # an empty run is still a dataset: one file with the columns and no rows
            import pyarrow.parquet as pq
            pq.write_table(self.schema.empty_table(), self.path / "part-00000.parquet", compression="zstd",
                           store_schema=False)

    def close(self) -> None:
        self.join()
        try:
            self._finish()
        except (OSError, pa.ArrowException) as exc:
            self.error = self.error or exc
        if self.error is not None:
            raise BatchError(f"{self.path}: cannot write ({self.error})")


def _xlsx():
    try:
        import openpyxl  # the optional excel extra
    except ImportError:
        raise BatchError("XLSX output needs openpyxl: pip install 'reform-rules[excel]' "
                         "(or write .parquet or .csv)") from None
    return openpyxl


def check_xlsx_rows(rows: int) -> None:
    """Refuse an XLSX output of more rows than a sheet holds (before anything is written)."""
    if rows > XLSX_MAX_ROWS:
        raise xlsx_refusal(rows)


def xlsx_refusal(rows: int) -> BatchError:
    return BatchError(f"the output would have up to {rows:,} rows, more than a spreadsheet holds "
                      f"({XLSX_MAX_ROWS:,} data rows on one sheet): write .parquet or .csv instead")


class XlsxWriter:
    """The output on one sheet (openpyxl, write-only mode: rows are streamed to the file)."""

    def __init__(self, path: Path, fields: Sequence[str]):
        openpyxl = _xlsx()
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        self.path, self.fields, self.seconds, self.rows = path, list(fields), 0.0, 0
        self._cell, self._illegal = WriteOnlyCell, ILLEGAL_CHARACTERS_RE
        self._wb = openpyxl.Workbook(write_only=True)
        self._ws = self._wb.create_sheet("answers")
        self._ws.append([self._text(k) for k in self.fields])
        try:  # fail before the work, not after it
            with open(path, "ab"):
                pass
        except OSError as exc:
            raise BatchError(f"{path}: cannot write ({exc})") from None

    def _text(self, value: str | None):
        if not value:
            return value
        if self._illegal.search(value):          # control characters a sheet cannot hold
            value = self._illegal.sub("\ufffd", value)
        if value.startswith(_FORMULA_START):     # text, never a formula: as typed after '
            cell = self._cell(self._ws, value=value)
            cell.data_type = "s"
            cell.quotePrefix = True
            return cell
        return value

    def write(self, result: "ChunkResult") -> None:
        if not result.rows_out:
            return
        table = result_table(result, self.fields)
        if self.rows + table.num_rows > XLSX_MAX_ROWS:
            raise xlsx_refusal(self.rows + table.num_rows)
        t = time.perf_counter()
        columns = [table.column(k).to_pylist() for k in self.fields]
        text, append = self._text, self._ws.append
        for row in zip(*columns, strict=True):
            append([text(v) for v in row])
        self.rows += table.num_rows
        self.seconds += time.perf_counter() - t

    def close(self) -> None:
        try:
            self._wb.save(self.path)
        except OSError as exc:
            raise BatchError(f"{self.path}: cannot write ({exc})") from None


def open_writer(out: Path, fmt: str, fields: Sequence[str], dataset: bool = False):
    """The writer of an output format (``write(result)``, ``close()``, ``seconds``); ``dataset``: a directory
    of Parquet files."""
    if fmt == "parquet":
        return ParquetWriter(out, fields, dataset)
    if fmt == "xlsx":
        return XlsxWriter(out, fields)
    return TextWriter(out, fmt, fields)


def count_jsonl_rows(path: Path) -> int:
    """The non-blank lines of a JSON Lines file (an upper bound of its rows, for the XLSX limit)."""
    n = 0
    with open(path, "rb") as fh:
        for line in fh:
            n += bool(line.strip())
    return n
