"""The JSON Schema of a citizen record, generated from the vocabulary's declaration of facts."""
from __future__ import annotations

from typing import Any

from reform_rules.law.citizen import STRUCTURAL
from reform_rules.law.facts import Fact, Vocabulary

DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def fact_schema(fact: Fact, vocabulary: Vocabulary, prefix: str = "") -> dict[str, Any]:
    """The JSON Schema of one declared fact."""
    out: dict[str, Any]
    if fact.type == "bool":
        out = {"type": "boolean"}
    elif fact.type == "integer":
        out = {"type": "integer", "minimum": fact.minimum, "maximum": fact.maximum}
    elif fact.type == "date":
        out = dict(DATE)
    else:
        table = vocabulary.table(fact.values or "")
        out = {"type": "string"}
        if not (table.suffixes or table.transliterate):
            out["enum"] = sorted(set(table) | {a for t in table.terms.values() for a in t.aliases})
        else:   # a forgiving match: every spelling is not listed
            out["examples"] = list(table)[:3]
    if fact.default is not None:
        out["default"] = fact.default
    out["description"] = prefix + fact.label["en"] + (f": {fact.help['en']}" if fact.help else "")
    return out


def or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema``, or ``null``: the parser reads a null fact (or ``to``, or ``spells``) as one left out (not known)."""
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def citizen_schema(vocabulary: Vocabulary, ref: str = "#/$defs/") -> dict[str, Any]:
    """A citizen record (``id``, the declared facts, and spells of the declared kinds)."""
    v = vocabulary
    spell: dict[str, Any] = {
        "type": "object", "additionalProperties": False, "required": ["from"],
        "description": f"One dated fact: exactly one of {', '.join('`' + k.kind + '`' for k in v.spell_kinds)}. "
                       f"{v.current.kind} spells must not overlap; `to` is inclusive and optional.",
        "properties": {},
    }
    for kind in v.spell_kinds:
        table = v.table(kind.values)
        names = set(table) | {a for t in table.terms.values() for a in t.aliases}
        spell["properties"][kind.kind] = {"type": "string", "description": kind.label["en"], "enum": sorted(names)}
    spell["properties"].update({"from": DATE, "to": or_null(DATE)})
    for kind in v.spell_kinds:
        for f in kind.facts:
            spell["properties"][f.id] = or_null(fact_schema(f, v, f"Only with {kind.kind} {', '.join(f.only_with)}. "
                                                            if f.only_with else f"Only on a {kind.kind} spell. "))
    id_, note, spells = STRUCTURAL
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object", "additionalProperties": False, "required": [id_],
        "description": "The citizen contract of the domain brief (docs/reform.rst, \"Interfaces\"), derived from the "
                       "rules' vocabulary.",
        "properties": {
            id_: {"type": ["string", "integer"], "minLength": 1,
                  "description": "A pseudonymous id (text, or a whole number); never a CPR number (refused)."},
            note: {"description": "Free text for the reader; the rules do not use it (a value that is not text "
                                  "is ignored)."},
            **{f.id: or_null(fact_schema(f, v)) for f in v.facts},
            spells: {"type": ["array", "null"], "items": {"$ref": f"{ref}Spell"}},
        },
        "$defs": {"Spell": spell},
    }
