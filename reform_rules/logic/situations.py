"""The finite situation space of a rule set: every combination of citizen facts that the rules
can tell apart, built from the declared facts and the constants the rules compare with — never
from a list in code.

A *probe* is one concrete representative of a class of citizens (e.g. "kontanthjælp,
activity-ready, aged 18–29, no vocational education"). Numeric facts take one value per band
between the rules' thresholds; a choice takes one value per class of values the rules treat alike;
unknown optional facts are a value of their own; only combinations the citizen contract allows are
produced (a spell fact only with the values it goes with, a beside spell only beside the current
value that pays it, a spell only started on or before the date asked about).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterator

from reform_rules.basics import dates
from reform_rules.basics.errors import Problem, RuleFileError
from reform_rules.law.citizen import Situation
from reform_rules.law.conditions import DERIVED
from reform_rules.law.facts import Fact, Vocabulary
from reform_rules.law.model import RuleSet
from reform_rules.logic.compiler import OTHER, Program

UNKNOWN = None

# The largest proof ``reform check`` runs: per answer field, situations × change dates (each situation is a
# product of the bands of the facts the field's rules read, so a threshold on a fact multiplies the space).
# Measured before anything is enumerated; a rule set past it is refused with the field, the size and the
# facts that make it large (docs/guides/legal-editor.rst, "How large the proof may grow"). The rules of
# the reform need about a sixth of it (``reform check -v`` shows the figure); a proof at the limit takes
# a few GB of memory.
MAX_CELLS = 2_000_000


class ProofTooLarge(RuleFileError):
    """The situation space of a rule set is past ``MAX_CELLS``: refused before it is enumerated."""


@dataclass(frozen=True)
class Probe:
    benefit: str                                  # the current spell kind's value
    facts: tuple[tuple[str, Any], ...]            # categorical and yes/no facts
    numbers: tuple[tuple[str, int], ...]          # numeric facts and measures
    programme: tuple[Any, ...] | None = None      # one beside spell: (value, measure ordinals …)
    kind: str = ""                                # the current spell kind's name

    def situation(self, day: date) -> Situation:
        facts = dict(self.facts)
        facts[self.kind] = self.benefit
        numbers = dict(self.numbers)
        numbers["date"] = dates.ordinal(day)
        return Situation(day=day, benefit=self.benefit, spell=None, facts=facts, numbers=numbers,
                         programmes=(self.programme,) if self.programme else ())

    def describe(self, bands: "Bands") -> str:
        parts = [f"{self.kind}={self.benefit}"]
        for k, v in self.facts:
            if v is not None and v is not False:
                parts.append(f"{k}={v}")
        for k, v in self.numbers:
            parts.append(f"{k}={bands.describe(k, v)}")
        if self.programme:
            kind, measures = bands.beside
            text = " ".join(f"{m.replace('_', ' ')} {bands.describe(m, n)}"
                            for m, n in zip(measures, self.programme[1:], strict=False))
            parts.append(f"{kind}={self.programme[0]}" + (f" ({text})" if text else ""))
        return ", ".join(parts)


class Bands:
    """Representative values per numeric fact, from the union of the programs' thresholds."""

    def __init__(self, programs: list[Program], vocabulary: Vocabulary | None = None):
        self.thresholds: dict[str, list[int]] = {}
        self.sets: list[set[str]] = []
        self.listed: dict[str, set[str]] = {}
        for p in programs:
            for key, ks in p.thresholds.items():
                self.thresholds[key] = sorted(set(self.thresholds.get(key, [])) | set(ks))
            self.sets += [set(v) for v in p.sets.values()]
            for key, values in p.listed.items():
                self.listed.setdefault(key, set()).update(values)
        beside = next((p.beside[0] for p in programs if p.beside), ("", ()))
        self.beside: tuple[str, tuple[str, ...]] = beside
        self.date_keys = {"date"}
        self.same_start: dict[str, tuple[str, ...]] = {}   # months-since measure → date measures of its date
        if vocabulary is not None:
            self.date_keys |= {m for m, (measure, _) in vocabulary.measures.items() if measure.is_date}
            by_source: dict[tuple, list] = {}
            for kind in vocabulary.spell_kinds:
                for m in kind.measures:
                    by_source.setdefault((kind.kind, m.of), []).append(m)
            for group in by_source.values():
                for m in group:
                    if not m.is_date:
                        self.same_start[m.id] = tuple(x.id for x in group if x.is_date)

    def values(self, key: str) -> list[int]:
        ks = self.thresholds.get(key, [])
        return ([ks[0] - 1] + ks) if ks else [0]

    def choices(self, key: str, table: list[str]) -> list[str]:
        """One value per class of values that every rule treats alike (and one unnamed value)."""
        named = self.listed.get(key, set())
        classes: dict[tuple, str] = {}
        for value in sorted(named):
            classes.setdefault(tuple(value in s for s in self.sets), value)
        out = sorted(classes.values())
        if any(v not in named for v in table):
            out.append(OTHER)
        return out

    def describe(self, key: str, value: int | None) -> str:
        if value is None:
            return "unknown"
        ks = self.thresholds.get(key, [])
        if not ks:
            return "any"   # no rule compares this number: every value alike
        is_date = key in self.date_keys
        fmt = (lambda n: dates.from_ordinal(n).isoformat()) if is_date else str
        below = [k for k in ks if k <= value]
        above = [k for k in ks if k > value]
        if not below:
            return f"before {fmt(above[0])}" if is_date else f"under {fmt(above[0])}"
        if not above:
            return f"on/after {fmt(below[-1])}" if is_date else f"{fmt(below[-1])}+"
        return f"{fmt(below[-1])}–{fmt(above[0] - 1)}"


