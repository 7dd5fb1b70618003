"""The flat CSV layout of ``reform batch``: its columns, what a row means, and the output columns.

A row is the contract citizen object ``row_record(row)`` builds (one benefit spell and at most one
programme spell), validated by the same rules (``reform_rules.law.citizen.parse_citizen``); error messages name
the CSV column. JSON Lines rows are citizen objects as they are.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, Mapping

from reform_rules.basics.errors import CitizenError, Problem
from reform_rules.law.citizen import Citizen, parse_citizen
from reform_rules.law.facts import SpellKind, Vocabulary


def output_fields(shape) -> tuple[str, ...]:
    """The output columns, from the answer's declared fields: the citizen and the date, each single value (and
    the keys carried beside it), the status, the lists (compact), the open questions."""
    single = [c for f in shape.fields if f.kind in ("id", "value", "flag") for c in (f.id, *f.carry)]
    lists = [f.id for f in shape.fields if f.kind in ("status", "obligation")]
    return ("citizen", "date", *single, "status", *lists, "open_questions")
ERROR_FIELDS = ("row", "id", "message")


_WEEKS = re.compile(r"^[0-9]+$")
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def bool_cell(text: str) -> bool | str:
    """``true``/``false``/``1``/``0`` (any case, surrounding blanks ignored) → bool; anything else unchanged."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return text


def int_cell(text: str) -> int | str:
    word = text.strip()
    return int(word) if _WEEKS.match(word) else text


class Layout:
    """The flat CSV layout, derived from the vocabulary: one current spell and one spell of each
    beside kind a row. Citizen facts and the current spell's fields are columns of their own name;
    a beside kind's fields are prefixed with the kind (``programme_from``)."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = v = vocabulary
        self.citizen = [f for f in v.facts]
        self.current = v.current
        self.spells: list[tuple[SpellKind, dict[str, str]]] = []   # kind, column → spell field
        for kind in v.spell_kinds:
            p = kind.column_prefix
            fields = {kind.kind: kind.kind, f"{p}from": "from", f"{p}to": "to"}
            fields.update({f"{p}{f.id}": f.id for f in kind.facts})
            self.spells.append((kind, fields))
        self.fields: tuple[str, ...] = ("id",) + tuple(f.id for f in self.citizen) + \
            tuple(c for _, fields in self.spells for c in fields)
        self.types: dict[str, str] = {f.id: f.type for f in self.citizen}
        for kind, fields in self.spells:
            for column, name in fields.items():
                fact = next((f for f in kind.facts if f.id == name), None)
                self.types[column] = fact.type if fact else ("date" if name in ("from", "to") else "choice")
        self.defaults = {f.id: f.default for f in self.citizen}
        for kind, fields in self.spells:
            self.defaults.update({c: f.default for c, n in fields.items() for f in kind.facts if f.id == n})

    def typed(self, column: str, text: str) -> Any:
        kind = self.types.get(column)
        if kind == "bool":
            return bool_cell(text)
        if kind == "integer":
            return int_cell(text)
        return text

    def record(self, row: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The contract citizen object a flat CSV row stands for, and how its spell paths read as columns."""
        def cell(k: str) -> Any:
            value = row.get(k)
            if value in (None, ""):
                return None
            value = self.typed(k, value) if isinstance(value, str) else value
            return None if value is not None and value is self.defaults.get(k) else value
        record: dict[str, Any] = {"id": row.get("id") if row.get("id") not in (None, "") else None}
        for f in self.citizen:
            if cell(f.id) is not None:
                record[f.id] = cell(f.id)
        spells: list[dict[str, Any]] = []
        paths: dict[str, str] = {}
        for kind, fields in self.spells:
            spell = {name: cell(column) for column, name in fields.items() if cell(column) is not None}
            if spell:
                i = len(spells)
                paths.update({f"spells[{i}].{name}": column for column, name in fields.items()})
                paths[f"spells[{i}]"] = kind.kind
                spells.append(spell)
        if spells:
            record["spells"] = spells
        return record, paths


def row_record(row: Mapping[str, Any], vocabulary: Vocabulary) -> tuple[dict[str, Any], dict[str, str]]:
    """The contract citizen object a flat CSV row stands for (see ``Layout.record``)."""
    return Layout(vocabulary).record(row)


def _column_problem(problem: Problem, paths: dict[str, str]) -> Problem:
    """A problem of the contract record (``spells[0].from``) as a problem of the CSV row (the column ``from``)."""
    field = problem.field()
    for path, column in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        if field == path:
            return replace(problem, path=(column,), line=None)
        if field.startswith(path + "."):   # a field the layout has no column for: named as the record names it
            return replace(problem, path=(field[len(path) + 1:],), line=None)
    return replace(problem, line=None)


def parse_row(row: Mapping[str, Any], vocabulary, label: str, layout: Layout | None = None) -> Citizen:
    """The slow, exact path for one CSV row: a Citizen, or a CitizenError naming the CSV columns."""
    record, paths = (layout or Layout(vocabulary)).record(row)
    try:
        return parse_citizen(record, vocabulary, label)
    except CitizenError as exc:
        raise CitizenError([_column_problem(p, paths) for p in exc.problems]) from None


def id_text(value: Any) -> str:
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


def json_item(row: int, line: str, vocabulary) -> tuple:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return (row, None, "", f"row {row}: not a JSON object ({exc.msg})")
    cid = data.get("id") if isinstance(data, dict) else None
    try:
        return (row, parse_citizen(data, vocabulary, f"row {row}"), id_text(cid), "")
    except CitizenError as exc:
        return (row, None, id_text(cid), " | ".join(exc.messages))

