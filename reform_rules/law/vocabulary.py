"""Read the vocabulary declaration (``subject: vocabulary`` and ``subject: values`` files) into
``facts.Vocabulary``; every problem is ``file:line: field: message``."""
from __future__ import annotations

from typing import Protocol

from reform_rules.basics import dates
from reform_rules.law.facts import FACT_TYPES, Fact, Measure, SpellKind, Term, ValueTable, Vocabulary
from reform_rules.law.loader import Document, format_path
from reform_rules.law.model import Citation


def _terms(items: list[dict]) -> dict[str, Term]:
    return {t["id"]: Term(t["id"], t.get("title") or {"da": t["id"], "en": t["id"]},
                          tuple(t.get("aliases", ())), tuple(t.get("paid_by", ()))) for t in items}


def _measures(items: list[dict], default_of: str | None = None) -> tuple[Measure, ...]:
    return tuple(Measure(m["id"], m.get("of") or default_of or "", m["kind"], m.get("label") or {}) for m in items)


def _fact(d: dict, on: str, line: int) -> Fact:
    return Fact(id=d["id"], type=d["type"], on=on, label=d["label"], help=d.get("help") or {},
                default=d.get("default"), values=d.get("values"), minimum=d.get("minimum"),
                maximum=d.get("maximum"), only_with=tuple(d.get("only_with", ())), default_of=d.get("default_of"),
                spells_not_before=bool(d.get("spells_not_before")),
                measures=_measures(d.get("measures", []), d["id"]), aliases=tuple(d.get("aliases", ())), line=line)


class _Report(Protocol):
    """Records one problem at ``path`` of a document (by default the vocabulary's own)."""

    def __call__(self, path: tuple, message: str, document: Document = ...) -> None: ...


def read_vocabulary(doc: Document, value_docs: list[Document]) -> tuple[Vocabulary | None, list[str]]:
    """The declaration in ``doc`` with the value tables of ``value_docs``, and every problem found."""
    d, errors = doc.data, []

    def err(path: tuple, message: str, document: Document = doc) -> None:
        errors.append(f"{document.file}:{document.line(path)}: {format_path(path)}: {message}")

    tables = _inline_tables(doc, err)
    for vd in value_docs:
        _add_value_table(vd, tables, err)
    names: dict[str, tuple] = {}
    facts = [_declare(_fact(f, "citizen", doc.line(("facts", i))), ("facts", i), tables, names, err)
             for i, f in enumerate(d.get("facts", []))]
    kinds = [_spell_kind(doc, i, s, tables, names, err) for i, s in enumerate(d.get("spells", []))]
    current = _check_kinds(kinds, err)
    if current:
        _check_paid_by(tables, current[0], err)
    horizon = None
    if "horizon" in d:
        horizon = (dates.parse_date(d["horizon"]["from"]), dates.parse_date(d["horizon"]["to"]))
    if errors or len(current) != 1:
        return None, errors
    return Vocabulary(tables=tables, facts=tuple(facts), spell_kinds=tuple(kinds), horizon=horizon), errors


def _check_ids(items: list[dict], path: tuple, doc: Document, what: str, err: _Report) -> None:
    """Each id in ``items`` (at ``path``) once: a repeat is reported with the line of the first."""
    seen: dict[str, int] = {}
    for i, term in enumerate(items):
        if term["id"] in seen:
            err(path + (i, "id"), f"duplicate {what} '{term['id']}' (first at line {seen[term['id']]})", doc)
        seen.setdefault(term["id"], doc.line(path + (i, "id")))


def _inline_tables(doc: Document, err: _Report) -> dict[str, ValueTable]:
    """The value tables declared in the vocabulary file itself."""
    tables: dict[str, ValueTable] = {}
    for name, items in doc.data.get("tables", {}).items():
        _check_ids(items, ("tables", name), doc, "id", err)
        tables[name] = ValueTable(name, _terms(items))
    return tables


def _add_value_table(vd: Document, tables: dict[str, ValueTable], err: _Report) -> None:
    """Add the table of a ``subject: values`` file to ``tables`` (one table per name)."""
    name = vd.data["table"]
    if name in tables:
        err(("table",), f"a second table '{name}'; keep one", vd)
        return
    _check_ids(vd.data["values"], ("values",), vd, "value", err)
    match = vd.data.get("match") or {}
    tables[name] = ValueTable(name, _terms(vd.data["values"]), title=vd.data.get("title"),
                              suffixes=tuple(match.get("suffixes", ())),
                              transliterate=tuple((match.get("transliterate") or {}).items()),
                              source=tuple(Citation(c["ref"], c.get("at"), c.get("quote"))
                                           for c in vd.data.get("source", ())))
    for t in tables[name].terms.values():
        for alias in t.aliases:
            other = tables[name].lookup(alias)
            if other != t.id:
                err(("values",), f"alias '{alias}' of '{t.id}' already names '{other}'", vd)


def _declare(fact: Fact, path: tuple, tables: dict[str, ValueTable], names: dict[str, tuple],
             err: _Report) -> Fact:
    """Claim the names of ``fact`` and its measures (each name once) and check the fact."""
    for name in (fact.id, *(m.id for m in fact.measures)):
        if name in names:
            err(path + ("id",), f"'{name}' is declared twice (first at {format_path(names[name])})")
        names.setdefault(name, path)
    _check_fact(fact, path, tables, err)
    return fact