def condition_keys(rule_condition: Any) -> set[str]:
    return rule_condition.keys()


def family_keys(ruleset: RuleSet, family: str) -> set[str]:
    """Condition keys the rules of ``family`` depend on (through the target group too)."""
    keys: set[str] = set()
    for rule in ruleset.in_family(family):
        keys |= rule.condition.keys()
    if DERIVED in keys and family != DERIVED:
        keys |= family_keys(ruleset, DERIVED)
    return keys


def _fact_values(fact: Fact, bands: Bands, vocabulary: Vocabulary) -> list[Any]:
    if fact.type == "bool":
        return [False, True] + ([UNKNOWN] if fact.optional else [])
    table = list(vocabulary.table(fact.values or ""))
    return bands.choices(fact.id, table) + ([UNKNOWN] if fact.optional else [])


Axis = tuple[str, list[Any]]


def _citizen_axes(v: Vocabulary, bands: Bands, want: Callable[[str], bool]) -> tuple[list[Axis], list[Axis]]:
    """The citizen facts' axes: categorical ones, then numbers (integer facts and measures of dates)."""
    cit_cat = [f for f in v.facts if f.type in ("bool", "choice")]
    cit_axes: list[tuple[str, list[Any]]] = []
    for f in cit_cat:
        cit_axes.append((f.id, _fact_values(f, bands, v) if want(f.id) else [f.default]))
    cit_nums: list[tuple[str, list[Any]]] = []
    for f in v.facts:
        if f.type == "integer" and want(f.id):
            cit_nums.append((f.id, bands.values(f.id) + ([UNKNOWN] if f.optional else [])))
        for m in f.measures:
            if want(m.id):
                cit_nums.append((m.id, bands.values(m.id) + ([UNKNOWN] if f.optional else [])))
    return cit_axes, cit_nums


def _spell_axes(v: Vocabulary, bands: Bands, want: Callable[[str], bool], value: str,
                axes: list[Axis], nums: list[Axis]) -> None:
    """Add the current spell's facts and measures for the spell value ``value`` to ``axes`` and ``nums``."""
    current = v.current
    has_spell = value != v.current_none
    for f in current.facts:
        applies = has_spell and (not f.only_with or value in f.only_with)
        if f.type in ("bool", "choice"):
            axes.append((f.id, _fact_values(f, bands, v) if applies and want(f.id) else [f.default]))
        elif f.type == "integer" and applies and want(f.id):
            nums.append((f.id, bands.values(f.id) + ([UNKNOWN] if f.optional else [])))
    for m in current.measures:
        if not has_spell:
            continue
        if m.is_date:
            nums.append((m.id, bands.values(m.id) if want(m.id) else [bands.values(m.id)[0]]))
        else:
            nums.append((m.id, sorted({0} | {n for n in bands.values(m.id) if n >= 0}) if want(m.id) else [0]))


def probe_axes(ruleset: RuleSet, bands: Bands,
               keys: set[str]) -> Iterator[tuple[str, list[Axis], list[Axis], list[Any]]]:
    """Per value of the current spell kind: its categorical axes, numeric axes and beside spells (or None)."""
    v = ruleset.vocabulary
    payers = v.paid_by()
    want = keys.__contains__
    cit_axes, cit_nums = _citizen_axes(v, bands, want)
    beside_kind = v.beside[0] if v.beside else None
    beside_measures = [m.id for m in beside_kind.measures] if beside_kind else []
    want_beside = beside_kind is not None and (want(beside_kind.kind) or any(want(m) for m in beside_measures))
    for value in v.current_values:
        axes: list[tuple[str, list[Any]]] = list(cit_axes)
        nums: list[tuple[str, list[Any]]] = list(cit_nums)
        _spell_axes(v, bands, want, value, axes, nums)
        progs: list[tuple[Any, ...] | None] = [None]
        if want_beside:
            for pid in payers.get(value, []):
                for combo in itertools.product(*[bands.values(m) for m in beside_measures]):
                    progs.append((pid, *combo))
        yield value, axes, nums, progs


