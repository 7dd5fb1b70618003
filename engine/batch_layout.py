"""The flat CSV layout of ``reform batch``: its columns, what a row means, and the output columns.

A row is the contract citizen object ``row_record(row)`` builds (one benefit spell and at most one
programme spell), validated by the same rules (``engine.citizen.parse_citizen``); error messages name
the CSV column. JSON Lines rows are citizen objects as they are.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

from .citizen import Citizen, parse_citizen
from .errors import CitizenError, ReformError

CSV_FIELDS = ("id", "born", "municipality", "vocational_education", "exempted", "work_duty", "benefit", "assessment",
              "from", "to", "sick_from", "expected_absence_weeks", "uncomplicated", "programme", "programme_from",
              "programme_to")
BENEFIT_SPELL = ("benefit", "assessment", "from", "to", "sick_from", "expected_absence_weeks", "uncomplicated")
PROGRAMME_SPELL = {"programme": "programme", "programme_from": "from", "programme_to": "to"}
FLAGS = ("vocational_education", "exempted", "work_duty")
OUTPUT_FIELDS = ("citizen", "date", "phase", "target_group", "structure", "sanctionable", "trial", "jobpraemie",
                 "status", "programmes", "obligations", "open_questions")
ERROR_FIELDS = ("row", "id", "message")


_WEEKS = re.compile(r"^[0-9]+$")
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


class BatchError(ReformError):
    """The batch cannot run at all (unreadable input, unknown columns, bad flags)."""

    exit_code = 2


def bool_cell(text: str) -> bool | str:
    """``true``/``false``/``1``/``0`` (any case, surrounding blanks ignored) → bool; anything else unchanged."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return text


def weeks_cell(text: str) -> int | str:
    word = text.strip()
    return int(word) if _WEEKS.match(word) else text


def row_record(row: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The contract citizen object a flat CSV row stands for, and how its spell paths read as columns."""
    cell = lambda k: row.get(k) if row.get(k) not in (None, "") else None  # noqa: E731
    record: dict[str, Any] = {"id": cell("id")}
    if cell("born") is not None:
        record["born"] = cell("born")
    if cell("municipality") is not None:
        record["municipality"] = cell("municipality")
    for name in FLAGS:
        if cell(name) is not None:
            record[name] = bool_cell(cell(name))
    spells: list[dict[str, Any]] = []
    paths: dict[str, str] = {}
    spell = {k: cell(k) for k in BENEFIT_SPELL if cell(k) is not None}
    if "expected_absence_weeks" in spell:
        spell["expected_absence_weeks"] = weeks_cell(spell["expected_absence_weeks"])
    if "uncomplicated" in spell:
        spell["uncomplicated"] = bool_cell(spell["uncomplicated"])
        if spell["uncomplicated"] is False:
            del spell["uncomplicated"]
    if spell:
        paths[f"spells[{len(spells)}]"] = "benefit"
        spells.append(spell)
    prog = {PROGRAMME_SPELL[k]: cell(k) for k in PROGRAMME_SPELL if cell(k) is not None}
    if prog:
        i = len(spells)
        paths.update({f"spells[{i}].programme": "programme", f"spells[{i}].from": "programme_from",
                      f"spells[{i}].to": "programme_to", f"spells[{i}]": "programme"})
        spells.append(prog)
    if spells:
        record["spells"] = spells
    return record, paths


def _column_message(message: str, paths: dict[str, str]) -> str:
    """``row 3: spells[0].from: …`` → ``row 3: from: …`` (the CSV column, not the contract path)."""
    for path, column in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        if column == "benefit" and path.startswith("spells["):
            message = message.replace(f": {path}.", ": ").replace(f": {path}:", ": benefit:")
        else:
            message = message.replace(f": {path}:", f": {column}:")
    return message


def parse_row(row: Mapping[str, Any], vocabulary, label: str) -> Citizen:
    """The slow, exact path for one CSV row: a Citizen, or a CitizenError naming the CSV columns."""
    record, paths = row_record(row)
    try:
        return parse_citizen(record, vocabulary, label)
    except CitizenError as exc:
        raise CitizenError([_column_message(m, paths) for m in exc.messages]) from None


def _id_text(value: Any) -> str:
    return "" if value is None else str(value)


# -- what an output or errors cell may show ----------------------------------------------------------------------
# Control characters (C0, DEL, C1) and the bidirectional overrides and isolates would move a terminal's cursor,
# change its colours or reorder what it shows: they are written as escapes (\x1b, \n, \u202e).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# A spreadsheet reads a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?[0-9]+([.,][0-9]+)?$")
_ID_PART = re.compile(r"^(row \d+(?: \(line \d+\))?: )?id: ")


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\x1b``, ``\n`` …): safe on a terminal."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: _ESCAPES.get(m.group(), m.group().encode("unicode_escape").decode("ascii")), text)


def formula_safe(text: str) -> str:
    """A CSV cell a spreadsheet will not run: a leading ``'`` when it starts like a formula (``=``, ``+``,
    ``-``, ``@``, tab, CR), unless it is a plain number (``-12`` stays as it is)."""
    if text.startswith(FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def safe_error(row: int, cid: str, message: str) -> tuple[int, str, str]:
    """An error record as it may be written: no refused id (a message about the id blanks the id cell, so a
    CPR number never reaches the errors file), no control characters, no formula."""
    if any(_ID_PART.match(part) for part in message.split(" | ")):
        cid = ""
    return row, formula_safe(printable(cid)), printable(message)


def _json_item(row: int, line: str, vocabulary) -> tuple:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return (row, None, "", f"row {row}: not a JSON object ({exc.msg})")
    cid = data.get("id") if isinstance(data, dict) else None
    try:
        return (row, parse_citizen(data, vocabulary, f"row {row}"), _id_text(cid), "")
    except CitizenError as exc:
        return (row, None, _id_text(cid), " | ".join(exc.messages))

