"""The files of ``reform batch``: reading CSV and JSON Lines, writing answers and errors, the summary.

Reading runs in a thread beside the loading of the rules (pyarrow releases the GIL); writing runs in a
thread of its own, so that it overlaps the work on the next block.
"""
from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence, TYPE_CHECKING, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from reform_rules.basics.errors import BatchError
from reform_rules.caseload.layout import ERROR_FIELDS, _json_item, printable, safe_error

if TYPE_CHECKING:
    from reform_rules.caseload.batch import ChunkResult

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


def _progress(total: int | None, enabled: bool | None, desc: str = "reform batch", unit: str = "rows"):
    """A tqdm bar on a terminal (never when stderr is not a TTY or $CI is set)."""
    if enabled is None:
        enabled = sys.stderr.isatty() and not os.environ.get("CI")
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, unit=unit, unit_scale=True, desc=desc, file=sys.stderr, leave=False)


MAX_CELL = 65_536   # bytes: a longer cell makes its row an error (a real cell is a few dozen bytes)
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1", "utf-16": "UTF-16"}


@dataclass
class Dialect:
    """How a CSV input is written: the separator and the encoding (None: detected), and what was detected."""

    delimiter: str | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    fields: tuple[str, ...] | None = None   # the layout's columns, when known (from the rules' vocabulary)

    @staticmethod
    def of(delimiter: str | None, encoding: str | None) -> "Dialect":
        """From the command line's ``--delimiter`` and ``--encoding`` (``auto``/None: detect)."""
        import codecs
        if delimiter is not None:
            delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(delimiter.lower(), delimiter)
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise BatchError(f"--delimiter: {delimiter!r} is not a separator (give , ; or tab)")
        if encoding is not None and encoding.lower() != "auto":
            try:
                encoding = codecs.lookup(encoding).name
            except LookupError:
                raise BatchError(f"--encoding: {encoding!r} is not an encoding (give utf-8, cp1252 or latin-1)") from None
            encoding = {"iso8859-1": "latin-1", "utf-8-sig": "utf-8"}.get(encoding, encoding)
        else:
            encoding = None
        return Dialect(delimiter, encoding)


def read_csv_table(path: Path, dialect: Dialect | None = None) -> tuple[pa.Table, list[tuple[int, str, str]], list[int]]:
    """Every row of a flat CSV as strings; malformed records as errors; the numbers of the rows in error.

    A record is one line (blank lines are not records). The fast path is pyarrow's parser; when it finds a
    record that is not one line of as many fields as the header (a quote left open, a line too long or too
    short), or a cell longer than ``MAX_CELL``, the file is scanned line by line: each such line is one row
    in error, named by its line, and every other line is read as the row it is.
    """
    import pyarrow.csv as pacsv
    dialect = dialect or Dialect()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BatchError(f"{path}: cannot read ({exc.strerror or exc})") from None
    detect = dialect.encoding is None
    data, header = _decode(path, raw, dialect)
    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in header}, strings_can_be_null=True,
                                   null_values=[""], quoted_strings_can_be_null=True)
    malformed: list = []

    def handler(row) -> str:
        malformed.append(row.number)
        return "skip"

    def read(buffer: bytes, threads: bool) -> pa.Table:
        return pacsv.read_csv(pa.BufferReader(buffer),
                              read_options=pacsv.ReadOptions(use_threads=threads, block_size=1 << 22),
                              parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter,
                                                               invalid_row_handler=handler),
                              convert_options=convert)

    for attempt in (1, 2):
        table = None
        # text that is not UTF-8 is never handed to pyarrow: it cannot show a bad row's bytes to the handler
        utf8 = dialect.encoding != "utf-8" or _is_utf8(data)
        try:
            table = read(data, True) if utf8 else None
        except pa.ArrowInvalid:   # a record longer than a block (the careful path names it)
            pass
        if table is not None and not malformed and _one_line_each(data, table):
            return table, [], []
        if dialect.encoding == "utf-8" and not _is_utf8(data):
            if attempt == 2 or not detect or _mixed_utf8(data):
                raise BatchError(_not_utf8(path, data, mixed=detect))
            dialect.encoding = None   # detected: not UTF-8, so Excel's 'CSV' (Windows-1252)
            data, header = _decode(path, raw, dialect, fallback="cp1252")
            malformed.clear()
            continue
        break
    # the careful path: which lines are rows, and which are rows in error
    lines = data.splitlines(keepends=True)
    good, errors = _scan_lines(lines, header, dialect.delimiter)
    malformed.clear()
    body = b"".join(line.rstrip(b"\r\n") + b"\n" for line in lines[:1] + [line for _, line, _ in good])
    del lines
    try:
        table = read(body, False)
    except pa.ArrowInvalid as exc:  # pragma: no cover - the scan leaves only lines pyarrow reads
        raise BatchError(f"{path}: not a readable CSV file ({printable(str(exc))[:200]})") from None
    if malformed:  # pragma: no cover - pyarrow and the scan disagree about a line: it is a row in error too
        for index in sorted({number - 2 for number in malformed if number}):
            row, _, line = good[index]
            errors.append((row, "", f"row {row} (line {line}): not a CSV row of {len(header)} fields"))
    errors.sort()
    return table, errors, [e[0] for e in errors]


