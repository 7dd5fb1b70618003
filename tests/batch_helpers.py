"""Checks shared by the batch tests: rows in = rows out / dates + rows in errors, counted in the files."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

SUMMARY = re.compile(r"([\d,]+) rows in, ([\d,]+) rows out \((\d+) dates?\), ([\d,]+) rows in errors")


def input_rows(path: Path, encoding: str = "utf-8") -> int:
    """The rows of a batch input, counted without the engine: non-blank lines (less the header of a CSV)."""
    text = path.read_bytes().decode(encoding, errors="replace").lstrip("\ufeff")
    if path.suffix == ".jsonl":
        return sum(1 for line in text.split("\n") if line.strip())
    return sum(1 for line in re.split(r"\r\n|\r|\n", text) if line) - 1


def output_rows(text: str, fmt: str) -> int:
    if fmt == "jsonl":
        return sum(1 for line in text.splitlines() if line.strip())
    rows = list(csv.reader(io.StringIO(text)))
    return len(rows) - 1 if rows else 0


def error_rows(text: str) -> int:
    return len(list(csv.DictReader(io.StringIO(text)))) if text.strip() else 0


def assert_rows_add_up(inp: Path, days: int, *, out: Path | None = None, stdout: str | None = None,
                       errors: Path | None = None, error_text: str | None = None, summary=None,
                       stderr: str | None = None, encoding: str = "utf-8") -> tuple[int, int, int]:
    """rows in = rows out / dates + rows in errors, each counted in the files (input, output, errors file
    or the errors CSV on stderr); the summary (a ``Summary`` or the summary line on stderr) says the same.
    Returns (rows in, rows out, rows in errors)."""
    if out is not None:
        fmt = "jsonl" if out.suffix == ".jsonl" else "csv"
        out_text = out.read_text(encoding="utf-8")
        if errors is None and error_text is None:
            errors = out.with_name(out.name + ".errors.csv")
    else:
        fmt, out_text = "csv", stdout or ""
    if errors is not None:
        error_text = errors.read_text(encoding="utf-8")
    elif error_text is not None and "row,id,message" in error_text:   # the errors CSV on stderr
        error_text = error_text[error_text.index("row,id,message"):]
        error_text = "\n".join(line for line in error_text.splitlines() if not SUMMARY.search(line))
    rows_in, rows_out, rows_err = input_rows(inp, encoding), output_rows(out_text, fmt), error_rows(error_text or "")
    assert rows_out % days == 0, (rows_out, days)
    assert rows_in == rows_out // days + rows_err, (rows_in, rows_out, days, rows_err)
    if summary is not None:
        assert (summary.rows_in, summary.rows_out, summary.errors, summary.days) == (rows_in, rows_out, rows_err,
                                                                                     days)
    if stderr is not None:
        m = SUMMARY.search(stderr)
        assert m, stderr
        said = tuple(int(x.replace(",", "")) for x in m.groups())
        assert said == (rows_in, rows_out, days, rows_err), (said, rows_in, rows_out, days, rows_err)
    return rows_in, rows_out, rows_err
