"""The files of ``reform batch``: reading CSV and JSON Lines, writing answers and errors, the summary.

Reading runs in a thread beside the loading of the rules (pyarrow releases the GIL); writing runs in a
thread of its own, so that it overlaps the work on the next block.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from .batch_layout import CSV_FIELDS, ERROR_FIELDS, OUTPUT_FIELDS, BatchError, _json_item, printable, safe_error

if TYPE_CHECKING:
    from .batch import ChunkResult

CHUNK_ROWS = 1 << 20


@dataclass
class Summary:
    rows_in: int = 0
    rows_out: int = 0
    errors: int = 0
    days: int = 1
    read: float = 0.0
    evaluation: float = 0.0
    write: float = 0.0
    wall: float = 0.0
    stats: dict = field(default_factory=dict)

    def line(self) -> str:
        s = self.stats
        return (f"reform batch: {self.rows_in:,} rows in, {self.rows_out:,} rows out ({self.days} date"
                f"{'s' if self.days != 1 else ''}), {self.errors:,} rows in errors; "
                f"read {self.read:.2f} s, evaluation {self.evaluation:.2f} s (Datalog {s.get('datalog_s', 0):.2f} s), "
                f"write {s.get('writing_s', 0):.2f} s (overlapping), wall {self.wall:.2f} s; {s.get('signatures', 0):,} distinct situations"
                f"{' (summed over the dates)' if self.days > 1 else ''}, "
                f"{s.get('derived', 0):,} derived by the Datalog engine, {s.get('templates', 0):,} distinct answers, "
                f"{s.get('slow_rows', 0):,} rows on the slow path")

    def stages(self) -> str:
        """Where the evaluation time went (``reform batch -v``)."""
        s = self.stats
        mapping = s.get("evaluation", 0.0) - s.get("datalog_s", 0.0)
        return (f"reform batch: stages: cells to facts {s.get('columns_s', 0):.2f} s, facts to situation codes "
                f"{s.get('codes_s', 0):.2f} s, situations to answers {mapping:.2f} s + Datalog "
                f"{s.get('datalog_s', 0):.2f} s, answers to output text {s.get('render_s', 0):.2f} s")


def _format(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".jsonl":
        return "jsonl"
    raise BatchError(f"{path}: the {what} must end in .csv or .jsonl")


def _progress(total: int | None, enabled: bool | None):
    """A tqdm bar on a terminal (never when stderr is not a TTY or $CI is set)."""
    if enabled is None:
        enabled = sys.stderr.isatty() and not os.environ.get("CI")
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, unit="rows", unit_scale=True, desc="reform batch", file=sys.stderr, leave=False)


def read_csv_table(path: Path) -> tuple[pa.Table, list[tuple[int, str, str]], list[int]]:
    """Every row of a flat CSV as strings; malformed records as errors; the record number of each row."""
    import pyarrow.csv as pacsv
    header = _csv_header(path)
    bad: list[tuple[int | None, str]] = []

    def handler(row) -> str:
        bad.append((row.number, row.text))
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=threads, block_size=1 << 22),
                              parse_options=pacsv.ParseOptions(invalid_row_handler=handler),
                              convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                                                   strings_can_be_null=True, null_values=[""],
                                                                   quoted_strings_can_be_null=True))
    try:
        table = read(True)
        if bad:  # malformed records: read again in order to number the rows exactly
            bad.clear()
            table = read(False)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: not a readable CSV file ({exc})") from None
    skipped = sorted(max(1, (num or 2) - 1) for num, _ in bad)  # record number = line - 1 (the header)
    errors = [(rec, "", f"row {rec}: not a CSV row of {len(header)} fields: {text[:80]!r}")
              for rec, (num, text) in zip(skipped, sorted(bad, key=lambda b: b[0] or 0))]
    return table, errors, skipped


def _csv_header(path: Path) -> list[str]:
    import csv
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: cannot read ({exc})") from None
    if not header:
        raise BatchError(f"{path}: empty file (a CSV file starts with a header: {','.join(CSV_FIELDS)})")
    unknown = [h for h in header if h not in CSV_FIELDS]
    if unknown:
        raise BatchError(f"{path}: unknown column(s) {', '.join(unknown)} (the columns are: {', '.join(CSV_FIELDS)})")
    if "id" not in header:
        raise BatchError(f"{path}: the column 'id' is missing (the columns are: {', '.join(CSV_FIELDS)})")
    if len(set(header)) != len(header):
        raise BatchError(f"{path}: a column is named twice")
    return header


def _record_numbers(n: int, skipped: list[int]) -> Iterator[int]:
    """The record number of each of n good rows, given the numbers of skipped records."""
    s = iter(skipped)
    nxt = next(s, None)
    record = 0
    for _ in range(n):
        record += 1
        while nxt is not None and record == nxt:
            record += 1
            nxt = next(s, None)
        yield record


def iter_jsonl(path: Path, vocabulary, chunk: int = CHUNK_ROWS) -> Iterator[tuple[list, int]]:
    """Chunks of (row, citizen or None, id, message) from a JSON Lines file, and the rows read."""
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise BatchError(f"{path}: cannot read ({exc})") from None
    with fh:
        items: list = []
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            items.append(_json_item(number, line, vocabulary))
            if len(items) >= chunk:
                yield items, len(items)
                items = []
        if items:
            yield items, len(items)


class _Writer:
    """Writes blocks in a thread of its own, so that writing overlaps the work on the next block."""

    def __init__(self, path: Path, fmt: str):
        import queue
        import threading
        self.path, self.fmt = path, fmt
        self._stdout = is_stdout(path)
        try:
            self._fh = sys.stdout.buffer if self._stdout else open(path, "wb")
        except OSError as exc:
            raise BatchError(f"{path}: cannot write ({exc})") from None
        if fmt == "csv":
            self._fh.write((",".join(OUTPUT_FIELDS) + "\n").encode())
        self.seconds = 0.0
        self._queue: "queue.Queue" = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            data = self._queue.get()
            if data is None:
                return
            if self._error is None:
                t = time.perf_counter()
                try:
                    self._fh.write(data)
                except BaseException as exc:  # reported by close()
                    self._error = exc
                self.seconds += time.perf_counter() - t

    def write(self, result: ChunkResult) -> None:
        if self.fmt == "csv":
            for data in result.csv_blocks():
                self._queue.put(data)
        else:
            lines = result.json_lines()
            if lines:
                self._queue.put(("\n".join(lines) + "\n").encode("utf-8"))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        try:
            self._fh.flush() if self._stdout else self._fh.close()
        except OSError as exc:   # e.g. the reader of a pipe went away
            self._error = self._error or exc
        if self._stdout and isinstance(self._error, BrokenPipeError):
            # the reader stopped early (``| head``): as other tools do, stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return
        if self._error is not None:
            raise BatchError(f"{self.path}: cannot write ({self._error})")


def formula_safe_ids(ids: pa.Array) -> pa.Array:
    """The ids as CSV cells a spreadsheet will not run (``batch_layout.formula_safe``, on a whole column)."""
    risky = pc.match_substring_regex(ids, r"^[=+\-@\t\r]")
    if not pc.any(risky).as_py():
        return ids
    risky = pc.and_(risky, pc.invert(pc.match_substring_regex(ids, r"^[+-]?[0-9]+([.,][0-9]+)?$")))
    return pc.if_else(risky, pc.binary_join_element_wise("'", ids, ""), ids)


def write_errors(path: Path | None, errors: list[tuple[int, str, str]]) -> None:
    """The errors file (``row,id,message``); with no path (output on stdout), the same CSV on stderr.

    No record shows a refused id, a control character or a formula (``batch_layout.safe_error``)."""
    import csv
    rows = [safe_error(*e) for e in sorted(errors, key=lambda e: e[0])]
    if path is None:
        if rows:
            w = csv.writer(sys.stderr, lineterminator="\n")
            w.writerow(ERROR_FIELDS)
            w.writerows(rows)
        return
    try:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(ERROR_FIELDS)
            w.writerows(rows)
    except OSError as exc:
        raise BatchError(f"{path}: cannot write ({exc.strerror or exc})") from None


def is_stdout(path: Path | str) -> bool:
    return str(path) == "-"


def output_format(out: Path, out_format: str | None) -> str:
    """csv or jsonl: as asked, else by the file's extension (stdout: csv unless asked)."""
    if out_format is not None:
        if out_format not in ("csv", "jsonl"):
            raise BatchError(f"the output format is csv or jsonl, not {out_format!r}")
        return out_format
    return "csv" if is_stdout(out) else _format(out, "output")