def probes(ruleset: RuleSet, bands: Bands, keys: set[str]) -> Iterator[Probe]:
    """Every allowed combination of the facts named in ``keys``; others left at their default."""
    kind = ruleset.vocabulary.current.kind
    for value, axes, nums, progs in probe_axes(ruleset, bands, keys):
        names = [k for k, _ in axes] + [k for k, _ in nums]
        for combo in itertools.product(*[vals for _, vals in axes], *[vals for _, vals in nums], progs):
            facts = tuple(zip(names[:len(axes)], combo[:len(axes)], strict=True))
            numbers = tuple((k, n) for k, n in zip(names[len(axes):], combo[len(axes):-1], strict=True)
                            if n is not None)
            yield Probe(benefit=value, facts=facts, numbers=numbers, programme=combo[-1], kind=kind)


def space_size(ruleset: RuleSet, bands: Bands, keys: set[str]) -> tuple[int, dict[str, int]]:
    """How many probes ``probes`` would yield, computed without enumerating them (a product of the axes'
    lengths per value of the current spell kind, summed), and the widest axis of each fact (its band count)."""
    total = 0
    widths: dict[str, int] = {}
    for _value, axes, nums, progs in probe_axes(ruleset, bands, keys):
        size = len(progs)
        for key, vals in (*axes, *nums):
            size *= len(vals)
            widths[key] = max(widths.get(key, 0), len(vals))
        total += size
    return total, widths


def possible_on(probe: Probe, day: date, bands: Bands) -> bool:
    """A spell cannot start after the date asked about, nor be N months old too early."""
    today = dates.ordinal(day)
    # The lowest band ("before the first threshold") reaches back without limit: always possible.
    if probe.programme:
        for m, n in zip(bands.beside[1], probe.programme[1:], strict=False):
            if m in bands.date_keys and n != bands.values(m)[0] and n > today:
                return False
    n = dict(probe.numbers)
    for key, start in n.items():
        if key not in bands.date_keys or start == bands.values(key)[0]:
            continue
        if start > today:
            return False
        for other, months in n.items():   # months since the same spell's start must fit before today
            if other not in bands.date_keys and other != key and months >= 0 and key in bands.same_start.get(other, ()):
                if dates.ordinal(dates.add_months(dates.from_ordinal(start), months)) > today:
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


@dataclass(frozen=True)
class Space:
    """The size of one field's proof, before it is enumerated."""
    family: str
    situations: int
    dates: int
    widths: dict[str, int]          # fact → its number of values (bands) in this proof

    @property
    def cells(self) -> int:
        return self.situations * self.dates


def spaces(ruleset: RuleSet, bands: Bands, days: list[date], families: tuple[str, ...]) -> list[Space]:
    """The proof's size for each field (family) that has rules, computed from the bands alone."""
    out = []
    for family in families:
        if not ruleset.in_family(family):
            continue
        keys = family_keys(ruleset, family) | {ruleset.vocabulary.current.kind}
        n, widths = space_size(ruleset, bands, keys)
        out.append(Space(family, n, len(days), widths))
    return out


def too_large(ruleset: RuleSet, sizes: list[Space], limit: int = MAX_CELLS) -> list[Problem]:
    """One problem per field whose proof is past ``limit``, at the rule that compares its widest fact (the
    last one loaded: most often the one just added), naming the facts that make the space large."""
    problems = []
    for space in sizes:
        if space.cells <= limit:
            continue
        wide = sorted(((w, k) for k, w in space.widths.items() if w > 1), reverse=True)[:3]
        facts = ", ".join(f"{k} {w} values" for w, k in wide)
        key = wide[0][1] if wide else ""
        users = [r for r in ruleset.rules if key and key in r.condition.keys()] or ruleset.in_family(space.family)
        rule = users[-1]
        field = ruleset.answer.by_then(space.family) if ruleset.answer else None
        name = field.label["en"].lower() if field else space.family.replace("_", " ")
        problems.append(Problem(
            f"the proof of the {name} would check {space.cells:,} situation × date cells ({space.situations:,} "
            f"situations × {space.dates} change dates); the limit is {limit:,}. The widest facts: {facts}; "
            f"{len(users)} rules compare {key or 'them'}, and every distinct threshold adds a value. "
            "Use fewer distinct thresholds (share them between rules), or split the rule set.",
            path=("when", key) if key else (), source=rule.file, line=rule.line_of("when", key), rule=rule.id))
    return problems
