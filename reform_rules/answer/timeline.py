"""Timelines: the periods over which a citizen's whole answer is constant, and why each ends.

An answer can only change on a *change point*: a date a rule compares the query date with, the
start or end of a spell, the day a window of N months since the spell's start closes (for every N
a rule tests), a birthday crossing an age a rule tests, or a new cycle of a recurring obligation.
The answer is evaluated once per change point; equal neighbours are merged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable, Iterable

from reform_rules.answer.rulebase import RuleBase
from reform_rules.basics import dates
from reform_rules.law.citizen import Citizen, Spell, spell_date
from reform_rules.law.facts import Measure, Vocabulary
from reform_rules.law.model import Rule
from reform_rules.logic.compiler import Program

ONE_DAY = timedelta(days=1)
# Fields that make up "the answer" for a timeline (the explanation follows from them).
COMMON = ("status", "open_questions")   # what every answer has beside the declared fields


@dataclass
class Period:
    start: date
    end: date
    answer: dict[str, Any]
    changed: list[str] = field(default_factory=list)     # fields that differ from the period before
    causes: list[dict] = field(default_factory=list)     # what happens on ``start``

    def to_json(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "changed": self.changed,
                "causes": self.causes, "answer": self.answer}


@dataclass
class Timeline:
    citizen: str
    start: date
    end: date
    periods: list[Period]

    def to_json(self) -> dict[str, Any]:
        return {"citizen": self.citizen, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "periods": [p.to_json() for p in self.periods]}


def _key(answer: dict, fields: tuple[str, ...] | None = None) -> dict:
    """What makes two answers the same for a timeline: the decided fields and the legal basis."""
    fields = fields if fields is not None else tuple(k for k in answer if k not in ("citizen", "date", "explanation",
                                                                                      "receipt"))
    key = {k: answer.get(k) for k in fields}
    key["rules"] = [e["rule"] for e in answer.get("explanation", [])]  # the legal basis, too
    return key


def change_points(base: RuleBase, citizen: Citizen, start: date, end: date) -> dict[date, list[dict]]:
    """Every date in (start, end] on which the answer may change, with the events behind it."""
    program, rules = base.program, base.ruleset.rules
    points: dict[date, list[dict]] = {}

    def add(day: date, event: dict) -> None:
        if start < day <= end:
            points.setdefault(day, []).append(event)

    _rule_events(rules, add)
    v = base.ruleset.vocabulary
    since = [(m, [k for k in program.thresholds.get(m.id, []) if k > 0]) for m in v.current.measures
             if m.kind in ("months_since", "weeks_since")]
    cycles = _cycles(rules)
    for spell in citizen.spells:
        add(spell.start, {"kind": f"{spell.kind}-starts", "id": spell.id})
        if spell.end:
            add(spell.end + ONE_DAY, {"kind": f"{spell.kind}-ends", "id": spell.id})
        if spell.kind != v.current.kind:
            continue
        _since_events(spell, since, v, add)
        _cycle_events(spell, cycles, end, add)
    _fact_events(citizen, v, program, add)
    return points


Add = Callable[[date, dict], None]


def _rule_events(rules: Iterable[Rule], add: Add) -> None:
    """The day each rule starts to apply, and the day after its last."""
    for rule in rules:
        if rule.valid_from:
            add(rule.valid_from, {"kind": "rule-starts", "rule": rule.id})
        if rule.valid_to:
            add(rule.valid_to + ONE_DAY, {"kind": "rule-ends", "rule": rule.id})


def _cycles(rules: Iterable[Rule]) -> list[int]:
    """The distinct cycles (in months) of the recurring obligations, shortest first."""
    return sorted({r.then_value["every_months"] for r in rules
                   if r.then_kind == "obligation" and isinstance(r.then_value, dict)
                   and r.then_value.get("every_months")})


def _since_events(spell: Spell, since: list[tuple[Measure, list[int]]], v: Vocabulary, add: Add) -> None:
    """The days a current spell turns each number of months or weeks (since its start, or the date it is
    measured from) that a rule tests."""
    for measure, ks in since:
        origin = spell_date(spell, measure.of, v.current) or spell.start
        for k in ks:
            if measure.kind == "months_since":
                add(dates.add_months(origin, k), {"kind": "months-since-spell-start", "months": k, "id": spell.id})
            else:
                add(origin + k * 7 * ONE_DAY, {"kind": "weeks-since-spell-start", "weeks": k, "id": spell.id})


def _cycle_events(spell: Spell, cycles: list[int], end: date, add: Add) -> None:
    """The first day of each new cycle of a recurring obligation while the current spell lasts (up to ``end``)."""
    for n in cycles:
        k = n
        while True:
            day = dates.add_months(spell.start, k)
            if day > end or (spell.end and day > spell.end):
                break
            add(day, {"kind": "new-cycle", "months": k, "id": spell.id})
            k += n


def _fact_events(citizen: Citizen, v: Vocabulary, program: Program, add: Add) -> None:
    """The birthdays and the months since a citizen's dates that a rule tests."""
    for fact in v.facts:
        origin = citizen.get(fact.id)
        for measure in fact.measures if origin else ():
            if measure.kind == "years_since":
                for age in program.thresholds.get(measure.id, []):
                    add(dates.birthday(origin, age), {"kind": "birthday", "age": age})
            elif measure.kind == "months_since":
                for k in program.thresholds.get(measure.id, []):
                    add(dates.add_months(origin, k), {"kind": "months-since", "months": k, "id": fact.id})


def timeline(base: RuleBase, citizen: Citizen, start: date, end: date, lang: str = "da") -> Timeline:
    """The periods of constant answer for ``citizen`` from ``start`` to ``end`` (inclusive)."""
    if end < start:
        raise ValueError("the end of a timeline must not be before its start")
    points = change_points(base, citizen, start, end)
    fields = tuple(f.id for f in base.ruleset.answer.fields) + COMMON
    days = [start] + sorted(points)
    periods: list[Period] = []
    for day in days:
        answer = base.evaluate(citizen, day, lang=lang).to_json()
        key = _key(answer, fields)
        if periods and _key(periods[-1].answer, fields) == key:
            continue
        causes = points.get(day, [])
        if periods:
            periods[-1].end = day - ONE_DAY
            before = _key(periods[-1].answer, fields)
            changed = [k for k in fields if before[k] != key[k]] or ["explanation"]
            involved = set(before["rules"]) | set(key["rules"])
            causes = [e for e in causes if "rule" not in e or e["rule"] in involved]
        else:
            changed, causes = [], []
        answer.pop("date", None)
        periods.append(Period(start=day, end=end, answer=answer, changed=changed, causes=causes))
    return Timeline(citizen=citizen.id, start=start, end=end, periods=periods)
