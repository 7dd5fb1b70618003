"""The answer for one citizen on one date: the contract of the domain brief (``docs/reform.rst``, "Interfaces")."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Obligation:
    kind: str
    count: int | None
    within_months: int | None
    by: str | None
    waived: bool
    rule: str              # the rule that decides this obligation now (the exception when waived)
    requirement: str       # the rule that sets the requirement
    by_whom: str | None = None
    first_by: str | None = None
    every_months: int | None = None
    hours_per_week: int | None = None
    note: str | None = None


@dataclass
class Reason:
    rule: str
    text: str
    source: str
    status: str
    title: str = ""
    effect: str = "applies"    # applies | sets-aside | set-aside
    undetermined: bool = False


@dataclass
class Answer:
    """The answer: the fields the rules declare (``rules/the-answer.yaml``) in ``values``, in order, and
    what every answer has: the status, the open questions and the reasons. ``answer.<field>`` reads a
    declared field."""
    citizen: str
    date: str
    values: dict[str, Any]
    status: str
    open_questions: list[dict]
    explanation: list[Reason]
    lang: str = "da"
    names: dict[str, str] = field(default_factory=dict)  # display names of ids, in ``lang``
    receipt: dict | None = None

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(name)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``reform query --json``."""
        out: dict[str, Any] = {"citizen": self.citizen, "date": self.date}
        for key, value in self.values.items():
            if isinstance(value, list) and value and isinstance(value[0], Obligation):
                value = [{k: v for k, v in asdict(o).items() if k != "note" or v} for o in value]
            out[key] = value
        out.update({
            "status": self.status,
            "open_questions": self.open_questions,
            "explanation": [{"rule": r.rule, "text": r.text, "source": r.source, "status": r.status}
                            for r in self.explanation],
        })
        if self.receipt is not None:
            out["receipt"] = self.receipt
        return out
