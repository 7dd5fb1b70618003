"""Checks of one rule file beyond its schema; each error is ``file:line: field: message``.

Refused (errors, nothing loaded): bidirectional control characters anywhere in the text (they make
a line display in another order than it reads, so a reviewer can be shown one rule and the engine
given another), a vocabulary horizon that ends before it starts, and a parameter value whose ``to``
is before its ``from``.
"""
from __future__ import annotations

import unicodedata

from reform_rules.basics import dates
from reform_rules.law.loader import Document, format_path

# U+202A–U+202E (embeddings and overrides) and U+2066–U+2069 (isolates).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_errors(text: str, label: str) -> list[str]:
    """One error per line of ``text`` that holds a bidirectional control character."""
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = [(i, ch) for i, ch in enumerate(line) if ch in BIDI_CONTROLS]
        if found:
            column, ch = found[0]
            errors.append(f"{label}:{number}: column {column + 1}: a bidirectional control character "
                          f"(U+{ord(ch):04X} {unicodedata.name(ch)}) makes the text display in another order "
                          "than it reads; remove it")
    return errors


def _order_error(doc: Document, path: tuple, start: object, end: object) -> str | None:
    if start is None or end is None:
        return None
    first, last = dates.parse_date(start), dates.parse_date(end)
    if last >= first:
        return None
    to_path = path + ("to",)
    return f"{doc.file}:{doc.line(to_path)}: {format_path(to_path)}: {last} is before from {first}"


def document_errors(doc: Document, kind: str) -> list[str]:
    """Errors of a schema-valid document that its schema cannot express (the order of two dates)."""
    data, out = doc.data, []
    if kind == "vocabulary" and isinstance(data.get("horizon"), dict):
        h = data["horizon"]
        out.append(_order_error(doc, ("horizon",), h.get("from"), h.get("to")))
    elif kind == "parameters":
        for i, p in enumerate(data.get("parameters", [])):
            for j, v in enumerate(p.get("values", [])):
                out.append(_order_error(doc, ("parameters", i, "values", j), v.get("from"), v.get("to")))
    return [e for e in out if e]
