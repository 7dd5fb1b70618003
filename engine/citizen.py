"""The citizen contract: parse and validate a citizen record, and state its facts on a date."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import dates
from .errors import CitizenError
from .loader import Document, LoadError, format_path, load_file, parse_text
from .model import Vocabulary

TOP_FIELDS = ("id", "note", "born", "municipality", "vocational_education", "exempted", "work_duty", "spells")
SPELL_FIELDS = ("benefit", "programme", "from", "to", "assessment", "sick_from", "expected_absence_weeks",
                "uncomplicated")
BOOL_FIELDS = ("vocational_education", "exempted", "work_duty")
_CPR = re.compile(r"^\d{6}-?\d{4}$")


def normalise_name(text: str) -> str:
    """Municipality names compare without regard to case or Unicode form."""
    return unicodedata.normalize("NFC", text).strip().casefold()


@dataclass(frozen=True)
class Spell:
    kind: str  # "benefit" or "programme"
    id: str
    start: date
    end: date | None = None
    assessment: str | None = None
    sick_from: str | None = None
    expected_absence_weeks: int | None = None
    uncomplicated: bool = False
    index: int = 0

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Citizen:
    id: str
    spells: tuple[Spell, ...] = ()
    born: date | None = None
    municipality: str | None = None
    vocational_education: bool = False
    exempted: bool = False
    work_duty: bool = False
    note: str | None = None

    def benefit_on(self, day: date) -> Spell | None:
        for spell in self.spells:
            if spell.kind == "benefit" and spell.covers(day):
                return spell
        return None

    def programmes_on(self, day: date) -> list[Spell]:
        return [s for s in self.spells if s.kind == "programme" and s.covers(day)]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if self.born:
            out["born"] = self.born.isoformat()
        if self.municipality:
            out["municipality"] = self.municipality
        for name in BOOL_FIELDS:
            if getattr(self, name):
                out[name] = True
        spells = []
        for s in self.spells:
            d: dict[str, Any] = {s.kind: s.id, "from": s.start.isoformat()}
            if s.end:
                d["to"] = s.end.isoformat()
            for name in ("assessment", "sick_from", "expected_absence_weeks"):
                if getattr(s, name) is not None:
                    d[name] = getattr(s, name)
            if s.uncomplicated:
                d["uncomplicated"] = True
            spells.append(d)
        out["spells"] = spells
        return out


@dataclass
class Situation:
    """What the rules can see of a citizen on one date."""
    day: date
    benefit: str
    spell: Spell | None
    facts: dict[str, Any] = field(default_factory=dict)     # categorical and boolean facts
    numbers: dict[str, int] = field(default_factory=dict)   # numeric facts (dates as ordinals)
    programmes: tuple[tuple[str, int], ...] = ()            # (programme id, start ordinal)


class _Errors:
    def __init__(self, doc: Document | None, label: str):
        self.doc, self.label, self.items = doc, label, []

    def add(self, path: tuple, message: str) -> None:
        where = f"{self.label}:{self.doc.line(path)}" if self.doc else self.label
        self.items.append(f"{where}: {format_path(path)}: {message}")


YEARS = (1900, 2200)


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


def parse_citizen(data: Any, vocabulary: Vocabulary, label: str = "citizen",
                  doc: Document | None = None) -> Citizen:
    """A validated Citizen from a mapping; raises CitizenError naming every bad field."""
    errors = _Errors(doc, label)
    if not isinstance(data, dict):
        raise CitizenError(f"{label}: a citizen record must be a mapping with 'id' and 'spells'")
    for key in data:
        if key not in TOP_FIELDS:
            errors.add((key,), f"unknown field '{key}' (a citizen has: {', '.join(TOP_FIELDS)})")
    cid = data.get("id")
    if not isinstance(cid, (str, int)) or isinstance(cid, bool) or str(cid).strip() == "":
        errors.add(("id",), "missing or empty: give a pseudonymous id")
        cid = ""
    elif _CPR.match(str(cid)):
        errors.add(("id",), "looks like a CPR number; use a pseudonymous id")
    born = _date_field(data["born"], ("born",), errors) if data.get("born") is not None else None
    municipality = data.get("municipality")
    if municipality is not None and not isinstance(municipality, str):
        errors.add(("municipality",), f"{municipality!r} is not a municipality name")
        municipality = None
    flags = {}
    for name in BOOL_FIELDS:
        value = data.get(name, False)
        if value is None:
            value = False
        if not isinstance(value, bool):
            errors.add((name,), f"{value!r} is not true or false")
            value = False
        flags[name] = value
    note = data.get("note")
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
    benefit_spells = sorted((s for s in spells if s.kind == "benefit"), key=lambda s: s.start)
    for a, b in zip(benefit_spells, benefit_spells[1:]):
        if a.end is None or a.end >= b.start:
            errors.add(("spells", b.index, "from"),
                       f"benefit spells overlap: spells[{a.index}] ({a.id} from {a.start}"
                       f"{' to ' + str(a.end) if a.end else ', open-ended'}) and spells[{b.index}] "
                       f"({b.id} from {b.start}); a citizen receives one benefit at a time")
    if born:
        for s in spells:
            if s.start < born:
                errors.add(("spells", s.index, "from"), f"{s.start} is before the citizen was born ({born})")
    if errors.items:
        raise CitizenError(errors.items)
    return Citizen(id=str(cid), spells=tuple(sorted(spells, key=lambda s: (s.start, s.index))), born=born,
                   municipality=municipality, note=note if isinstance(note, str) else None, **flags)


def _parse_spell(raw: Any, i: int, vocab: Vocabulary, errors: _Errors) -> Spell | None:
    path = ("spells", i)
    if not isinstance(raw, dict):
        errors.add(path, "a spell must be a mapping with 'benefit' or 'programme' and 'from'")
        return None
    before = len(errors.items)
    for key in raw:
        if key not in SPELL_FIELDS:
            errors.add(path + (key,), f"unknown field '{key}' (a spell has: {', '.join(SPELL_FIELDS)})")
    has_b, has_p = "benefit" in raw, "programme" in raw
    if has_b == has_p:
        errors.add(path, "give exactly one of 'benefit' or 'programme'")
        return None
    kind = "benefit" if has_b else "programme"
    name = raw[kind]
    if kind == "benefit":
        ident = vocab.benefit_id(str(name)) if isinstance(name, str) else None
        if ident is None:
            errors.add(path + ("benefit",), f"{name!r} is not a known benefit "
                       f"(one of: {', '.join(vocab.benefits)})")
    else:
        ident = name if isinstance(name, str) and name in vocab.programmes else None
        if ident is None:
            errors.add(path + ("programme",), f"{name!r} is not a known programme "
                       f"(one of: {', '.join(vocab.programmes)})")
    if "from" not in raw or raw["from"] is None:
        errors.add(path + ("from",), "missing: the first day of the spell")
        start = None
    else:
        start = _date_field(raw["from"], path + ("from",), errors)
    end = _date_field(raw["to"], path + ("to",), errors) if raw.get("to") is not None else None
    if start and end and end < start:
        errors.add(path + ("to",), f"{end} is before from ({start})")
    for key in ("assessment", "sick_from"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            errors.add(path + (key,), f"{raw[key]!r} is not a single value")
            return None
    assessment = raw.get("assessment")
    if assessment is not None:
        if kind != "benefit" or ident not in vocab.assessment_for:
            errors.add(path + ("assessment",), f"an assessment only goes with: {', '.join(vocab.assessment_for)}")
        elif assessment not in vocab.assessments:
            errors.add(path + ("assessment",), f"{assessment!r} is not one of: {', '.join(vocab.assessments)}")
    sick_only = {"sick_from": raw.get("sick_from"), "expected_absence_weeks": raw.get("expected_absence_weeks"),
                 "uncomplicated": raw.get("uncomplicated")}
    for key, value in sick_only.items():
        if value is not None and ident != vocab.sick_benefit:
            errors.add(path + (key,), f"only goes with benefit {vocab.sick_benefit}")
    sick_from = sick_only["sick_from"]
    if sick_from is not None and sick_from not in vocab.sick_from:
        errors.add(path + ("sick_from",), f"{sick_from!r} is not one of: {', '.join(vocab.sick_from)}")
    weeks = sick_only["expected_absence_weeks"]
    if weeks is not None and (isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 0 or weeks > 520):
        errors.add(path + ("expected_absence_weeks",), f"{weeks!r} is not a number of weeks (0–520)")
    uncomplicated = sick_only["uncomplicated"]
    if uncomplicated is not None and not isinstance(uncomplicated, bool):
        errors.add(path + ("uncomplicated",), f"{uncomplicated!r} is not true or false")
    if len(errors.items) > before or ident is None or start is None:
        return None
    return Spell(kind=kind, id=ident, start=start, end=end, assessment=assessment, sick_from=sick_from,
                 expected_absence_weeks=weeks, uncomplicated=bool(uncomplicated), index=i)


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


def situation(citizen: Citizen, day: date, vocabulary: Vocabulary) -> Situation:
    """The facts the rules see for ``citizen`` on ``day``."""
    spell = citizen.benefit_on(day)
    benefit = spell.id if spell else vocabulary.no_benefit
    facts: dict[str, Any] = {
        "benefit": benefit,
        "assessment": spell.assessment if spell else None,
        "sick_from": spell.sick_from if spell else None,
        "uncomplicated": bool(spell and spell.uncomplicated),
        "vocational_education": citizen.vocational_education,
        "exempted": citizen.exempted,
        "work_duty": citizen.work_duty,
        "municipality": normalise_name(citizen.municipality) if citizen.municipality else None,
    }
    numbers: dict[str, int] = {"date": dates.ordinal(day)}
    if citizen.born:
        numbers["age"] = dates.age_on(citizen.born, day)
    if spell:
        numbers["spell_started"] = dates.ordinal(spell.start)
        numbers["months_into_spell"] = dates.completed_months(spell.start, day)
        if spell.expected_absence_weeks is not None:
            numbers["expected_absence_weeks"] = spell.expected_absence_weeks
    programmes = tuple(sorted((p.id, dates.ordinal(p.start)) for p in citizen.programmes_on(day)))
    return Situation(day=day, benefit=benefit, spell=spell, facts=facts, numbers=numbers, programmes=programmes)