_BLANK_LINE = re.compile(rb"\n\r?\n")


def _one_line_each(data: bytes, table: pa.Table) -> bool:
    """Whether every record pyarrow read was one line (no quote ran on over a line end) and no cell is over
    ``MAX_CELL``. Cheap: a file without a quote has no record over a line end; one with quotes and no blank
    line has as many lines as rows (a count of line ends); only else are the cells searched."""
    for column in table.columns:
        longest = pc.max(pc.binary_length(column)).as_py()
        if longest is not None and longest > MAX_CELL:
            return False
    if data.find(b'"', len(_first_line(data))) < 0:   # no quote below the header
        return True
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    if lines == table.num_rows + 1 and not _BLANK_LINE.search(data):
        return True
    return not any(pc.any(pc.match_substring(column, ch)).as_py() for column in table.columns for ch in "\n\r")


def _scan_lines(lines: list[bytes], header: list[str], delimiter: str) -> tuple[list[tuple[int, bytes, int]], list]:
    """The rows of the file line by line: (row number, line, line number) of the good ones, and errors."""
    import csv
    width = len(header)
    sep = delimiter.encode()
    good: list[tuple[int, bytes, int]] = []
    errors: list[tuple[int, str, str]] = []
    row = 0
    for number, line in enumerate(lines[1:], 2):
        content = line.rstrip(b"\r\n")
        if not content:
            continue   # a blank line is not a row
        row += 1
        where = f"row {row} (line {number})"
        if b'"' not in content and len(content) <= MAX_CELL:
            fields = content.count(sep) + 1
            if fields == width:
                good.append((row, line, number))
            else:
                errors.append((row, "", f"{where}: not a CSV row of {width} fields (it has {fields})"))
            continue
        text = content.decode("utf-8", errors="replace")
        limit = csv.field_size_limit()
        csv.field_size_limit(max(limit, len(text) + 1))
        try:
            cells = next(csv.reader([text + "\n"], delimiter=delimiter))
        except csv.Error as exc:  # pragma: no cover - a non-strict reader takes any one line
            errors.append((row, "", f"{where}: not a CSV row ({exc})"))
            continue
        finally:
            csv.field_size_limit(limit)
        if any("\n" in c or "\r" in c for c in cells):
            errors.append((row, "", f"{where}: a quote (\") opens a value that does not close on its line; the "
                                    f"row is skipped and the next line read as the next row"))
        elif len(cells) != width:
            errors.append((row, "", f"{where}: not a CSV row of {width} fields (it has {len(cells)})"))
        elif any(len(c.encode("utf-8")) > MAX_CELL for c in cells):
            column, size = next((h, len(c.encode("utf-8"))) for h, c in zip(header, cells)
                                if len(c.encode("utf-8")) > MAX_CELL)
            errors.append((row, "", f"{where}: {column}: a cell of {size:,} bytes (at most {MAX_CELL:,})"))
        else:
            good.append((row, line, number))
    return good, errors


def _not_utf8(path: Path, data: bytes, mixed: bool = False) -> str:
    """The message for a file that is not UTF-8: where, and the flag that reads it."""
    try:
        data.decode("utf-8")
        where = ""
    except UnicodeDecodeError as exc:
        where = f" (line {_line_of(data, exc.start)})"
    if mixed:
        return (f"{path}: partly UTF-8 and partly not{where}: two encodings in one file; save it again as "
                f"'CSV UTF-8', or give --encoding")
    return (f"{path}: not UTF-8 text{where}; a file Excel saved as 'CSV' is Windows-1252: give --encoding cp1252 "
            f"(or save it as 'CSV UTF-8')")


