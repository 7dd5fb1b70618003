"""The citizen's facts as the rules declare them (``rules/vocabulary.yaml``): value tables, facts on
the citizen, spell kinds and their facts, and the measures rules compare dates with.

Nothing here names a legal fact: every name comes from the declaration. Citizen parsing, the
compiler's facts and bands, the batch columns, the web form, the API schema and the docs are
derived from these objects.
"""
from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterator

FACT_TYPES = ("bool", "choice", "integer", "date")
MEASURE_KINDS = ("years_since", "months_since", "weeks_since", "date")
ROLES = ("current", "beside")


@dataclass(frozen=True)
class Term:
    """A value of a table (a benefit, an assessment, a programme, a municipality …)."""
    id: str
    title: dict
    aliases: tuple[str, ...] = ()
    paid_by: tuple[str, ...] = ()


@dataclass
class ValueTable:
    """A closed set of values, with older names and a forgiving match where declared."""
    id: str
    terms: dict[str, Term]
    title: dict | None = None
    suffixes: tuple[str, ...] = ()
    transliterate: tuple[tuple[str, str], ...] = ()
    source: tuple = ()
    _index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for term in self.terms.values():
            for name in (term.id, *term.aliases):
                self._index.setdefault(self._key(name), term.id)

    def _key(self, text: str) -> str:
        key = " ".join(unicodedata.normalize("NFC", text).casefold().replace("-", " ").split())
        for a, b in self.transliterate:
            key = key.replace(a, b)
        return key

    def __contains__(self, value: object) -> bool:
        return value in self.terms

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, value: str) -> Term | None:
        return self.terms.get(value)

    def lookup(self, text: str) -> str | None:
        """The value ``text`` names (itself, an older name, or a forgiving spelling), or None."""
        if text in self.terms:
            return text
        key = self._key(text)
        found = self._index.get(key)
        if found is None:
            for suffix in self.suffixes:
                s = self._key(suffix)
                if key.endswith(s) and key[:-len(s)].strip():
                    found = self._index.get(key[:-len(s)].strip())
                    if found:
                        break
        return found

    def suggest(self, text: str, n: int = 3) -> list[str]:
        """The nearest values to a name that is not one of them."""
        keys = {self._key(t): t for t in self.terms}
        close = difflib.get_close_matches(self._key(text), list(keys), n=n, cutoff=0.6)
        return [keys[k] for k in close]


@dataclass(frozen=True)
class Measure:
    """What rules compare a date fact with on the query date: a number of years/months/weeks since
    it, or the date itself."""
    id: str
    of: str                 # the date fact (or a spell's ``from``)
    kind: str               # one of MEASURE_KINDS
    label: dict = field(default_factory=dict)

    @property
    def is_date(self) -> bool:
        return self.kind == "date"


@dataclass(frozen=True)
class Fact:
    """One declared fact: on the citizen (``on`` = 'citizen') or on a spell kind."""
    id: str
    type: str
    on: str
    label: dict
    help: dict = field(default_factory=dict)
    default: Any = None
    values: str | None = None            # the value table of a choice
    minimum: int | None = None
    maximum: int | None = None
    only_with: tuple[str, ...] = ()      # a spell fact only with these spell values
    default_of: str | None = None        # a date fact that defaults to another (``from``)
    spells_not_before: bool = False      # no spell may start before this date
    measures: tuple[Measure, ...] = ()
    aliases: tuple[str, ...] = ()        # older field names accepted in input
    line: int = 0

    @property
    def optional(self) -> bool:
        """Unknown is a value of its own (no default)."""
        return self.default is None and self.default_of is None


@dataclass(frozen=True)
class SpellKind:
    """Dated facts with ``from`` and ``to``: the ``current`` kind one at a time, ``beside`` kinds
    several at once beside it."""
    kind: str
    role: str
    values: str
    label: dict
    none: str | None = None
    measures: tuple[Measure, ...] = ()
    facts: tuple[Fact, ...] = ()

    @property
    def column_prefix(self) -> str:
        """How the flat CSV layout names this kind's fields: the current kind's plainly, others prefixed."""
        return "" if self.role == "current" else f"{self.kind}_"


@dataclass
class Vocabulary:
    """Every value table, fact, spell kind and measure of the rules (``rules/vocabulary.yaml``)."""
    tables: dict[str, ValueTable]
    facts: tuple[Fact, ...]
    spell_kinds: tuple[SpellKind, ...]
    horizon: tuple[date, date] | None = None

    def __post_init__(self) -> None:
        self.current = next(s for s in self.spell_kinds if s.role == "current")
        self.beside = tuple(s for s in self.spell_kinds if s.role == "beside")
        self.by_id: dict[str, Fact] = {f.id: f for f in self.facts}
        self.measures: dict[str, tuple[Measure, str]] = {}   # measure id → (measure, owner: 'citizen' or kind)
        for f in self.facts:
            for m in f.measures:
                self.measures[m.id] = (m, "citizen")
        for s in self.spell_kinds:
            for m in s.measures:
                self.measures[m.id] = (m, s.kind)

    # value tables ------------------------------------------------------------------------------
    def table(self, name: str) -> ValueTable:
        return self.tables.get(name) or ValueTable(name, {})

    @property
    def current_values(self) -> ValueTable:
        """The values of the current spell kind."""
        return self.table(self.current.values)

    @property
    def current_none(self) -> str:
        """The current spell kind's value on a date without a spell of it."""
        return self.current.none or ""

    def title(self, table: str, value: str, lang: str) -> str:
        term = self.table(table).get(value)
        return term.title.get(lang, value) if term else value

    def spell_kind(self, kind: str) -> SpellKind | None:
        return next((s for s in self.spell_kinds if s.kind == kind), None)

    def paid_by(self) -> dict[str, list[str]]:
        """Current-spell value → the beside values it pays for."""
        out: dict[str, list[str]] = {}
        for kind in self.beside:
            for term in self.table(kind.values).terms.values():
                for b in term.paid_by:
                    out.setdefault(b, []).append(term.id)
        return out

    # what a rule condition may name -------------------------------------------------------------
    def condition_kind(self, key: str) -> tuple[str, Any] | None:
        """What a condition key tests: ('choice'|'bool'|'integer', Fact), ('current', SpellKind),
        ('beside', SpellKind), ('measure', (Measure, owner)), ('beside-measure', (Measure, SpellKind)),
        or None for a name nothing declares."""
        if key == self.current.kind:
            return ("current", self.current)
        for kind in self.beside:
            if key == kind.kind:
                return ("beside", kind)
            for m in kind.measures:
                if m.id == key:
                    return ("beside-measure", (m, kind))
        fact = self.by_id.get(key) or next((f for f in self.current.facts if f.id == key), None)
        if fact is not None and fact.type != "date":
            return (fact.type, fact)
        if key in self.measures:
            return ("measure", self.measures[key])
        return None

    def condition_names(self) -> list[str]:
        names = [self.current.kind]
        names += [f.id for f in (*self.facts, *self.current.facts) if f.type != "date"]
        names += [m for m, (_, owner) in self.measures.items() if owner in ("citizen", self.current.kind)]
        for kind in self.beside:
            names += [kind.kind] + [m.id for m in kind.measures]
        return names

    def situation_facts(self) -> list[Fact]:
        """Categorical and yes/no facts a situation carries (citizen's, then the current spell's)."""
        return [f for f in (*self.facts, *self.current.facts) if f.type in ("choice", "bool")]

    def number_facts(self) -> list[Fact]:
        return [f for f in (*self.facts, *self.current.facts) if f.type == "integer"]
