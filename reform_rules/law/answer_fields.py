"""The answer's shape as the rules declare it (``rules/the-answer.yaml``): its fields in order, what a
rule's ``then`` gives each, their values and labels. Nothing here names a field of the law."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from reform_rules.law.loader import Document, format_path

KINDS = ("id", "value", "flag", "status", "obligation")
DECIDE = ("exactly-one", "at-most-one", "one-per-id", "any")


@dataclass(frozen=True)
class AnswerField:
    id: str                     # the key in the answer
    then: str                   # the key a rule's ``then`` uses (the rule's family)
    kind: str
    decide: str
    label: dict
    values: dict = field(default_factory=dict)        # value → labels (da/en, and counted forms)
    carry: tuple[str, ...] = ()
    attributes: dict = field(default_factory=dict)    # carried key → value → labels
    lane: tuple[str, ...] = ()                        # the values a timeline lane shows (all when empty)
    in_status: bool = True                            # its rules count toward the answer's status

    @property
    def in_lanes(self) -> bool:
        """Drawn as a lane of a timeline: every field but yes/no flags and optional ids."""
        return self.kind != "flag" and not (self.kind == "id" and self.decide != "exactly-one")

    def value_label(self, value: Any, lang: str) -> str:
        entry = self.values.get(value)
        return entry.get(lang, str(value)) if isinstance(entry, dict) else str(value)

    def attribute_label(self, name: str, value: Any, lang: str) -> str:
        entry = self.attributes.get(name, {}).get(value)
        return entry.get(lang, str(value)) if isinstance(entry, dict) else str(value)

    def counted(self, value: str, count: int | None, lang: str) -> str:
        """The form for one or for more (``samtale``/``samtaler``); the neutral form without a count."""
        entry = self.values.get(value) or {}
        form = None if count is None else entry.get("one" if count == 1 else "many")
        if isinstance(form, dict):
            return form.get(lang, value)
        return entry.get(lang, value)


@dataclass(frozen=True)
class AnswerShape:
    fields: tuple[AnswerField, ...]

    @property
    def families(self) -> tuple[str, ...]:
        """The ``then`` keys, in answer order (the order an explanation lists rules)."""
        return tuple(f.then for f in self.fields)

    def by_then(self, then: str) -> AnswerField | None:
        return self._by_then.get(then)

    @cached_property
    def _by_then(self) -> dict[str, AnswerField]:
        out: dict[str, AnswerField] = {}
        for f in self.fields:
            out.setdefault(f.then, f)
        return out

    def by_id(self, ident: str) -> AnswerField | None:
        return next((f for f in self.fields if f.id == ident), None)

    def of_kind(self, kind: str) -> list[AnswerField]:
        return [f for f in self.fields if f.kind == kind]

    def columns(self) -> tuple[str, ...]:
        """The flat columns of an answer: each field, and each carried key beside it."""
        out: list[str] = []
        for f in self.fields:
            out.append(f.id)
            out += list(f.carry)
        return tuple(out)


def read_answer(doc: Document) -> tuple[AnswerShape | None, list[str]]:
    errors: list[str] = []
    fields = []
    seen: set[str] = set()
    for i, f in enumerate(doc.data["fields"]):
        for key in ("id", "then"):
            if f[key] in seen and key == "id":
                errors.append(f"{doc.file}:{doc.line(('fields', i, key))}: {format_path(('fields', i, key))}: "
                              f"'{f[key]}' is declared twice")
        seen.add(f["id"])
        fields.append(AnswerField(id=f["id"], then=f["then"], kind=f["kind"], decide=f["decide"], label=f["label"],
                                  values={str(k): v for k, v in (f.get("values") or {}).items()},
                                  carry=tuple(f.get("carry", ())), lane=tuple(f.get("lane", ())),
                                  in_status=f.get("in_status", True),
                                  attributes={k: {str(x): y for x, y in v.items()}
                                              for k, v in (f.get("attributes") or {}).items()}))
    if len({f.then for f in fields}) != len(fields):
        errors.append(f"{doc.file}:1: fields: two fields are decided by the same 'then'")
    return (AnswerShape(tuple(fields)) if not errors else None), errors
