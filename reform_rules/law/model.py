"""Typed rule objects: what a rule, a source and a rule set *are*."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reform_rules.law.answer_fields import AnswerShape
from reform_rules.law.conditions import Condition
from reform_rules.law.facts import Vocabulary

UNDETERMINED = "undetermined"
NONE = "none"   # a rule that decides, explicitly, that a field has no value (no trial, no requirement)
# From strongest to weakest (REFORM.md, "Sources and how sure each fact is").
STATUS_ORDER = ("law", "guidance", "bill", "agreement", "provisional")


def weakest(statuses) -> str:
    """The weakest of the given statuses ('law' when there are none)."""
    return max(statuses, key=STATUS_ORDER.index, default="law")


@dataclass(frozen=True)
class Citation:
    ref: str
    at: str | None = None
    quote: str | None = None


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    kind: str
    status: str
    where: str
    date: date | None = None
    file: str | None = None
    note: str | None = None
    label: str | None = None
    url: str | None = None       # the public address, where there is one

    @property
    def short(self) -> str:
        """How a citation names this source: a seed by file name, others by label or title."""
        if self.kind == "seed":
            return self.where
        return self.label or self.title


@dataclass
class Rule:
    id: str
    subject: str
    file: str
    line: int
    title: dict
    status: str
    source: tuple[Citation, ...]
    valid_from: date | None = None
    valid_to: date | None = None
    reason: dict | None = None
    question: dict | None = None
    condition: Condition = field(default_factory=Condition)
    overrides: tuple[str, ...] = ()
    effect: str = "replace"
    then_kind: str | None = None
    then_value: Any = None
    family: str = ""
    position: int = 0  # order in the rule set (subject order, then file order)
    field_lines: dict = field(default_factory=dict, repr=False, compare=False)  # ('when','benefit') → line

    def line_of(self, *path) -> int:
        """The line of a field of this rule (or of its nearest enclosing field)."""
        path = tuple(path)
        while path and path not in self.field_lines:
            path = path[:-1]
        return self.field_lines.get(path, self.line)

    @property
    def decides_none(self) -> bool:
        """Decides, explicitly, that its field holds nothing (with its own source): never a silent answer."""
        value = self.then_value
        return value == NONE

    @property
    def undetermined(self) -> bool:
        value = self.then_value
        if isinstance(value, dict):
            value = value.get("status")
        return value == UNDETERMINED

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and \
               (self.valid_to is None or day <= self.valid_to)


@dataclass
class Parameter:
    id: str
    title: dict
    status: str
    source: tuple[Citation, ...]
    values: list[tuple[date, date | None, Any]]
    unit: str | None = None
    reason: dict | None = None
    file: str = ""
    line: int = 0

    def value_on(self, day: date) -> Any:
        for start, end, value in self.values:
            if start <= day and (end is None or day <= end):
                return value
        return None


@dataclass
class RuleSet:
    """Every rule, source, vocabulary term and parameter of one rules directory, validated."""
    directory: str
    rules: list[Rule]
    sources: dict[str, Source]
    vocabulary: Vocabulary
    parameters: list[Parameter]
    subjects: list[tuple[str, str, dict | None]]  # (subject, file, title)
    documents: dict[str, Any] = field(default_factory=dict)  # file name → parsed data (for hashing)
    answer: AnswerShape = field(default_factory=lambda: AnswerShape(()))   # the answer's declared fields

    def __post_init__(self) -> None:
        self.by_id = {rule.id: rule for rule in self.rules}

    def rule(self, rule_id: str) -> Rule:
        return self.by_id[rule_id]

    @property
    def families(self) -> tuple[str, ...]:
        """What rules decide (each a field of the answer), in answer order."""
        return self.answer.families

    def in_family(self, family: str) -> list[Rule]:
        return [r for r in self.rules if r.family == family]
