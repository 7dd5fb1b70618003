"""The finite situation space of a rule set: every combination of citizen facts that the rules
can tell apart, built from the constants the rules compare with — never from a list in code.

A *probe* is one concrete representative of a class of citizens (e.g. "kontanthjælp,
activity-ready, aged 18–29, no vocational education"). Numeric facts take one value per band
between the rules' thresholds; unknown optional facts are a value of their own; only
combinations the citizen contract allows are produced (an assessment only with a benefit that
has one, a programme only beside the benefit that pays it, sickness facts only with sickness
benefit, a spell or programme only started on or before the date asked about).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Iterator

from . import dates
from .citizen import Situation
from .compiler import OTHER, Program
from .model import Rule, RuleSet

UNKNOWN = None


@dataclass(frozen=True)
class Probe:
    benefit: str
    facts: tuple[tuple[str, Any], ...]        # categorical and boolean facts
    numbers: tuple[tuple[str, int], ...]      # age, expected_absence_weeks, months_into_spell, spell_started
    programme: tuple[str, int] | None = None  # (id, start ordinal)

    def situation(self, day: date) -> Situation:
        facts = dict(self.facts)
        facts["benefit"] = self.benefit
        numbers = dict(self.numbers)
        numbers["date"] = dates.ordinal(day)
        return Situation(day=day, benefit=self.benefit, spell=None, facts=facts, numbers=numbers,
                         programmes=(self.programme,) if self.programme else ())

    def describe(self, bands: "Bands") -> str:
        parts = [f"benefit={self.benefit}"]
        for k, v in self.facts:
            if v is not None and v is not False:
                parts.append(f"{k}={v}")
        for k, v in self.numbers:
            parts.append(f"{k}={bands.describe(k, v)}")
        if self.programme:
            parts.append(f"programme={self.programme[0]} started {bands.describe('programme_started', self.programme[1])}")
        return ", ".join(parts)


class Bands:
    """Representative values per numeric fact, from the union of the programs' thresholds."""

    def __init__(self, programs: list[Program]):
        self.thresholds: dict[str, list[int]] = {}
        for p in programs:
            for key, ks in p.thresholds.items():
                self.thresholds[key] = sorted(set(self.thresholds.get(key, [])) | set(ks))
            self.thresholds["programme_started"] = sorted(
                set(self.thresholds.get("programme_started", [])) | set(p.programme_thresholds))
        self.municipality_groups = _municipality_groups(programs)

    def values(self, key: str) -> list[int]:
        ks = self.thresholds.get(key, [])
        return ([ks[0] - 1] + ks) if ks else [0]

    def describe(self, key: str, value: int | None) -> str:
        if value is None:
            return "unknown"
        ks = self.thresholds.get(key, [])
        is_date = key in ("spell_started", "programme_started", "date")
        fmt = (lambda n: dates.from_ordinal(n).isoformat()) if is_date else str
        below = [k for k in ks if k <= value]
        above = [k for k in ks if k > value]
        if not below:
            return f"before {fmt(above[0])}" if is_date else f"under {fmt(above[0])}"
        if not above:
            return f"on/after {fmt(below[-1])}" if is_date else f"{fmt(below[-1])}+"
        return f"{fmt(below[-1])}–{fmt(above[0] - 1)}"


def _municipality_groups(programs: list[Program]) -> list[str | None]:
    """One municipality name per class of names that every rule's lists treat alike."""
    sets = [set(v) for p in programs for v in p.sets.values()]
    names = set().union(*(p.municipalities for p in programs))
    classes: dict[tuple, str] = {}
    for name in sorted(names):
        classes.setdefault(tuple(name in s for s in sets), name)
    return sorted(classes.values()) + [OTHER, None]


def condition_keys(when: dict) -> set[str]:
    keys = set()
    for key, value in when.items():
        if key == "any_of":
            for branch in value:
                keys |= condition_keys(branch)
        else:
            keys.add(key)
    return keys