def _decode(path: Path, raw: bytes, dialect: Dialect, fallback: str = "utf-8") -> tuple[bytes, list[str]]:
    """The file as UTF-8 bytes (no BOM) and its checked header; the dialect completed, with notes.

    Detection: a UTF-16 BOM is UTF-16; anything else is read as UTF-8 (``fallback`` when that failed)."""
    encoding = dialect.encoding
    if encoding is None:
        encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else fallback
        if encoding != "utf-8":
            dialect.notes.append(f"{path}: read as {ENCODINGS.get(encoding, encoding)} text, as it is not UTF-8 "
                                 f"(--encoding to choose)")
    data = raw
    if encoding != "utf-8":
        try:
            data = raw.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            line = _line_of(raw, exc.start)
            raise BatchError(f"{path}: line {line}: not {ENCODINGS.get(encoding, encoding)} text "
                             f"(--encoding to choose another)") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    dialect.encoding = encoding
    first = _first_line(data).rstrip(b"\r\n")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise BatchError(_not_utf8(path, first)) from None
    return data, _header_cells(path, text, dialect)


def _first_line(data: bytes) -> bytes:
    """The first line, with its end (``\n``, ``\r\n`` or ``\r``)."""
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    if not ends:
        return data
    end = min(ends)
    return data[:end + (2 if data[end:end + 2] == b"\r\n" else 1)]


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _mixed_utf8(data: bytes) -> bool:
    """Whether text that is not UTF-8 still holds UTF-8 Danish letters (æ ø å Æ Ø Å é): two encodings in one
    file, which no single --encoding reads right."""
    return re.search(rb"\xc3[\x85\x86\x98\xa5\xa6\xb8\xa9]", data) is not None


