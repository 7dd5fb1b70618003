"""The JSON Schema of the answer contract, generated from the answer's declaration and the rules."""
from __future__ import annotations

from typing import Any

from reform_rules.law.model import STATUS_ORDER, RuleSet

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
OPTIONAL_DATE = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _ids(ruleset: RuleSet, then: str) -> list[str]:
    """The ids the rules give a field, in rule order."""
    out = []
    for r in ruleset.in_family(then):
        value = r.then_value
        if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"] not in out:
            out.append(value["id"])
    return out


def field_schema(f: Any, ruleset: RuleSet) -> dict[str, Any]:
    if f.kind == "id":
        ids = _ids(ruleset, f.then)
        if f.carry:
            item = {"type": "object", "required": ["id", *f.carry], "additionalProperties": False,
                    "properties": {"id": {"enum": ids} if ids else {"type": "string"},
                                   **{k: {"enum": list(f.attributes.get(k, {}))} for k in f.carry}}}
            return {"oneOf": [{"type": "null"}, item], "description": f.label["en"]}
        return {"enum": [*ids, None], "description": f.label["en"]}
    if f.kind == "value":
        return {"enum": [*f.values, None], "description": f.label["en"]}
    if f.kind == "flag":
        return {"type": "boolean", "description": f.label["en"]}
    if f.kind == "status":
        return {"type": "array", "description": f.label["en"], "items": {
            "type": "object", "required": ["id", "status"], "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "status": {"enum": list(f.values)}}}}
    return {"type": "array", "description": f.label["en"], "items": {
        "type": "object", "required": ["kind", "count", "within_months", "by", "waived", "rule", "requirement"],
        "additionalProperties": False,
        "properties": {
            "kind": {"enum": list(f.values)}, "count": {"type": ["integer", "null"]},
            "within_months": {"type": ["integer", "null"]}, "by": OPTIONAL_DATE, "first_by": OPTIONAL_DATE,
            "waived": {"type": "boolean"}, "rule": {"type": "string"}, "requirement": {"type": "string"},
            "by_whom": {"type": ["string", "null"]}, "every_months": {"type": ["integer", "null"]},
            "hours_per_week": {"type": ["integer", "null"]}, "note": {"type": "object"}}}}


def answer_schema(ruleset: RuleSet) -> dict[str, Any]:
    """The answer of ``reform query --json``, field by field as ``rules/the-answer.yaml`` declares it."""
    fields = ruleset.answer.fields
    status = {"enum": list(STATUS_ORDER)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "The answer contract (generated from rules/the-answer.yaml and the rules by `reform schema`)",
        "type": "object",
        "required": ["citizen", "date", *(f.id for f in fields), "status", "open_questions", "explanation"],
        "properties": {
            "citizen": {"type": "string"},
            "date": DATE,
            **{f.id: field_schema(f, ruleset) for f in fields},
            "status": status,
            "open_questions": {"type": "array", "items": {
                "type": "object", "required": ["rule", "text"],
                "properties": {"rule": {"type": "string"}, "text": {"type": "string", "minLength": 1}}}},
            "explanation": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["rule", "text", "source", "status"],
                "properties": {"rule": {"type": "string"}, "text": {"type": "string", "minLength": 1},
                               "source": {"type": "string", "minLength": 1}, "status": status}}},
            "receipt": {"type": "object"},
        },
    }


__all__ = ["answer_schema", "field_schema"]
