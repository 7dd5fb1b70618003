"""The citizen contract: parse and validate a citizen record, and state its facts on a date.

Which fields a citizen and a spell have, their types, defaults and older names, all come from the
vocabulary's declaration (``reform_rules.law.facts``); this module knows only kinds of fact.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reform_rules.basics import dates
from reform_rules.basics.errors import CitizenError, Problem
from reform_rules.basics.privacy import cpr_locations
from reform_rules.law.facts import Fact, SpellKind, Vocabulary
from reform_rules.law.loader import Document, LoadError, load_file, parse_text

STRUCTURAL = ("id", "note", "spells")         # what every citizen record has, whatever the law
SPELL_DATES = ("from", "to")
YEARS = (1900, 2200)
CPR_ID = "looks like a CPR number; use a pseudonymous id"
CPR_FIELD = "looks like a CPR number; a citizen record must never hold one (the value is not shown)"


@dataclass(frozen=True)
class Spell:
    kind: str                                  # a declared spell kind
    id: str                                    # its value (a benefit, a programme …)
    start: date
    end: date | None = None
    facts: tuple[tuple[str, Any], ...] = ()    # the declared facts of this kind, set or defaulted
    index: int = 0

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def get(self, name: str) -> Any:
        return dict(self.facts).get(name)


@dataclass(frozen=True)
class Citizen:
    id: str
    spells: tuple[Spell, ...] = ()
    facts: tuple[tuple[str, Any], ...] = ()    # the declared citizen facts that are known
    note: str | None = None
    current_kind: str = ""

    def get(self, name: str) -> Any:
        return dict(self.facts).get(name)

    def current_on(self, day: date) -> Spell | None:
        """The spell of the current kind (the benefit) that covers ``day``."""
        for spell in self.spells:
            if spell.kind == self.current_kind and spell.covers(day):
                return spell
        return None

    benefit_on = current_on

    def beside_on(self, day: date, kind: str | None = None) -> list[Spell]:
        return [s for s in self.spells if s.kind != self.current_kind and (kind is None or s.kind == kind)
                and s.covers(day)]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        for name, value in self.facts:
            out[name] = value.isoformat() if isinstance(value, date) else value
        spells = []
        for s in self.spells:
            d: dict[str, Any] = {s.kind: s.id, "from": s.start.isoformat()}
            if s.end:
                d["to"] = s.end.isoformat()
            for name, value in s.facts:
                d[name] = value.isoformat() if isinstance(value, date) else value
            spells.append(d)
        out["spells"] = spells
        return out


@dataclass
class Situation:
    """What the rules can see of a citizen on one date."""
    day: date
    benefit: str                                            # the current spell's value (or its 'none')
    spell: Spell | None                                     # the current spell
    facts: dict[str, Any] = field(default_factory=dict)     # categorical and yes/no facts (None: unknown)
    numbers: dict[str, int] = field(default_factory=dict)   # numeric facts (dates as ordinals)
    programmes: tuple[tuple[Any, ...], ...] = ()            # beside spells: (value, measure ordinals …)


class _Errors:
    """The problems found in one citizen record, as records (reform_rules.basics.errors.Problem)."""

    def __init__(self, doc: Document | None, label: str):
        self.doc, self.label = doc, label
        self.items: list[Problem] = []
        self.hidden: list[tuple] = []       # fields refused as CPR-like: nothing more is said about them

    def add(self, path: tuple, message: str, shown: tuple | None = None) -> None:
        path = tuple(path)
        if any(path[:len(h)] == h for h in self.hidden):
            return   # the field was refused as CPR-like: another message could echo its value
        self.items.append(Problem(message, path=path if shown is None else shown, source=self.label,
                                  line=self.doc.line(path) if self.doc else None))

    def hide_cpr(self, data: Any) -> None:
        """Refuse every CPR-like key, text or number in ``data``, naming its field, never its value."""
        for path, shown in cpr_locations(data):
            self.add(path, CPR_ID if path == ("id",) else CPR_FIELD, shown)
            self.hidden.append(path)


def _date_field(value: Any, path: tuple, errors: _Errors) -> date | None:
    try:
        day = dates.parse_date(value)
    except ValueError as exc:
        errors.add(path, str(exc))
        return None
    if not YEARS[0] <= day.year <= YEARS[1]:
        errors.add(path, f"{day} is outside the years {YEARS[0]}–{YEARS[1]}")
        return None
    return day


def shown(raw: Any, most: int = 60) -> str:
    """A refused value as a message shows it: its repr, cut short (a long cell is never echoed whole)."""
    text = repr(raw)
    return text if len(text) <= most else f"{text[:most - 1]}… ({len(str(raw)):,} characters)"


def fact_value(fact: Fact, raw: Any, vocabulary: Vocabulary, path: tuple, errors: _Errors) -> Any:
    """One declared fact's value from input (None when absent or refused; refusals recorded)."""
    if raw is None:
        return None
    if fact.type == "bool":
        if not isinstance(raw, bool):
            errors.add(path, f"{shown(raw)} is not true or false")
            return None
        return raw
    if fact.type == "date":
        return _date_field(raw, path, errors)
    if fact.type == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int) or not fact.minimum <= raw <= fact.maximum:  # type: ignore[operator]
            errors.add(path, f"{shown(raw)} is not a whole number from {fact.minimum} to {fact.maximum}")
            return None
        return raw
    if not isinstance(raw, str):
        errors.add(path, f"{shown(raw)} is not a single value")
        return None
    table = vocabulary.table(fact.values or "")
    found = table.lookup(raw)
    if found is None:
        near = table.suggest(raw)
        hint = f"; did you mean {' or '.join(near)}?" if near else \
            (f" (one of: {', '.join(table)})" if len(table) <= 12 else "")
        errors.add(path, f"{shown(raw)} is not {_a(fact, vocabulary)}{hint}")
    return found