def _spell_kind(doc: Document, i: int, s: dict, tables: dict[str, ValueTable], names: dict[str, tuple],
                err: _Report) -> SpellKind:
    """The spell kind declared at ``spells[i]``: its value table, its facts and its measures."""
    path = ("spells", i)
    if s["values"] not in tables:
        err(path + ("values",), f"'{s['values']}' is not a value table (tables: {', '.join(tables)})")
    elif s.get("none") is not None and s["none"] not in tables[s["values"]]:
        err(path + ("none",), f"'{s['none']}' is not one of the {s['values']}")
    if s["kind"] in names:
        err(path + ("kind",), f"'{s['kind']}' is declared twice")
    names.setdefault(s["kind"], path)
    spell_facts = [_spell_fact(doc, path + ("facts", j), f, s, tables, names, err)
                   for j, f in enumerate(s.get("facts", []))]
    measures = _spell_measures(path, s, spell_facts, names, err)
    return SpellKind(kind=s["kind"], role=s["role"], values=s["values"], label=s["label"], none=s.get("none"),
                     measures=measures, facts=tuple(spell_facts))


def _spell_fact(doc: Document, path: tuple, f: dict, s: dict, tables: dict[str, ValueTable],
                names: dict[str, tuple], err: _Report) -> Fact:
    """A fact of the spell kind ``s``, declared at ``path``."""
    fact = _declare(_fact(f, s["kind"], doc.line(path)), path, tables, names, err)
    for k, value in enumerate(fact.only_with):
        if s["values"] in tables and value not in tables[s["values"]]:
            err(path + ("only_with", k), f"'{value}' is not one of the {s['values']}")
    if fact.default_of is not None and fact.default_of != "from":
        err(path + ("default_of",), "a spell fact may only default to the spell's 'from'")
    return fact


def _spell_measures(path: tuple, s: dict, spell_facts: list[Fact], names: dict[str, tuple],
                    err: _Report) -> tuple[Measure, ...]:
    """The measures of the spell kind ``s``: each of a date of the spell, each name once."""
    field_names = {"from"} | {f.id for f in spell_facts if f.type == "date"}
    measures = _measures(s.get("measures", []))
    for j, m in enumerate(measures):
        if m.of not in field_names:
            err(path + ("measures", j, "of"),
                f"'{m.of}' is not a date of this spell (one of: {', '.join(sorted(field_names))})")
        if m.id in names:
            err(path + ("measures", j, "id"), f"'{m.id}' is declared twice")
        names.setdefault(m.id, path + ("measures", j))
    return measures


def _check_kinds(kinds: list[SpellKind], err: _Report) -> list[SpellKind]:
    """Check the spell kinds as a whole; returns those with role 'current' (there must be one)."""
    current = [k for k in kinds if k.role == "current"]
    if len(current) != 1:
        err(("spells",), f"declare exactly one spell kind with role 'current' (found {len(current)})")
    if current and current[0].none is None:
        err(("spells",), "the current spell kind needs 'none': the value of a date without a spell")
    for kind in kinds:
        if kind.role == "beside" and kind.facts and any(f.type not in ("date",) for f in kind.facts):
            err(("spells",), f"spell kind '{kind.kind}': a beside spell may only carry dates")
    return current


def _check_paid_by(tables: dict[str, ValueTable], current: SpellKind, err: _Report) -> None:
    """Every ``paid_by`` names a value of the current spell kind (a benefit)."""
    for name, table in tables.items():
        for term in table.terms.values():
            for b in term.paid_by:
                if b not in tables.get(current.values, ValueTable("", {})):
                    err(("tables", name), f"'{term.id}' is paid by '{b}', which is not one of the "
                                          f"{current.values}")


def _check_fact(fact: Fact, path: tuple, tables: dict[str, ValueTable], err: _Report) -> None:
    """The fields of one declared fact fit its type."""
    if fact.type not in FACT_TYPES:
        return  # the schema says so
    _check_values(fact, path, tables, err)
    _check_bounds(fact, path, err)
    if fact.default is not None and not _default_fits(fact, tables):
        err(path + ("default",), f"{fact.default!r} is not a {fact.type} value for this fact")
    if fact.measures and fact.type != "date":
        err(path + ("measures",), "only a date fact has measures")
    if fact.spells_not_before and fact.type != "date":
        err(path + ("spells_not_before",), "only a date fact can bound the spells")


def _check_values(fact: Fact, path: tuple, tables: dict[str, ValueTable], err: _Report) -> None:
    """A choice names its value table; no other fact has one."""
    if fact.type == "choice":
        if fact.values is None:
            err(path + ("values",), "a choice needs 'values': the table it takes its values from")
        elif fact.values not in tables:
            err(path + ("values",), f"'{fact.values}' is not a value table (tables: {', '.join(tables)})")
    elif fact.values is not None:
        err(path + ("values",), f"only a choice takes 'values' (this fact is {fact.type})")


def _check_bounds(fact: Fact, path: tuple, err: _Report) -> None:
    """An integer has a minimum and a maximum, in order; no other fact has them."""
    if fact.type == "integer":
        if fact.minimum is None or fact.maximum is None:
            err(path, "an integer fact needs 'minimum' and 'maximum'")
        elif fact.maximum < fact.minimum:
            err(path + ("maximum",), f"{fact.maximum} is below the minimum {fact.minimum}")
    elif fact.minimum is not None or fact.maximum is not None:
        err(path, f"only an integer fact takes 'minimum' and 'maximum' (this fact is {fact.type})")


def _default_fits(fact: Fact, tables: dict[str, ValueTable]) -> bool:
    """The fact's default is a value of its type (a date fact has no default)."""
    value = fact.default
    if fact.type == "bool":
        return isinstance(value, bool)
    if fact.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if fact.type == "choice":
        return isinstance(value, str) and fact.values in tables and value in tables[fact.values]
    return False
