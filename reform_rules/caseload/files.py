"""Reading a batch's input: CSV (its dialect: separator, encoding, malformed lines) and JSON Lines; the
run's summary. Reading runs in a thread beside the loading of the rules (pyarrow releases the GIL).

Writing is in ``writing.py``, the targets and their locks in ``targets.py``, signals in ``signals.py``.
"""
from __future__ import annotations

import codecs
import csv
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from reform_rules.basics.errors import BatchError
from reform_rules.caseload.layout import json_item, printable
from reform_rules.caseload.signals import StopOnSignal  # noqa: F401 - the command line's name for it
from reform_rules.caseload.speed import pyarrow_without_pandas, use_fast_allocator  # noqa: F401 - as above
from reform_rules.caseload.targets import Targets  # noqa: F401 - as above
from reform_rules.caseload.writing import file_format

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
                f"write {s.get('writing_s', 0):.2f} s (overlapping), wall {self.wall:.2f} s; "
                f"{s.get('signatures', 0):,} distinct situations"
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


def progress_bar(total: int | None, enabled: bool | None, desc: str = "reform batch", unit: str = "rows"):
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
        if delimiter is not None:
            delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(delimiter.lower(), delimiter)
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise BatchError(f"--delimiter: {delimiter!r} is not a separator (give , ; or tab)")
        if encoding is not None and encoding.lower() != "auto":
            try:
                encoding = codecs.lookup(encoding).name
            except LookupError:
                raise BatchError(f"--encoding: {encoding!r} is not an encoding "
                                 "(give utf-8, cp1252 or latin-1)") from None
            encoding = {"iso8859-1": "latin-1", "utf-8-sig": "utf-8"}.get(encoding, encoding)
        else:
            encoding = None
        return Dialect(delimiter, encoding)


def read_csv_table(path: Path,
                   dialect: Dialect | None = None) -> tuple[pa.Table, list[tuple[int, str, str]], list[int]]:
    """Every row of a flat CSV as strings; malformed records as errors; the numbers of the rows in error.

    A record is one line (blank lines are not records). The fast path is pyarrow's parser; when it finds a
    record that is not one line of as many fields as the header (a quote left open, a line too long or too
    short), or a cell longer than ``MAX_CELL``, the file is scanned line by line: each such line is one row
    in error, named by its line, and every other line is read as the row it is.
    """
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
    assert dialect.delimiter is not None   # set from the header by _decode
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
            column, size = next((h, len(c.encode("utf-8"))) for h, c in zip(header, cells, strict=True)
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
    if not line.strip():
        raise BatchError(f"{path}: empty file (a CSV file starts with a header naming its columns, 'id' first)")

    def cells(sep: str) -> list[str]:
        return next(csv.reader([line], delimiter=sep), [])
    delimiter = dialect.delimiter
    if delimiter is None:
        known = dialect.fields
        fits = [sep for sep in DELIMITERS
                if "id" in cells(sep) and (known is None or all(h in known for h in cells(sep)))]
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
        raise BatchError(f"{path}: unknown column(s) {shown} "
                         f"(the columns are: {', '.join(dialect.fields or ())}){hint}")
    if "id" not in header and dialect.fields is not None:   # checked once the layout is known (the rules loaded)
        raise BatchError(f"{path}: the column 'id' is missing")
    if len(set(header)) != len(header):
        raise BatchError(f"{path}: a column is named twice")
    return header


def csv_header(path: Path, dialect: Dialect | None = None) -> list[str]:
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


def record_numbers(n: int, skipped: list[int]) -> Iterator[int]:
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
            items.append(json_item(number, line, vocabulary))
            if len(items) >= chunk:
                yield items, len(items)
                items = []
        if items:
            yield items, len(items)


class Prefetch:
    """Read an input in a thread (pyarrow releases the GIL) while the rules load in the main thread; a CSV here,
    other formats by overriding :meth:`read`."""

    def __init__(self, path: Path, dialect: Dialect | None = None):
        self.path, self.seconds = path, 0.0
        self.result: tuple[pa.Table, list, list[int]] | None = None
        self.error: BaseException | None = None
        self.dialect = dialect or Dialect()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def read(self) -> tuple[pa.Table, list, list[int]]:
        return read_csv_table(self.path, self.dialect)

    def _run(self) -> None:
        t = time.perf_counter()
        try:
            self.result = self.read()
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


def prefetch(inp: Path, dialect: Dialect | None = None) -> Prefetch | None:
    """Start reading ``inp`` now when it is a CSV file (None otherwise)."""
    use_fast_allocator()
    try:
        return Prefetch(inp, dialect) if file_format(inp, "input") == "csv" and inp.is_file() else None
    except BatchError:
        return None