def _a(fact: Fact, vocabulary: Vocabulary) -> str:
    table = vocabulary.table(fact.values or "")
    return f"one of: {', '.join(table)}" if len(table) <= 12 else f"a known {fact.id}"


def _pick(data: dict, fact: Fact) -> tuple[str | None, Any]:
    """The field that carries ``fact`` in ``data`` (its name or an older one), and its value."""
    for name in (fact.id, *fact.aliases):
        if name in data:
            return name, data[name]
    return None, None


def parse_citizen(data: Any, vocabulary: Vocabulary, label: str = "citizen",
                  doc: Document | None = None) -> Citizen:
    """A validated Citizen from a mapping; raises CitizenError naming every bad field."""
    errors = _Errors(doc, label)
    if not isinstance(data, dict):
        raise CitizenError(f"{label}: a citizen record must be a mapping with 'id' and 'spells'")
    errors.hide_cpr(data)
    facts = vocabulary.facts
    _unknown_citizen_fields(data, facts, errors)
    cid = _citizen_id(data, errors)
    known = _citizen_facts(data, vocabulary, errors)
    note = data.get("note")
    spells = _spells(data, vocabulary, errors)
    current = vocabulary.current
    _no_overlaps(spells, current, errors)
    _not_before(spells, facts, dict(known), errors)
    if errors.items:
        raise CitizenError(errors.items)
    return Citizen(id=str(cid), spells=tuple(sorted(spells, key=lambda s: (s.start, s.index))), facts=tuple(known),
                   note=note if isinstance(note, str) else None, current_kind=current.kind)


def _unknown_citizen_fields(data: dict, facts: tuple[Fact, ...], errors: _Errors) -> None:
    """An error for each field a citizen does not have (its facts' names and older names are known)."""
    allowed = list(STRUCTURAL) + [n for f in facts for n in (f.id, *f.aliases)]
    for key in data:
        if key not in allowed:
            has = ", ".join(STRUCTURAL[:2] + tuple(f.id for f in facts) + STRUCTURAL[2:])
            errors.add((key,), f"unknown field '{key}' (a citizen has: {has})")


def _citizen_id(data: dict, errors: _Errors) -> str | int:
    """The citizen's id ("" with an error when it is missing, empty or not a string or number)."""
    cid = data.get("id")
    if not isinstance(cid, (str, int)) or isinstance(cid, bool) or str(cid).strip() == "":
        errors.add(("id",), "missing or empty: give a pseudonymous id")
        return ""
    return cid


def _citizen_facts(data: dict, vocabulary: Vocabulary, errors: _Errors) -> list[tuple[str, Any]]:
    """The citizen's known facts, in the vocabulary's order (a missing one at its default, if it has one)."""
    known: list[tuple[str, Any]] = []
    for fact in vocabulary.facts:
        name, raw = _pick(data, fact)
        value = fact_value(fact, raw, vocabulary, (name or fact.id,), errors)
        if value is None and raw is None:
            value = fact.default
        if value is not None:
            known.append((fact.id, value))
    return known


