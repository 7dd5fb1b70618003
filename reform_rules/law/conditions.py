"""A rule's ``when`` parsed once, at load, into a small typed tree.

The only reader of the raw ``when`` mapping: the compiler, the completeness proof, the batch, the
docs and the web page consume the tree. Which names a condition may use, and what each tests, comes
from the vocabulary's declaration (``reform_rules.law.facts``); the tree knows only kinds of test.

- ``ChoiceTest``: a value of a table (the current spell kind's value, a choice fact, the derived
  target group): one value, a list, ``in``/``not_in``, or ``known``.
- ``BoolTest``: a yes/no fact, or ``known``.
- ``NumberTest``: a whole number (an integer fact, or years/months/weeks since a date) against
  constants: ``under``, ``at_least``, ``over``, ``at_most``, or ``known``.
- ``DateTest``: a date measure: ``before``, ``on_or_after``.
- ``BesideTest``: a spell of a ``beside`` kind (a programme): its value, and date tests on its
  measures — all about the same spell.
- ``Condition``: all of its tests, and at most one ``any_of`` of alternative conditions.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Iterator, Union

from reform_rules.basics import dates
from reform_rules.law.facts import Measure, Vocabulary

DERIVED = "target_group"   # the one condition on an answer field: the derived target group
NUMBER_OPS = ("under", "at_least", "over", "at_most")
DATE_OPS = ("before", "on_or_after")
YEARS = (1900, 2200)
# The widest sensible number for each kind of measure: years of age, months and weeks of a spell.
MEASURE_RANGE: dict[str, tuple[int, int | None]] = {"years_since": (0, 150), "months_since": (0, 1200),
                                                    "weeks_since": (0, 5200)}


@dataclass(frozen=True)
class ChoiceTest:
    key: str
    values: tuple[str, ...] | None = None      # in (a single value is a one-item tuple)
    not_in: tuple[str, ...] | None = None
    known: bool | None = None
    table: str = ""
    beside: str = ""                           # the beside spell kind this tests, if any

    def possible(self, value: str | None) -> bool:
        """False only when this test surely fails for ``value`` (None: not known)."""
        if self.known is not None and (value is not None) != self.known:
            return False
        if self.values is not None and value not in self.values:
            return False
        if self.not_in is not None and (value is None or value in self.not_in):
            return False
        return True

    def data(self) -> Any:
        if self.values is not None and self.not_in is None and self.known is None:
            return self.values[0] if len(self.values) == 1 else list(self.values)
        out: dict[str, Any] = {}
        if self.values is not None:
            out["in"] = list(self.values)
        if self.not_in is not None:
            out["not_in"] = list(self.not_in)
        if self.known is not None:
            out["known"] = self.known
        return out


@dataclass(frozen=True)
class BoolTest:
    key: str
    value: bool | None = None
    known: bool | None = None

    def data(self) -> Any:
        return self.value if self.known is None else {"known": self.known}


@dataclass(frozen=True)
class NumberTest:
    key: str
    ops: tuple[tuple[str, int], ...] = ()
    known: bool | None = None
    beside: str = ""

    def constants(self) -> list[int]:
        """The ``value >= k`` constants this test compares with (every op reduced to bands)."""
        return [k + 1 if op in ("over", "at_most") else k for op, k in self.ops]

    def data(self) -> Any:
        out: dict[str, Any] = dict(self.ops)
        if self.known is not None:
            out["known"] = self.known
        return out


@dataclass(frozen=True)
class DateTest:
    key: str
    ops: tuple[tuple[str, date], ...] = ()
    beside: str = ""

    def constants(self) -> list[int]:
        return [dates.ordinal(d) for _, d in self.ops]

    def data(self) -> Any:
        return {op: d.isoformat() for op, d in self.ops}


@dataclass(frozen=True)
class BesideTest:
    """A spell of a ``beside`` kind with this value (or none at all, ``known: false``) and dates."""
    kind: str
    ids: ChoiceTest | None = None
    dates: tuple[DateTest, ...] = ()

    @property
    def none(self) -> bool:
        return self.ids is not None and self.ids.known is False

    def possible(self, values: frozenset[str]) -> bool:
        if self.none:
            return not values
        if not values:
            return False
        if self.ids is None:
            return True
        return any(self.ids.possible(v) for v in values)


Test = Union[ChoiceTest, BoolTest, NumberTest, DateTest]


@dataclass(frozen=True)
class Condition:
    tests: tuple[Test, ...] = ()
    any_of: tuple["Condition", ...] = ()
    raw_keys: tuple[str, ...] = field(default=(), compare=False)

    def branches(self) -> list["Branch"]:
        """The plain conjunctions this condition is the disjunction of (``any_of`` expanded)."""
        if not self.any_of:
            return [Branch.of(self.tests)]
        out = []
        for alt in self.any_of:
            for b in alt.branches():
                out.append(Branch.of(self.tests + b.all_tests()))
        return out

    def keys(self) -> set[str]:
        out = {t.key for t in self.tests}
        for alt in self.any_of:
            out |= alt.keys()
        return out

    def walk(self) -> Iterator[Test]:
        yield from self.tests
        for alt in self.any_of:
            yield from alt.walk()

    def data(self) -> dict[str, Any]:
        """The condition as a rule file writes it (normalised)."""
        out: dict[str, Any] = {t.key: t.data() for t in self.tests}
        if self.any_of:
            out["any_of"] = [alt.data() for alt in self.any_of]
        return out

    def text(self) -> str:
        """One compact line: ``kind: value; measure: {under: 30}``."""
        return _text(self.data())

    def __bool__(self) -> bool:
        return bool(self.tests or self.any_of)


@dataclass(frozen=True)
class Branch:
    """One conjunction: plain tests, and the beside-spell tests grouped per spell."""
    tests: tuple[Test, ...]
    beside: tuple[BesideTest, ...]

    @staticmethod
    def of(tests: tuple[Test, ...]) -> "Branch":
        plain: list[Test] = []
        spells: dict[str, dict] = {}
        for t in tests:
            kind = getattr(t, "beside", "")
            if not kind:
                plain.append(t)
                continue
            slot = spells.setdefault(kind, {"ids": None, "dates": []})
            if isinstance(t, ChoiceTest):
                slot["ids"] = t
            else:
                slot["dates"].append(t)
        beside = tuple(BesideTest(k, s["ids"], tuple(s["dates"])) for k, s in spells.items())
        return Branch(tuple(plain), beside)

    def all_tests(self) -> tuple[Test, ...]:
        out = list(self.tests)
        for b in self.beside:
            if b.ids is not None:
                out.append(b.ids)
            out += b.dates
        return tuple(out)


# -- parsing --------------------------------------------------------------------------------------------
class ConditionError(Exception):
    """A condition names something the vocabulary does not declare, or tests it the wrong way."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def parse_condition(when: Any, vocabulary: Vocabulary, groups: frozenset[str] | None = None,
                    path: tuple = ("when",)) -> tuple[Condition, list[ConditionError]]:
    """The typed condition of a rule's ``when``, and every problem found (each with its field path)."""
    errors: list[ConditionError] = []
    if when is None:
        return Condition(), errors
    if not isinstance(when, dict):
        errors.append(ConditionError(path, "conditions must be a mapping"))
        return Condition(), errors
    tests: list[Test] = []
    alternatives: list[Condition] = []
    for key, value in when.items():
        here = path + (key,)
        if key == "any_of":
            if not isinstance(value, list) or len(value) < 2:
                errors.append(ConditionError(here, "give a list of at least two alternatives"))
                continue
            for i, branch in enumerate(value):
                cond, errs = parse_condition(branch, vocabulary, groups, here + (i,))
                alternatives.append(cond)
                errors += errs
            continue
        try:
            tests.append(_test(key, value, vocabulary, groups))
        except ConditionError as exc:
            errors.append(ConditionError(here + exc.path, exc.message))
    return Condition(tuple(tests), tuple(alternatives), tuple(when)), errors