def _header_cells(path: Path, line: str, dialect: Dialect) -> list[str]:
    """The header's columns, checked; the separator detected when not given (the one that names only columns
    of the layout)."""
    import csv
    if not line.strip():
        raise BatchError(f"{path}: empty file (a CSV file starts with a header naming its columns, 'id' first)")

    def cells(sep: str) -> list[str]:
        return next(csv.reader([line], delimiter=sep), [])
    delimiter = dialect.delimiter
    if delimiter is None:
        known = dialect.fields
        fits = [sep for sep in DELIMITERS if "id" in cells(sep) and (known is None or all(h in known for h in cells(sep)))]
        delimiter = max(fits, key=lambda sep: len(cells(sep))) if fits else ","
        if delimiter != ",":
            dialect.notes.append(f"{path}: cells separated by {DELIMITERS[delimiter]}s (--delimiter to choose)")
    dialect.delimiter = delimiter
    header = cells(delimiter)
    unknown = [h for h in header if dialect.fields is not None and h not in dialect.fields]
    if unknown:
        other = [sep for sep in DELIMITERS if sep != delimiter and sep in line]
        hint = ""
        if other:
            hint = f"; if the cells are separated by {DELIMITERS[other[0]]}s, give --delimiter {other[0]!r}"
        elif len(header) == 1:
            hint = "; if the cells are separated by another character, give it as --delimiter"
        shown = ", ".join(printable(h) for h in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise BatchError(f"{path}: unknown column(s) {shown} (the columns are: {', '.join(dialect.fields or ())}){hint}")
    if "id" not in header and dialect.fields is not None:   # checked once the layout is known (the rules loaded)
        raise BatchError(f"{path}: the column 'id' is missing")
    if len(set(header)) != len(header):
        raise BatchError(f"{path}: a column is named twice")
    return header


def _csv_header(path: Path, dialect: Dialect | None = None) -> list[str]:
    """The checked header of a CSV file (the dialect completed from its first line)."""
    dialect = dialect or Dialect()
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
    except OSError as exc:
        raise BatchError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or dialect.encoding == "utf-16":
        return _decode(path, head[:len(head) // 2 * 2], dialect)[1]
    first = _first_line(head)
    return _decode(path, first, dialect, fallback="utf-8" if _is_utf8(first) else "cp1252")[1]


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
        fh = open(path, "rb")
    except OSError as exc:
        raise BatchError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        items: list = []
        for number, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:   # one row in error, not a stopped run
                items.append((number, None, "", f"row {number}: not UTF-8 text (byte {exc.start + 1} of the line)"))
                continue
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

    def __init__(self, path: Path, fmt: str, fields: Sequence[str]):
        import queue
        import threading
        self.path, self.fmt = path, fmt
        self._stdout = is_stdout(path)
        try:
            self._fh = sys.stdout.buffer if self._stdout else open(path, "wb")
        except OSError as exc:
            raise BatchError(f"{path}: cannot write ({exc})") from None
        if fmt == "csv":
            self._fh.write((",".join(fields) + "\n").encode())
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

    def __init__(self, path: Path, dialect: Dialect | None = None):
        import threading
        self.path, self.result, self.error, self.seconds = path, None, None, 0.0
        self.dialect = dialect or Dialect()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        t = time.perf_counter()
        try:
            self.result = read_csv_table(self.path, self.dialect)
        except BaseException as exc:  # re-raised in the main thread
            self.error = exc
        self.seconds = time.perf_counter() - t

    def join(self) -> None:
        """Wait for the read to end (a process must not exit while pyarrow reads in another thread: its
        thread pool's shutdown at exit then waits for the read, and the read for Python, for ever)."""
        self._thread.join()

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


def prefetch(inp: Path, dialect: Dialect | None = None) -> Prefetch | None:
    """Start reading ``inp`` now when it is a CSV file (None otherwise)."""
    use_fast_allocator()
    try:
        return Prefetch(inp, dialect) if _format(inp, "input") == "csv" and inp.is_file() else None
    except BatchError:
        return None



# -- where a batch writes: temporary files, renamed into place when the run is done; a lock per target --------------
class TargetBusy(BatchError):
    """Another batch is writing to the same output (or errors file)."""

    exit_code = 3


class Targets:
    """The output and errors file of one batch, written safely.

    On entering, each target file is locked (``fcntl.flock`` on ``TARGET.lock`` beside it; a second batch to
    the same target is refused with ``TargetBusy``). The run writes ``TARGET.partial``; ``commit()`` renames
    the errors file and then the output into place, so a target is either a finished run's or absent.
    ``clear()`` removes an older run's output and errors file (called when this run starts writing, so that
    nothing left there can be taken for this run's). Leaving without ``commit()`` removes what was written.
    """

    def __init__(self, out: Path, errors: Path | None):
        self.out, self.errors = out, errors
        self.files = [p for p in (None if is_stdout(out) else out, errors) if p is not None]
        self._locks: list[tuple[int, Path]] = []
        self._moved: list[Path] = []
        self.committed = False

    def partial(self, path: Path | None) -> Path | None:
        return None if path is None else path.with_name(path.name + ".partial")

    @property
    def out_partial(self) -> Path:
        return self.out if is_stdout(self.out) else self.partial(self.out)

    @property
    def errors_partial(self) -> Path | None:
        return self.partial(self.errors)

    def __enter__(self) -> "Targets":
        _ACTIVE.append(self)
        try:
            for path in self.files:
                self._locks.append(_lock(path))
        except BaseException:
            self._unlock()
            _ACTIVE.remove(self)
            raise
        return self

    def abandon(self) -> None:
        """Remove what this run wrote and its lock files, at once (on a signal, just before the process ends)."""
        paths = [] if self.committed else [self.partial(p) for p in self.files] + self._moved
        for path in paths + [lock for _, lock in self._locks]:
            try:
                path.unlink()
            except OSError:
                pass

    def clear(self) -> None:
        for path in self.files:
            for old in (path, self.partial(path)):
                try:
                    old.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise BatchError(f"{old}: cannot remove the older file ({exc.strerror or exc})") from None

    def commit(self) -> None:
        try:
            for path in self.files[::-1]:   # the errors file first: the output, last, says the run is done
                os.replace(self.partial(path), path)
                self._moved.append(path)
        except OSError as exc:
            raise BatchError(f"{self.out}: cannot move the finished file into place ({exc.strerror or exc})") from None
        self.committed = True

    def __exit__(self, *exc) -> None:
        if not self.committed:   # what was written, and a file moved into place by a commit that failed
            for path in [self.partial(p) for p in self.files] + self._moved:
                try:
                    path.unlink()
                except OSError:
                    pass
        self._unlock()
        _ACTIVE.remove(self)

    def _unlock(self) -> None:
        import fcntl
        for fd, lock in reversed(self._locks):
            try:
                lock.unlink()   # while still holding it: a batch that opened it before sees another inode and retries
            except OSError:
                pass
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._locks.clear()


_ACTIVE: list[Targets] = []   # the targets of the runs in progress (for StopOnSignal)


def _lock(target: Path) -> tuple[int, Path]:
    """Hold ``TARGET.lock`` (``flock``, not waiting): the descriptor and the lock file; ``TargetBusy`` if held."""
    import fcntl
    lock = target.with_name(target.name + ".lock")
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BatchError(f"{target}: cannot write here ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode("ascii", errors="replace").strip()
            os.close(fd)
            by = f" (process {holder})" if holder.isdigit() else ""
            raise TargetBusy(f"{target}: another reform batch{by} is writing this file; wait for it to finish or "
                             f"choose another --out") from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:   # else the holder removed it between our open and our lock: take the new one
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd, lock
        os.close(fd)


class StopOnSignal:
    """On SIGTERM or SIGINT: remove what the run has written (``Targets.abandon``), stop the forked helpers,
    say so in one line on stderr and exit 128 + the signal's number (143, 130).

    The handler does the clean-up itself and ends with ``os._exit``: an exception raised from a signal
    handler can land where Python ignores it (a fork hook, a finaliser) and the run would go on. A forked
    helper that inherits the handler exits quietly.
    """

    def __init__(self, command: str):
        self.command = command

    def __enter__(self) -> "StopOnSignal":
        import signal
        global _FORK_HOOK
        self._pid = os.getpid()
        self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGTERM, signal.SIGINT)}
        if not _FORK_HOOK:
            _PARENT[:] = [os.getpid(), _libc()]
            os.register_at_fork(after_in_child=_child_signals)
            _FORK_HOOK = True
        return self

    def _handle(self, signum, frame) -> None:
        import signal
        if os.getpid() != self._pid:   # a forked helper
            os._exit(128 + signum)
        written = False
        try:   # nothing here may raise: the process ends below whatever happens
            written = any(t.committed for t in _ACTIVE)
            for targets in list(_ACTIVE):
                targets.abandon()
        except BaseException:   # pragma: no cover
            pass
        try:
            mp = sys.modules.get("multiprocessing")
            for child in getattr(mp, "active_children", list)():   # (multiprocessing may be half imported)
                os.kill(child.pid, signal.SIGKILL)
        except BaseException:   # pragma: no cover - a helper without a parent ends at its next read
            pass
        try:
            what = "the output was complete" if written else "no output was written"
            os.write(2, f"reform {self.command}: stopped by {signal.Signals(signum).name} before the end; {what}\n"
                     .encode())
        finally:
            os._exit(128 + signum)

    def __exit__(self, *exc) -> None:
        import signal
        for s, handler in self._old.items():
            signal.signal(s, handler)


_FORK_HOOK = False
_PARENT: list = []   # the batch's pid, and libc (for prctl) when there is one


def _libc():
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc if hasattr(libc, "prctl") else None
    except (OSError, AttributeError):   # pragma: no cover - not Linux
        return None


def _child_signals() -> None:
    """In a forked helper: SIGTERM ends it at once, as by default (the pool's terminate() counts on it, even
    while it waits on a lock); SIGINT (Ctrl-C reaches the whole process group) is left to the parent; and
    on Linux the helper is killed when the batch ends, however it ends (a helper forked in the instant the
    batch was stopped would otherwise wait for work for ever, holding the batch's stderr open)."""
    import signal
    try:
        if isinstance(getattr(signal.getsignal(signal.SIGTERM), "__self__", None), StopOnSignal):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            pid, libc = _PARENT
            if libc is not None:
                libc.prctl(1, int(signal.SIGKILL))   # PR_SET_PDEATHSIG
                if os.getppid() != pid:   # the batch ended before that
                    os._exit(1)
    except (ValueError, OSError):   # pragma: no cover - not the main thread
        pass


def check_paths(inp: Path, out: Path, errors: Path | None) -> None:
    """Refuse an output or errors file that is the input, or one file given as both."""
    def same(a: Path, b: Path) -> bool:
        try:
            return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
        except OSError:
            return False
    targets = [("--out", out)] if not is_stdout(out) else []
    targets += [("--errors", errors)] if errors is not None else []
    for flag, path in targets:
        if same(path, inp):
            raise BatchError(f"{flag} {path}: is the input file; choose another file")
    if len(targets) == 2 and same(out, errors):
        raise BatchError(f"--errors {errors}: is the output file too; choose another file")