def _spells(data: dict, vocabulary: Vocabulary, errors: _Errors) -> list[Spell]:
    """The citizen's valid spells, in the order given (missing or null ``spells``: none)."""
    raw_spells = data.get("spells", [])
    if raw_spells is None:
        raw_spells = []
    spells: list[Spell] = []
    if not isinstance(raw_spells, list):
        errors.add(("spells",), "must be a list of spells")
        raw_spells = []
    for i, raw in enumerate(raw_spells):
        spell = _parse_spell(raw, i, vocabulary, errors)
        if spell:
            spells.append(spell)
    return spells


def _no_overlaps(spells: list[Spell], current: SpellKind, errors: _Errors) -> None:
    """An error for each spell of the current kind that starts before the one before it has ended."""
    ordered = sorted((s for s in spells if s.kind == current.kind), key=lambda s: s.start)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.end is None or a.end >= b.start:
            errors.add(("spells", b.index, "from"),
                       f"{current.kind} spells overlap: spells[{a.index}] ({a.id} from {a.start}"
                       f"{' to ' + str(a.end) if a.end else ', open-ended'}) and spells[{b.index}] "
                       f"({b.id} from {b.start}); a citizen has one {current.kind} at a time")


def _not_before(spells: list[Spell], facts: tuple[Fact, ...], values: dict[str, Any], errors: _Errors) -> None:
    """An error for each spell that starts before a citizen's date that no spell may start before."""
    for fact in facts:
        bound = values.get(fact.id) if fact.spells_not_before else None
        if not bound:
            continue
        for s in spells:
            if s.start < bound:
                label = fact.label.get("en", fact.id)
                errors.add(("spells", s.index, "from"),
                           f"{s.start} is before the citizen's {label[:1].lower() + label[1:]} ({bound})")


def _spell_kind(raw: dict, vocabulary: Vocabulary) -> list[SpellKind]:
    return [k for k in vocabulary.spell_kinds if k.kind in raw]


def _parse_spell(raw: Any, i: int, vocab: Vocabulary, errors: _Errors) -> Spell | None:
    path = ("spells", i)
    names = " or ".join(f"'{k.kind}'" for k in vocab.spell_kinds)
    if not isinstance(raw, dict):
        errors.add(path, f"a spell must be a mapping with {names} and 'from'")
        return None
    before = len(errors.items)
    kinds = _spell_kind(raw, vocab)
    _unknown_spell_fields(raw, path, vocab, errors)
    if len(kinds) != 1:
        errors.add(path, f"give exactly one of {names}")
        return None
    kind = kinds[0]
    name = raw[kind.kind]
    table = vocab.table(kind.values)
    ident = table.lookup(name) if isinstance(name, str) else None
    if ident is None:
        errors.add(path + (kind.kind,), f"{shown(name)} is not a known {kind.kind} (one of: {', '.join(table)})")
    start, end = _spell_dates(raw, path, errors)
    _foreign_facts(raw, path, kind, vocab, errors)
    facts = _spell_facts(raw, path, kind, ident, vocab, errors)
    if len(errors.items) > before or ident is None or start is None:
        return None
    return Spell(kind=kind.kind, id=ident, start=start, end=end, facts=tuple(facts), index=i)


def _unknown_spell_fields(raw: dict, path: tuple, vocab: Vocabulary, errors: _Errors) -> None:
    """An error for each field no spell kind has."""
    all_fields = [k.kind for k in vocab.spell_kinds] + list(SPELL_DATES) + \
        list(dict.fromkeys(n for k in vocab.spell_kinds for f in k.facts for n in (f.id, *f.aliases)))
    for key in raw:
        if key not in all_fields:
            errors.add(path + (key,), f"unknown field '{key}' (a spell has: {', '.join(all_fields)})")


def _spell_dates(raw: dict, path: tuple, errors: _Errors) -> tuple[date | None, date | None]:
    """A spell's ``from`` (required) and ``to`` (optional, not before ``from``)."""
    if "from" not in raw or raw["from"] is None:
        errors.add(path + ("from",), "missing: the first day of the spell")
        start = None
    else:
        start = _date_field(raw["from"], path + ("from",), errors)
    end = _date_field(raw["to"], path + ("to",), errors) if raw.get("to") is not None else None
    if start and end and end < start:
        errors.add(path + ("to",), f"{end} is before from ({start})")
    return start, end