def _test(key: str, value: Any, v: Vocabulary, groups: frozenset[str] | None) -> Test:
    """The typed test of one ``when`` entry; ConditionError when it cannot be one."""
    if key == DERIVED:
        return _derived(key, value, v, groups)
    found = v.condition_kind(key)
    if found is None:
        raise _unknown_condition(key, v)
    what, decl = found
    if what in ("current", "choice"):
        return _choice(key, value, decl.values, v)
    if what == "beside":
        return replace(_choice(key, value, decl.values, v), beside=decl.kind)
    if what == "bool":
        return _bool(key, value)
    if what == "integer":
        return _number(key, value, (decl.minimum or 0, decl.maximum))
    if what == "measure":
        measure, _owner = decl
        return _measured(key, value, measure)
    if what == "beside-measure":
        measure, kind = decl
        return replace(_measured(key, value, measure), beside=kind.kind)
    raise ConditionError((), f"cannot test '{key}'")


def _derived(key: str, value: Any, v: Vocabulary, groups: frozenset[str] | None) -> ChoiceTest:
    """A test on the target group, which must name groups some rule decides."""
    test = _choice(key, value, None, v)
    for x in (test.values or ()) + (test.not_in or ()):
        if groups is not None and x not in groups:
            raise ConditionError((), f"'{x}' is not a target group decided by any rule")
    return test


