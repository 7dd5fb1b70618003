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

from reform_rules.basics import dates
from reform_rules.law.citizen import Situation
from reform_rules.law.conditions import DERIVED, BesideTest, BoolTest, Branch, ChoiceTest, DateTest, NumberTest
from reform_rules.law.model import RuleSet


def _lit(value: Any) -> str:
    return repr(value)


@dataclass
class Program:
    """A compiled rule set: the Datalog text and what is needed to canonicalise situations."""
    text: str
    thresholds: dict[str, list[int]]       # numeric fact or measure → sorted "value >= k" constants
    families: tuple[str, ...]
    sets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    listed: dict[str, frozenset[str]] = field(default_factory=dict)   # choice fact → the values rules name
    categorical: tuple[str, ...] = ()      # the categorical facts a situation states (declared order)
    beside: tuple[tuple[str, tuple[str, ...]], ...] = ()   # (spell kind, its measures in order)

    @property
    def programme_thresholds(self) -> list[int]:
        """The thresholds of the first beside measure (kept for callers of one beside kind)."""
        if not self.beside or not self.beside[0][1]:
            return []
        return self.thresholds.get(self.beside[0][1][0], [])


class _Builder:
    def __init__(self) -> None:
        self.var = itertools.count()
        self.sets: dict[tuple, str] = {}
        self.thresholds: dict[str, set[int]] = {}
        self.listed: dict[str, set[str]] = {}

    def fresh(self, stem: str) -> str:
        return f"{stem}{next(self.var)}"

    def member_set(self, values: Iterable[str]) -> str:
        key = tuple(sorted(values))
        if key not in self.sets:
            self.sets[key] = f"s{len(self.sets)}"
        return self.sets[key]

    def threshold(self, fact: str, k: int) -> None:
        self.thresholds.setdefault(fact, set()).add(k)


def _number(b: _Builder, test: NumberTest | DateTest, x: str) -> list[str]:
    """``{under: 30}`` → ``(X < 30)``; every op reduced to ``X >= k`` bands."""
    out = []
    for (op, _), k in zip(test.ops, test.constants(), strict=True):
        b.threshold(test.key, k)
        out.append(f"({x} < {k})" if op in ("under", "at_most", "before") else f"({x} >= {k})")
    return out


def _members(b: _Builder, test: ChoiceTest, var: str) -> list[str]:
    """``var`` is one of the test's values and none of its excluded ones."""
    b.listed.setdefault(test.key, set()).update((test.values or ()) + (test.not_in or ()))
    out = []
    if test.values is not None:
        out.append(f"member({_lit(b.member_set(test.values))}, {var})")
    if test.not_in is not None:
        out.append(f"~member({_lit(b.member_set(test.not_in))}, {var})")
    return out


def _choice(b: _Builder, atom: str, test: ChoiceTest) -> list[str]:
    """A choice test on ``atom`` (a template with ``{}`` for the value)."""
    if test.known is not None and test.values is None and test.not_in is None:
        return [("" if test.known else "~") + f"known(C, {_lit(test.key)})"]
    if test.values is not None and len(test.values) == 1 and test.not_in is None:
        b.listed.setdefault(test.key, set()).update(test.values)
        b.member_set(test.values)   # a one-value set: values tested alone are told apart from the rest
        return [atom.format(_lit(test.values[0]))]
    v = b.fresh("V")
    return [atom.format(v)] + _members(b, test, v)


def _beside(b: _Builder, test: BesideTest, measures: tuple[str, ...]) -> list[str]:
    """A spell of a beside kind: ``spell_<kind>(C, P, M0, …)`` with its value and measures tested."""
    if test.none:
        return [f"~in_{test.kind}(C)"]
    args = [b.fresh("P")] + [b.fresh("M") for _ in measures]
    ids, extra = test.ids, []
    if ids is not None and ids.values is not None and len(ids.values) == 1 and ids.not_in is None:
        b.listed.setdefault(ids.key, set()).update(ids.values)
        b.member_set(ids.values)
        args[0] = _lit(ids.values[0])
    elif ids is not None:
        extra = _members(b, ids, args[0])
    out = [f"spell_{test.kind}(C, {', '.join(args)})"] + extra
    for d in test.dates:
        out += _number(b, d, args[1 + measures.index(d.key)])
    return out