def _foreign_facts(raw: dict, path: tuple, kind: SpellKind, vocab: Vocabulary, errors: _Errors) -> None:
    """An error for each fact of another spell kind given on a spell of ``kind``."""
    own = {f.id for f in kind.facts}
    for other in vocab.spell_kinds:
        for f in other.facts:
            if f.id not in own and (f.id in raw or any(a in raw for a in f.aliases)):
                errors.add(path + (f.id,), f"only goes with a {other.kind} spell")


def _spell_facts(raw: dict, path: tuple, kind: SpellKind, ident: str | None, vocab: Vocabulary,
                 errors: _Errors) -> list[tuple[str, Any]]:
    """The facts of a spell of ``kind`` with the value ``ident`` (a missing one at its default, where it
    applies)."""
    facts: list[tuple[str, Any]] = []
    for fact in kind.facts:
        key, value_raw = _pick(raw, fact)
        if value_raw is None:
            if fact.default_of == "from":
                continue  # defaults to the spell's first day, read through ``spell_date``
            if fact.default is not None and (not fact.only_with or ident in fact.only_with):
                facts.append((fact.id, fact.default))
            continue
        if fact.only_with and ident is not None and ident not in fact.only_with:
            errors.add(path + (key or fact.id,), f"only goes with {kind.kind} {', '.join(fact.only_with)}")
            continue
        value = fact_value(fact, value_raw, vocab, path + (key or fact.id,), errors)
        if value is not None:
            facts.append((fact.id, value))
    return facts


def spell_date(spell: Spell, name: str, kind: SpellKind) -> date | None:
    """A date of a spell: ``from``, ``to`` or a declared date fact (with its default)."""
    if name == "from":
        return spell.start
    if name == "to":
        return spell.end
    value = spell.get(name)
    if value is None:
        fact = next((f for f in kind.facts if f.id == name), None)
        if fact is not None and fact.default_of == "from":
            return spell.start
    return value


def load_citizen(path: str | Path, vocabulary: Vocabulary) -> Citizen:
    """Read a citizen file (YAML or JSON); raises CitizenError naming the file, line and field."""
    label = str(path)
    try:
        doc = load_file(path, label)
    except LoadError as exc:
        raise CitizenError(str(exc)) from None
    return parse_citizen(doc.data, vocabulary, label, doc)


def parse_citizen_text(text: str, vocabulary: Vocabulary, label: str = "citizen") -> Citizen:
    try:
        doc = parse_text(text, label)
    except LoadError as exc:
        raise CitizenError(str(exc)) from None
    return parse_citizen(doc.data, vocabulary, label, doc)


def measure_value(kind: str, since: date, day: date) -> int:
    """A measure of ``since`` on ``day``: completed years, months or weeks since it, or its ordinal."""
    if kind == "years_since":
        return dates.age_on(since, day)
    if kind == "months_since":
        return dates.completed_months(since, day)
    if kind == "weeks_since":
        return (day - since).days // 7 if day >= since else -1
    return dates.ordinal(since)


def situation(citizen: Citizen, day: date, vocabulary: Vocabulary) -> Situation:
    """The facts the rules see for ``citizen`` on ``day``."""
    current = vocabulary.current
    spell = citizen.current_on(day)
    value = spell.id if spell else vocabulary.current_none
    mine = dict(citizen.facts)
    facts: dict[str, Any] = {current.kind: value}
    numbers: dict[str, int] = {"date": dates.ordinal(day)}
    for fact in vocabulary.facts:
        v = mine.get(fact.id)
        if fact.type in ("bool", "choice"):
            facts[fact.id] = v
        elif fact.type == "integer" and v is not None:
            numbers[fact.id] = v
        for m in fact.measures:
            if v is not None:
                numbers[m.id] = measure_value(m.kind, v, day)
    own = dict(spell.facts) if spell else {}
    for fact in current.facts:
        v = own.get(fact.id)
        if fact.type in ("bool", "choice"):
            facts[fact.id] = v if v is not None else fact.default
        elif fact.type == "integer" and v is not None:
            numbers[fact.id] = v
    if spell:
        for m in current.measures:
            since = spell_date(spell, m.of, current)
            if since is not None:
                numbers[m.id] = measure_value(m.kind, since, day)
    beside: list[tuple[Any, ...]] = []
    for kind in vocabulary.beside:
        for s in citizen.beside_on(day, kind.kind):
            beside.append((s.id,) + tuple(measure_value(m.kind, d, day) if (d := spell_date(s, m.of, kind)) else -1
                                          for m in kind.measures))
    return Situation(day=day, benefit=value, spell=spell, facts=facts, numbers=numbers,
                     programmes=tuple(sorted(beside)))
