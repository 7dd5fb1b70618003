"""Typed rules → pyDatalog program text, and citizen situations → canonical Datalog facts.

Nothing here knows a group, a benefit or a date: it knows the *kinds* of condition a rule file
may use (the closed vocabulary of ``when``) and how each becomes body literals.

Each rule R of family F compiles to one clause per ``any_of`` branch::

    applies_F(C, 'R') <= num(C, 'date', D) & (D >= from) & (D < to+1) & <conditions>

and every family gets the default/exception scheme, stratified negation included::

    overridden_F(C, R) <= applies_F(C, E) & overrides(E, R)
    holds_F(C, R)      <= applies_F(C, R) & ~overridden_F(C, R)

Numeric facts (the query date, age, months into the spell, …) are only ever compared with
constants taken from the rules. Replacing a value by the smallest representative of its band
between those constants cannot change any comparison, so every situation maps to a *canonical*
one: the key for caching, batch evaluation and the completeness check.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable

from . import dates
from .citizen import Situation, normalise_name
from .errors import RuleFileError
from .model import FAMILIES, Rule, RuleSet

ID_FACTS = ("benefit", "assessment", "sick_from")           # categorical citizen facts
BOOL_FACTS = ("vocational_education", "uncomplicated", "exempted", "work_duty")
NUMBER_FACTS = ("age", "months_into_spell", "expected_absence_weeks")
DATE_FACTS = {"spell_started": "spell_started"}             # condition key → numeric fact


def _lit(value: Any) -> str:
    return repr(value)


@dataclass
class Program:
    """A compiled rule set: the Datalog text and what is needed to canonicalise situations."""
    text: str
    thresholds: dict[str, list[int]]       # numeric fact → sorted "value >= k" constants
    programme_thresholds: list[int]        # programme start constants
    families: tuple[str, ...]
    sets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    municipalities: frozenset[str] = frozenset()  # the names any rule tests


class _Builder:
    def __init__(self) -> None:
        self.var = itertools.count()
        self.sets: dict[tuple, str] = {}
        self.thresholds: dict[str, set[int]] = {}
        self.programme_thresholds: set[int] = set()
        self.municipalities: set[str] = set()

    def fresh(self, stem: str) -> str:
        return f"{stem}{next(self.var)}"

    def member_set(self, values: Iterable[str]) -> str:
        key = tuple(sorted(values))
        if key not in self.sets:
            self.sets[key] = f"s{len(self.sets)}"
        return self.sets[key]

    def threshold(self, fact: str, k: int) -> None:
        self.thresholds.setdefault(fact, set()).add(k)


def _number_test(b: _Builder, fact: str, test: dict, var: str | None = None) -> list[str]:
    """``{under: 30}`` → ``num(C,'age',X) & (X < 30)``; every op reduced to ``X >= k`` bands."""
    if test.get("known") is False:
        return [f"~known(C, {_lit(fact)})"]
    x = var or b.fresh("X")
    out = [] if var else [f"num(C, {_lit(fact)}, {x})"]
    for op, k in test.items():
        if op == "known":
            continue
        if op == "under":
            b.threshold(fact, k); out.append(f"({x} < {k})")
        elif op == "at_least":
            b.threshold(fact, k); out.append(f"({x} >= {k})")
        elif op == "over":
            b.threshold(fact, k + 1); out.append(f"({x} > {k})")
        elif op == "at_most":
            b.threshold(fact, k + 1); out.append(f"({x} <= {k})")
    return out


def _date_test(b: _Builder, test: dict, x: str, programme: bool = False, fact: str = "") -> list[str]:
    out = []
    for op, value in test.items():
        k = dates.ordinal(dates.parse_date(value))
        if programme:
            b.programme_thresholds.add(k)
        else:
            b.threshold(fact, k)
        out.append(f"({x} < {k})" if op == "before" else f"({x} >= {k})")
    return out


def _id_test(b: _Builder, atom: str, test: Any) -> list[str]:
    """An id condition on ``atom`` (a template with ``{}`` for the value)."""
    if isinstance(test, str):
        return [atom.format(_lit(test))]
    if isinstance(test, list):
        test = {"in": test}
    v = b.fresh("V")
    out = []
    if "in" in test:
        out += [atom.format(v), f"member({_lit(b.member_set(test['in']))}, {v})"]
    if "not_in" in test:
        if not out:
            out.append(atom.format(v))
        out.append(f"~member({_lit(b.member_set(test['not_in']))}, {v})")
    return out


def _branch(b: _Builder, rule: Rule, when: dict) -> list[str]:
    body: list[str] = []
    prog_var = None
    for key, test in when.items():
        if key == "any_of":
            continue
        if key in ID_FACTS:
            if isinstance(test, dict) and "known" in test and len(test) == 1:
                body.append(("" if test["known"] else "~") + f"known(C, {_lit(key)})")
            else:
                body += _id_test(b, f"fact(C, {_lit(key)}, {{}})", test)
        elif key == "target_group":
            body += _id_test(b, "tg(C, {})", test)
        elif key == "programme":
            if isinstance(test, dict) and test.get("known") is False:
                body.append("~in_programme(C)")
            else:
                prog_var = b.fresh("S")
                body += _id_test(b, f"prog(C, {{}}, {prog_var})", test)
        elif key in BOOL_FACTS:
            body.append(f"fact(C, {_lit(key)}, {_lit('true' if test else 'false')})")
        elif key in NUMBER_FACTS:
            body += _number_test(b, key, test)
        elif key in DATE_FACTS:
            x = b.fresh("X")
            body.append(f"num(C, {_lit(DATE_FACTS[key])}, {x})")
            body += _date_test(b, test, x, fact=DATE_FACTS[key])
        elif key == "municipality":
            if "known" in test:
                body.append(("" if test["known"] else "~") + "known(C, 'municipality')")
            names = {op: [normalise_name(n) for n in test[op]] for op in ("in", "not_in") if op in test}
            for listed in names.values():
                b.municipalities.update(listed)
            if names:
                body += _id_test(b, "fact(C, 'municipality', {})", names)
    if "programme_started" in when:
        if prog_var is None:
            raise RuleFileError(f"{rule.file}:{rule.line_of('when', 'programme_started')}: {rule.id}: when.programme_started: "
                                "needs a 'programme' condition beside it")
        body += _date_test(b, when["programme_started"], prog_var, programme=True)
    return body


def _branches(when: dict) -> list[dict]:
    """Expand ``any_of`` (possibly nested) into plain conjunctions."""
    base = {k: v for k, v in when.items() if k != "any_of"}
    if "any_of" not in when:
        return [base]
    out = []
    for alternative in when["any_of"]:
        for expanded in _branches(alternative):
            merged = dict(base)
            merged.update(expanded)
            out.append(merged)
    return out


def compile_rules(ruleset: RuleSet) -> Program:
    """The Datalog program for a rule set."""
    b = _Builder()
    lines: list[str] = []
    families = tuple(f for f in FAMILIES if ruleset.in_family(f))
    for rule in ruleset.rules:
        validity = []
        if rule.valid_from:
            k = dates.ordinal(rule.valid_from)
            b.threshold("date", k); validity.append(f"(D >= {k})")
        if rule.valid_to:
            k = dates.ordinal(rule.valid_to) + 1
            b.threshold("date", k); validity.append(f"(D < {k})")
        for when in _branches(rule.when):
            body = ["num(C, 'date', D)"] + validity + _branch(b, rule, when)
            lines.append(f"applies_{rule.family}(C, {_lit(rule.id)}) <= " + " & ".join(body))
        for target in rule.overrides:
            lines.append(f"+overrides({_lit(rule.id)}, {_lit(target)})")
        if rule.then_kind == "target_group" and isinstance(rule.then_value, dict):
            lines.append(f"+concludes({_lit(rule.id)}, {_lit(rule.then_value['id'])})")
    for values, name in b.sets.items():
        for value in values:
            lines.append(f"+member({_lit(name)}, {_lit(value)})")
    # Keep every predicate defined even when no rule uses it (pyDatalog wants them known).
    lines += ["+overrides('', '')", "+concludes('', '')", "+member('', '')"]
    for family in families:
        lines.append(f"overridden_{family}(C, R) <= applies_{family}(C, E) & overrides(E, R)")
        lines.append(f"holds_{family}(C, R) <= applies_{family}(C, R) & ~overridden_{family}(C, R)")
        lines.append(f"holds(C, R) <= holds_{family}(C, R)")
        lines.append(f"setaside(C, R, E) <= applies_{family}(C, R) & applies_{family}(C, E) "
                     "& overrides(E, R)")
    # One query answers both (pyDatalog does not table across queries: one ask is ~40 % faster than two).
    lines.append("derived(C, R, E) <= holds(C, R) & (E == '')")
    lines.append("derived(C, R, E) <= setaside(C, R, E)")
    if "target_group" in families:
        lines.append("tg(C, G) <= holds_target_group(C, R) & concludes(R, G)")
    lines.append("in_programme(C) <= prog(C, P, S)")
    return Program(text="\n".join(lines),
                   thresholds={k: sorted(v) for k, v in b.thresholds.items()},
                   programme_thresholds=sorted(b.programme_thresholds), families=families,
                   sets={name: values for values, name in b.sets.items()},
                   municipalities=frozenset(b.municipalities))


def canonical(value: int, thresholds: list[int]) -> int:
    """The smallest representative of ``value``'s band: same answer to every ``>= k`` test."""
    i = bisect.bisect_right(thresholds, value)
    return thresholds[i - 1] if i else (thresholds[0] - 1 if thresholds else 0)


OTHER = "(other)"
Fact = tuple  # ("fact", key, value) | ("num", key, n) | ("prog", id, start) | ("known", key)


def situation_facts(sit: Situation, program: Program) -> tuple[Fact, ...]:
    """The canonical Datalog facts of a situation (its signature)."""
    out: list[Fact] = []
    for key in ID_FACTS + ("municipality",):
        value = sit.facts.get(key)
        if key == "municipality" and value is not None and value not in program.municipalities:
            value = OTHER  # a name no rule lists behaves like any other unlisted name
        if value is not None:
            out.append(("fact", key, value))
            out.append(("known", key))
    for key in BOOL_FACTS:
        out.append(("fact", key, "true" if sit.facts.get(key) else "false"))
    for key, value in sit.numbers.items():
        out.append(("num", key, canonical(value, program.thresholds.get(key, []))))
        out.append(("known", key))
    for pid, start in sit.programmes:
        out.append(("prog", pid, canonical(start, program.programme_thresholds)))
    return tuple(sorted(set(out), key=repr))