def _branch(b: _Builder, branch: Branch, beside: dict[str, tuple[str, ...]]) -> list[str]:
    body: list[str] = []
    for test in branch.tests:
        if isinstance(test, ChoiceTest) and test.key == DERIVED and test.known is not None \
                and test.values is None and test.not_in is None:
            body.append(("" if test.known else "~") + "has_tg(C)")
        elif isinstance(test, ChoiceTest):
            atom = "tg(C, {})" if test.key == DERIVED else f"fact(C, {_lit(test.key)}, {{}})"
            body += _choice(b, atom, test)
        elif isinstance(test, BoolTest):
            if test.known is not None:
                body.append(("" if test.known else "~") + f"known(C, {_lit(test.key)})")
            else:
                body.append(f"fact(C, {_lit(test.key)}, {_lit('true' if test.value else 'false')})")
        elif isinstance(test, NumberTest) and test.known is False:
            body.append(f"~known(C, {_lit(test.key)})")
        else:
            x = b.fresh("X")
            body.append(f"num(C, {_lit(test.key)}, {x})")
            body += _number(b, test, x)
    for spell in branch.beside:
        body += _beside(b, spell, beside[spell.kind])
    return body


def compile_rules(ruleset: RuleSet) -> Program:
    """The Datalog program for a rule set."""
    b = _Builder()
    v = ruleset.vocabulary
    beside = {k.kind: tuple(m.id for m in k.measures) for k in v.beside}
    lines: list[str] = []
    families = tuple(f for f in ruleset.families if ruleset.in_family(f))
    for rule in ruleset.rules:
        validity = []
        if rule.valid_from:
            k = dates.ordinal(rule.valid_from)
            b.threshold("date", k)
            validity.append(f"(D >= {k})")
        if rule.valid_to:
            k = dates.ordinal(rule.valid_to) + 1
            b.threshold("date", k)
            validity.append(f"(D < {k})")
        for branch in rule.condition.branches():
            body = ["num(C, 'date', D)"] + validity + _branch(b, branch, beside)
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
        lines.append("has_tg(C) <= tg(C, G)")
    for kind, measures in beside.items():
        args = ", ".join(["P"] + [f"M{i}" for i in range(len(measures))])
        lines.append(f"in_{kind}(C) <= spell_{kind}(C, {args})")
    return Program(text="\n".join(lines),
                   thresholds={k: sorted(x) for k, x in b.thresholds.items()}, families=families,
                   sets={name: values for values, name in b.sets.items()},
                   listed={k: frozenset(x) for k, x in b.listed.items()},
                   categorical=(v.current.kind,) + tuple(f.id for f in v.situation_facts()),
                   beside=tuple(beside.items()))


def canonical(value: int, thresholds: list[int]) -> int:
    """The smallest representative of ``value``'s band: same answer to every ``>= k`` test."""
    i = bisect.bisect_right(thresholds, value)
    return thresholds[i - 1] if i else (thresholds[0] - 1 if thresholds else 0)


OTHER = "(other)"
Fact = tuple  # ("fact", key, value) | ("num", key, n) | ("spell_<kind>", id, n …) | ("known", key)


def situation_facts(sit: Situation, program: Program) -> tuple[Fact, ...]:
    """The canonical Datalog facts of a situation (its signature)."""
    out: list[Fact] = []
    for key in program.categorical:
        value = sit.facts.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif key in program.listed and key != program.categorical[0] and value not in program.listed[key]:
            value = OTHER  # a value no rule names behaves like any other unnamed value
        out.append(("fact", key, value))
        out.append(("known", key))
    for key, value in sit.numbers.items():
        out.append(("num", key, canonical(value, program.thresholds.get(key, []))))
        out.append(("known", key))
    # Programmes of every beside kind are listed together: another kind may carry more or fewer measures.
    for kind, measures in program.beside:
        for item in sit.programmes:
            out.append((f"spell_{kind}", item[0]) + tuple(canonical(n, program.thresholds.get(m, []))
                                                       for m, n in zip(measures, item[1:], strict=False)))
    return tuple(sorted(set(out), key=repr))