def _unknown_condition(key: str, v: Vocabulary) -> ConditionError:
    """The error for a condition the vocabulary does not declare, with the nearest name."""
    names = v.condition_names() + [DERIVED, "any_of"]
    near = difflib.get_close_matches(key, names, n=1)
    hint = f"did you mean '{near[0]}'? " if near else ""
    return ConditionError((), f"unknown condition '{key}' ({hint}the conditions are: {', '.join(names)})")


def _bool(key: str, value: Any) -> BoolTest:
    """``true``, ``false`` or ``{known: false}``."""
    if isinstance(value, bool):
        return BoolTest(key, value)
    if isinstance(value, dict) and set(value) == {"known"} and isinstance(value["known"], bool):
        return BoolTest(key, None, value["known"])
    raise ConditionError((), f"{value!r}: give true, false or {{known: false}}")


def _measured(key: str, value: Any, measure: Measure) -> DateTest | NumberTest:
    """A test on a measure: a date, or a number in the range of its kind."""
    return _date(key, value) if measure.is_date else _number(key, value, MEASURE_RANGE[measure.kind])


def _choice(key: str, value: Any, table: str | None, v: Vocabulary) -> ChoiceTest:
    def check(items: Any, where: tuple) -> tuple[str, ...]:
        if not isinstance(items, list) or not items or not all(isinstance(x, str) for x in items):
            raise ConditionError(where, "give a list of values")
        if table is None:
            return tuple(items)
        out = []
        known = v.table(table)
        for x in items:
            if x in known:
                out.append(x)
                continue
            found = known.lookup(x)
            if found is not None:   # a rule names the value itself, never an older or looser name of it
                raise ConditionError(where, f"'{x}' is not a known {key}: it is another name of '{found}'; "
                                            f"a rule names '{found}'")
            near = known.suggest(x)
            hint = f"; did you mean {', '.join(near)}?" if near else f" (one of: {', '.join(known)})"
            raise ConditionError(where, f"'{x}' is not a known {key}{hint}")
        return tuple(out)
    if isinstance(value, str):
        return ChoiceTest(key, check([value], ()), table=table or "")
    if isinstance(value, list):
        return ChoiceTest(key, check(value, ()), table=table or "")
    if isinstance(value, dict) and value and set(value) <= {"in", "not_in", "known"}:
        known = value.get("known")
        if known is not None and not isinstance(known, bool):
            raise ConditionError(("known",), "give true or false")
        return ChoiceTest(key, check(value["in"], ("in",)) if "in" in value else None,
                          check(value["not_in"], ("not_in",)) if "not_in" in value else None, known, table or "")
    raise ConditionError((), f"{value!r}: give a value, a list of values, or in / not_in / known")


def _number(key: str, value: Any, bounds: tuple[int, int | None] = (0, None)) -> NumberTest:
    if not isinstance(value, dict) or not value or not set(value) <= set(NUMBER_OPS) | {"known"}:
        raise ConditionError((), f"{value!r}: give one or more of {', '.join(NUMBER_OPS)} (or known)")
    ops = []
    for op, k in value.items():
        if op == "known":
            if not isinstance(k, bool):
                raise ConditionError((op,), "give true or false")
            continue
        if isinstance(k, bool) or not isinstance(k, int):
            raise ConditionError((op,), f"{k!r} is not a whole number")
        lo, hi = bounds
        if k < lo:
            raise ConditionError((op,), f"{k} is less than the minimum of {lo}")
        if hi is not None and k > hi:
            raise ConditionError((op,), f"{k} is greater than the maximum of {hi}")
        ops.append((op, k))
    return NumberTest(key, tuple(ops), value.get("known"))


def _date(key: str, value: Any) -> DateTest:
    if not isinstance(value, dict) or not value or not set(value) <= set(DATE_OPS):
        raise ConditionError((), f"{value!r}: give before and/or on_or_after with a date")
    ops = []
    for op, d in value.items():
        try:
            day = dates.parse_date(d)
        except ValueError as exc:
            raise ConditionError((op,), str(exc)) from None
        if not YEARS[0] <= day.year <= YEARS[1]:
            raise ConditionError((op,), f"'{day}' is outside the years {YEARS[0]}–{YEARS[1]}; is it a typo?")
        ops.append((op, day))
    return DateTest(key, tuple(ops))


def _text(value: Any, top: bool = True) -> str:
    if isinstance(value, dict):
        if top:
            return "; ".join(f"{k}: " + (" | ".join("(" + _text(b) + ")" for b in x) if k == "any_of"
                                         else _text(x, False))
                             for k, x in value.items())
        return "{" + ", ".join(f"{k}: {_text(x, False)}" for k, x in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_text(x, False) for x in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = ["BesideTest", "BoolTest", "Branch", "ChoiceTest", "Condition", "ConditionError", "DateTest",
           "NumberTest", "parse_condition"]
