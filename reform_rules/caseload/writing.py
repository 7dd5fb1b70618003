"""Writing a batch's answers (CSV, JSON Lines) and its errors file, in a background thread.

``BackgroundWriter`` is the one writer thread of the batch: a bounded queue of blocks written by a thread
of its own, so that writing overlaps the work on the next chunk (the CSV/JSON Lines writer here, the
Parquet writer in ``reform_rules/caseload/formats.py``).
"""
from __future__ import annotations

import csv
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from reform_rules.basics.errors import BatchError
from reform_rules.caseload.layout import ERROR_FIELDS, safe_error

if TYPE_CHECKING:
    from reform_rules.caseload.core import ChunkResult


def file_format(path: Path, what: str) -> str:
    """csv or jsonl, by the extension (``what``: input or output, for the message)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".jsonl":
        return "jsonl"
    raise BatchError(f"{path}: the {what} must end in .csv or .jsonl")


class BackgroundWriter:
    """Blocks put in a bounded queue and written by a thread of its own (``_write``); an error in the thread
    is kept and reported by ``close()``; ``seconds`` is the time spent writing."""

    def __init__(self, queue_size: int = 8):
        self.seconds = 0.0
        self.error: BaseException | None = None
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _write(self, block: Any) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while True:
            block = self._queue.get()
            if block is None:
                return
            if self.error is None:
                t = time.perf_counter()
                try:
                    self._write(block)
                except BaseException as exc:  # reported by close()
                    self.error = exc
                self.seconds += time.perf_counter() - t

    def put(self, block: Any) -> None:
        self._queue.put(block)

    def join(self) -> None:
        """Wait for every block put so far to be written."""
        self._queue.put(None)
        self._thread.join()


class TextWriter(BackgroundWriter):
    """CSV or JSON Lines answers into a file or stdout."""

    def __init__(self, path: Path, fmt: str, fields: Sequence[str]):
        self.path, self.fmt = path, fmt
        self._stdout = is_stdout(path)
        try:
            self._fh = sys.stdout.buffer if self._stdout else open(path, "wb")
        except OSError as exc:
            raise BatchError(f"{path}: cannot write ({exc})") from None
        if fmt == "csv":
            self._fh.write((",".join(fields) + "\n").encode())
        super().__init__(queue_size=8)

    def _write(self, data) -> None:
        self._fh.write(data)

    def write(self, result: "ChunkResult") -> None:
        if self.fmt == "csv":
            for data in result.csv_blocks():
                self.put(data)
        else:
            lines = result.json_lines()
            if lines:
                self.put(("\n".join(lines) + "\n").encode("utf-8"))

    def close(self) -> None:
        self.join()
        try:
            self._fh.flush() if self._stdout else self._fh.close()
        except OSError as exc:   # e.g. the reader of a pipe went away
            self.error = self.error or exc
        if self._stdout and isinstance(self.error, BrokenPipeError):
            # the reader stopped early (``| head``): as other tools do, stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return
        if self.error is not None:
            raise BatchError(f"{self.path}: cannot write ({self.error})")


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
    return "csv" if is_stdout(out) else file_format(out, "output")


def errors_file_for(out: Path, errors_path: Path | None) -> Path | None:
    """Where rows in error go: as given, else beside the output (None: stderr, when the output is stdout)."""
    if errors_path is not None:
        return errors_path
    return None if is_stdout(out) else out.with_name(out.name + ".errors.csv")