def family_keys(ruleset: RuleSet, family: str) -> set[str]:
    """Condition keys the rules of ``family`` depend on (through target_group too)."""
    keys: set[str] = set()
    for rule in ruleset.in_family(family):
        keys |= condition_keys(rule.when)
    if "target_group" in keys and family != "target_group":
        keys |= family_keys(ruleset, "target_group")
    return keys


def probes(ruleset: RuleSet, bands: Bands, keys: set[str]) -> Iterator[Probe]:
    """Every allowed combination of the facts named in ``keys``; others left at their default."""
    v = ruleset.vocabulary
    payers: dict[str, list[str]] = {}
    for term in v.programmes.values():
        for b in term.paid_by:
            payers.setdefault(b, []).append(term.id)
    want = lambda k: k in keys  # noqa: E731
    bools = [k for k in ("vocational_education", "exempted", "work_duty") if want(k)]
    ages = bands.values("age") + [UNKNOWN] if want("age") else [UNKNOWN]
    munis = bands.municipality_groups if want("municipality") else [UNKNOWN]
    for benefit in v.benefits:
        has_spell = benefit != v.no_benefit
        assessments = (list(v.assessments) + [UNKNOWN]) if want("assessment") and benefit in v.assessment_for else [UNKNOWN]
        sick = benefit == v.sick_benefit
        sick_froms = list(v.sick_from) + [UNKNOWN] if sick and want("sick_from") else [UNKNOWN]
        absences = bands.values("expected_absence_weeks") + [UNKNOWN] if sick and want("expected_absence_weeks") else [UNKNOWN]
        uncomplicated = [False, True] if sick and want("uncomplicated") else [False]
        months = sorted({0} | {m for m in bands.values("months_into_spell") if m >= 0}) \
            if has_spell and want("months_into_spell") else ([0] if has_spell else [UNKNOWN])
        starts = bands.values("spell_started") if has_spell and want("spell_started") else \
            ([bands.values("spell_started")[0]] if has_spell else [UNKNOWN])
        progs: list[tuple[str, int] | None] = [None]
        if want("programme") or want("programme_started"):
            for pid in payers.get(benefit, []):
                progs += [(pid, s) for s in bands.values("programme_started")]
        for combo in itertools.product(assessments, ages, munis, sick_froms, absences, uncomplicated, months,
                                       starts, progs, *([[False, True]] * len(bools))):
            a, age, muni, sf, absence, unc, m, start, prog = combo[:9]
            flags = dict(zip(bools, combo[9:]))
            facts = (("assessment", a), ("municipality", muni), ("sick_from", sf), ("uncomplicated", unc),
                     ("vocational_education", flags.get("vocational_education", False)),
                     ("exempted", flags.get("exempted", False)), ("work_duty", flags.get("work_duty", False)))
            numbers = tuple((k, n) for k, n in (("age", age), ("expected_absence_weeks", absence),
                                                 ("months_into_spell", m), ("spell_started", start)) if n is not None)
            yield Probe(benefit=benefit, facts=facts, numbers=numbers, programme=prog)


def possible_on(probe: Probe, day: date, bands: Bands) -> bool:
    """A spell or programme cannot start after the date asked about, nor be N months old too early."""
    n = dict(probe.numbers)
    today = dates.ordinal(day)
    # The lowest band ("before the first threshold") reaches back without limit: always possible.
    if probe.programme and probe.programme[1] != bands.values("programme_started")[0] and probe.programme[1] > today:
        return False
    start = n.get("spell_started")
    if start is not None:
        lowest = bands.values("spell_started")[0]
        if start != lowest and start > today:
            return False
        months = n.get("months_into_spell", 0)
        if start != lowest and dates.ordinal(dates.add_months(dates.from_ordinal(start), months)) > today:
            return False
    return True


def check_dates(programs: list[Program], lo: date, hi: date) -> list[date]:
    """The first day, and every date within [lo, hi] on which some rule starts or stops."""
    days = {lo}
    for p in programs:
        for n in p.thresholds.get("date", []):
            d = dates.from_ordinal(n)
            if lo < d <= hi:
                days.add(d)
    return sorted(days)