def errors_file_for(out: Path, errors_path: Path | None) -> Path | None:
    """Where rows in error go: as given, else beside the output (None: stderr, when the output is stdout)."""
    if errors_path is not None:
        return errors_path
    return None if is_stdout(out) else out.with_name(out.name + ".errors.csv")


class Prefetch:
    """Read a CSV input in a thread (pyarrow releases the GIL) while the rules load in the main thread."""

    def __init__(self, path: Path):
        import threading
        self.path, self.result, self.error, self.seconds = path, None, None, 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        t = time.perf_counter()
        try:
            self.result = read_csv_table(self.path)
        except BaseException as exc:  # re-raised in the main thread
            self.error = exc
        self.seconds = time.perf_counter() - t

    def get(self):
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.result


class _HidePandas:
    """An import finder that answers 'not installed' for pandas (for pyarrow's one question)."""

    def find_spec(self, name: str, path=None, target=None):
        if name == "pandas":
            raise ModuleNotFoundError("pandas is not used by the local batch engine", name="pandas")
        return None


def pyarrow_without_pandas() -> None:
    """Spare a command-line batch the import of pandas (a quarter of a second on the critical path).

    pyarrow imports pandas the first time it builds any array, only to ask whether it was handed a
    pandas object; the local engine never hands it one. pyarrow asks once and remembers the answer,
    so pandas is hidden for that one question; importing pandas afterwards works as usual (only
    pyarrow's own pandas conversions are then off in this process, and the local engine has none).
    """
    if "pandas" in sys.modules:
        return
    finder = _HidePandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])
    except ImportError:  # a pyarrow that does not take 'not installed' quietly: pandas loads as before
        pass
    finally:
        sys.meta_path.remove(finder)


def use_fast_allocator() -> None:
    """Arrow's jemalloc pool when the wheel has it: for a big caseload it spends about a third less
    time in the kernel (page faults) than the default mimalloc pool (bench/batch.py)."""
    global _ALLOCATOR_SET
    if _ALLOCATOR_SET:
        return
    _ALLOCATOR_SET = True
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, AttributeError, pa.ArrowException):  # pragma: no cover - a wheel without it
        pass


_ALLOCATOR_SET = False


def prefetch(inp: Path) -> Prefetch | None:
    """Start reading ``inp`` now when it is a CSV file (None otherwise)."""
    use_fast_allocator()
    try:
        return Prefetch(inp) if _format(inp, "input") == "csv" and inp.is_file() else None
    except BatchError:
        return None

