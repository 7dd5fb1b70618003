"""The OpenAPI document: the request bodies come from their Pydantic models (:mod:`reform_rules.web.models`);
the citizen, the answer contract of the domain brief (``docs/reform.rst``, "Interfaces") and the other
answers are the schemas generated from the rules' declarations, added here. Enumerations come from
the loaded vocabulary, so the document follows the rules.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from reform_rules.law.answer_schema import answer_schema
from reform_rules.law.citizen_schema import citizen_schema
from reform_rules.law.loader import LoadError, load_file

DESCRIPTION = """\
Answers, for one citizen on one date, which phase of the reform applies, the target group, the
programmes, the contact requirements with their due dates (waived ones marked), whether the
citizen can be sanctioned and which trial may apply, with numbered reasons citing their legal
sources. `status` says when an answer rests on a bill, the political agreement or a provisional
reading instead of law in force.

Read-only. Nothing sent is stored, and citizen data is never written to the server log.
Bad input is answered with **422** and every problem named by its field, e.g.
`citizen: spells[0].benefit: 'x' is not a known benefit`, or for 30 February `date: '…' is not a
date (no such day)`; a body over 1 MB with **413**. Errors have the shape
`{"error": "invalid_input", "messages": ["…"]}`. Dates are `YYYY-MM-DD` with a year from 1900 to
2200 (others are refused with 422); `lang` is `da` or `en` (left out: `da`; `null` is refused).
A body is JSON sent as `application/json` (or with no `Content-Type`), nested at most 50 levels; it
must arrive within 15 seconds (**408** after).
"""

TAGS = [
    {"name": "answers", "description": "What applies to a citizen, and why."},
    {"name": "rules", "description": "The rules themselves, for legal staff and tools."},
    {"name": "examples", "description": "Persona citizen files and reading a citizen file."},
]

_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATE_RANGE = "YYYY-MM-DD, a year from 1900 to 2200"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(example: dict[str, Any]) -> dict[str, Any]:
    """An example of a request body (its schema is the model's)."""
    return {"requestBody": {"content": {"application/json": {"example": example}}}}


def example(base, examples: dict) -> dict[str, Any]:
    """An example request for the documentation: a persona file if there is one, and a phase's first day.

    Built from the loaded rules and examples, so that no benefit or date is written into the engine.
    """
    citizen: dict[str, Any] | None = None
    for path in examples.values():
        try:
            data = load_file(path, path.name).data
        except LoadError:
            continue
        if isinstance(data, dict) and isinstance(data.get("spells"), list) and data["spells"]:
            citizen = {k: v for k, v in data.items() if k != "note"}
            break
    starts = sorted(r.valid_from for r in base.ruleset.in_family("phase") if r.valid_from) or [date.today()]
    on = starts[-1].isoformat()
    if citizen is None:
        benefit = next(iter(base.ruleset.vocabulary.current_values), "none")
        citizen = {"id": "example", "spells": [{"benefit": benefit, "from": on}]}
    return {"citizen": citizen, "date": on, "from": starts[0].isoformat(), "to": on}


def query_body(ex: dict[str, Any]) -> dict[str, Any]:
    return _body({"citizen": ex["citizen"], "date": ex["date"], "lang": "da"})


def timeline_body(ex: dict[str, Any]) -> dict[str, Any]:
    return _body({"citizen": ex["citizen"], "from": ex["from"], "to": ex["to"]})


def parse_body(ex: dict[str, Any]) -> dict[str, Any]:
    lines = [f"id: {ex['citizen'].get('id', 'example')}", "spells:"]
    for spell in ex["citizen"].get("spells", [])[:2]:
        lines.append("  - {" + ", ".join(f"{k}: {v}" for k, v in spell.items()) + "}")
    return _body({"text": "\n".join(lines) + "\n", "name": "citizen.yaml"})


def responses(ok: str, extra: tuple[int, ...] = (), ok_only: bool = False,
              not_found: bool = False) -> dict[int | str, Any]:
    out: dict[int | str, Any] = {200: {"description": "OK", "content": {"application/json": {"schema": _ref(ok)}}}}
    if not_found:
        out[404] = {"description": "No such item", "content": {"application/json": {"schema": _ref("Error")}}}
    if ok_only:
        return out
    out[422] = {"description": "Bad input; every message names its field",
                "content": {"application/json": {"schema": _ref("Error")}}}
    if not ok.endswith("List"):
        out[413] = {"description": "Request body over 1 MB", "content": {"application/json": {"schema": _ref("Error")}}}
        out[408] = {"description": "The request body did not arrive in time",
                    "content": {"application/json": {"schema": _ref("Error")}}}
    for code in extra:
        out[code] = {"description": "Not available in this version",
                     "content": {"application/json": {"schema": _ref("Error")}}}
    return out


def schemas(base) -> dict[str, Any]:
    generated = citizen_schema(base.ruleset.vocabulary, ref="#/components/schemas/")
    spell = generated["$defs"]["Spell"]
    citizen = {k: v for k, v in generated.items() if k not in ("$schema", "$defs")}
    status = {"type": "string", "enum": ["law", "guidance", "bill", "agreement", "provisional"]}
    answer = {k: v for k, v in answer_schema(base.ruleset).items() if k != "$schema"}
    answer["description"] = ("The answer contract (the domain brief, docs/reform.rst, \"Interfaces\"), generated from "
                             "the rules' answer declaration; identical to `reform query --json`.")
    ob_field = next(iter(base.ruleset.answer.of_kind("obligation")), None)
    obligation = answer["properties"][ob_field.id]["items"] if ob_field else {"type": "object"}
    if ob_field:
        answer["properties"][ob_field.id] = {"type": "array", "items": _ref("Obligation"),
                                             "description": ob_field.label["en"]}
    rule = {
        "type": "object",
        "properties": {
            "id": {"type": "string"}, "subject": {"type": "string"}, "file": {"type": "string"},
            "line": {"type": "integer"},
            "title": {"type": "object", "properties": {"da": {"type": "string"}, "en": {"type": "string"}}},
            "valid_from": {"type": ["string", "null"]}, "valid_to": {"type": ["string", "null"]},
            "status": status,
            "sources": {"type": "array", "items": {"type": "object", "properties": {
                "ref": {"type": "string"}, "at": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
                "short": {"type": "string"}, "status": {"type": ["string", "null"]},
                "where": {"type": ["string", "null"]}}}},
            "overrides": {"type": "array", "items": {"type": "string"}},
            "effect": {"type": "string", "enum": ["replace", "waive"]},
            "decides": {"type": "object", "properties": {"kind": {"type": "string"}, "value": {}}},
            "when": {"type": "object"}, "undetermined": {"type": "boolean"},
            "question": {"type": ["object", "null"]}, "reason": {"type": ["object", "null"]},
        },
    }
    phase = {"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "object"}, "from": {"type": ["string", "null"]},
        "to": {"type": ["string", "null"]}, "rule": {"type": "string"}, "title": {"type": "object"},
        "status": status, "sources": {"type": "array", "items": {"type": "object"}}}}
    return {
        "Spell": spell, "Citizen": citizen, "Obligation": obligation, "Answer": answer,
        "ExplainedAnswer": {"type": "object", "properties": {
            "answer": _ref("Answer"),
            "view": {"type": "object", "description": "Display names, labels and the text answer in `lang`.",
                     "properties": {"missing": {"type": "array", "items": _ref("MissingFact")}}}}},
        "MissingFact": {"type": "object", "description": "A fact left empty that a rule behind the answer tests as not "
                                                         "known: the caseworker is asked for it.", "properties": {
            "fact": {"type": "string", "description": "The declared fact's id."},
            "on": {"type": "string", "description": "`citizen`, or the spell kind it belongs to."},
            "spell": {"type": ["integer", "null"], "description": "The spell's place in the citizen's `spells`."},
            "type": {"type": "string", "enum": ["bool", "choice", "integer", "date"]},
            "label": {"type": "string"}, "help": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "string"}, "description": "The answer fields it decides."},
            "decides": {"type": "array", "items": {"type": "string"}, "description": "Their labels in `lang`."},
            "rules": {"type": "array", "items": {"type": "string"}, "description": "The rules that test it."},
            "open": {"type": "boolean", "description": "A rule leaves the answer undetermined until it is given."},
            "text": {"type": "string", "description": "What it decides, in words."}}},
        "Timeline": {"type": "object", "properties": {
            "citizen": {"type": "string"}, "from": _DATE, "to": _DATE,
            "periods": {"type": "array", "items": {"type": "object", "properties": {
                "from": _DATE, "to": _DATE, "changed": {"type": "array", "items": {"type": "string"}},
                "causes": {"type": "array", "items": {"type": "object"}}, "answer": {"type": "object"}}}}}},
        "TimelineView": {"type": "object", "description": "The timeline with display names, reasons and the SVG.",
                         "properties": {
            "citizen": {"type": "string"}, "from": _DATE, "to": _DATE, "date": {"anyOf": [_DATE, {"type": "null"}]},
            "svg": {"type": "string"},
            "periods": {"type": "array", "items": {"type": "object", "properties": {
                "from": _DATE, "to": _DATE, "holds_date": {"type": "boolean"},
                "lanes": {"type": "array", "items": {"type": "object", "properties": {
                    "field": {"type": "string"}, "title": {"type": "string"}, "label": {"type": "string"}}}},
                "status": {"type": "object", "properties": {"id": {"type": ["string", "null"]},
                                                            "label": {"type": "string"}}},
                "changed": {"type": "array", "items": {"type": "object", "properties": {
                    "field": {"type": "string"}, "label": {"type": "string"}}}},
                "causes": {"type": "array", "items": {"type": "object"}},
                "now_apply": {"type": "array", "items": {"type": "object"}},
                "no_longer": {"type": "array", "items": {"type": "object"}}}}}}},
        "WhatIf": {"type": "object", "required": ["citizen", "date", "what_would_change"], "properties": {
            "citizen": {"type": "string"}, "date": _DATE, "lang": {"type": "string", "enum": ["da", "en"]},
            "what_would_change": {"type": "array", "items": _ref("Change"),
                                  "description": "The nearest moves of one fact, or of the date, that change the "
                                                 "answer: dates first, then facts in declared order."}}},
        "Change": {"type": "object", "description": "One move that changes the answer, what it changes and the rules "
                                                    "that make the difference.", "properties": {
            "kind": {"type": "string", "enum": ["date", "fact"]},
            "fact": {"type": "string", "description": "`date`, or the id of the declared fact or measure moved."},
            "label": {"type": "string", "description": "Its declared label in `lang`."},
            "values": {"type": "array", "items": {}, "description": "The value(s) tried (several when they lead to "
                                                                     "the same answer)."},
            "value_text": {"type": "string"}, "text": {"type": "string", "description": "The move in words."},
            "date": {**_DATE, "description": "The date the changed answer is for."},
            "on": {"type": "string", "description": "`citizen`, or the spell kind the fact belongs to."},
            "spell": {"type": ["integer", "null"], "description": "The spell's place in the citizen's `spells`."},
            "changes": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "label": {"type": "string"}, "before": {"type": "string"},
                "after": {"type": "string"}}}},
            "starts": {"type": "array", "items": {"type": "object", "properties": {
                "rule": {"type": "string"}, "title": {"type": "string"}}}},
            "stops": {"type": "array", "items": {"type": "object", "properties": {
                "rule": {"type": "string"}, "title": {"type": "string"}}}}}},
        "ParsedCitizen": {"type": "object", "required": ["citizen"], "properties": {
            "citizen": {"type": "object", "description": "The file as JSON (not yet checked: /api/query names "
                                                         "bad fields)."}}},
        "ExampleFile": {"type": "object", "required": ["name", "citizen"], "properties": {
            "name": {"type": "string"}, "citizen": {"type": "object", "description": "The file as JSON."}}},
        "Rule": rule, "RuleList": {"type": "array", "items": _ref("Rule")},
        "Phase": phase, "PhaseList": {"type": "array", "items": _ref("Phase")},
        "Error": {"type": "object", "required": ["error", "messages"], "properties": {
            "error": {"type": "string", "example": "invalid_input"},
            "messages": {"type": "array", "items": {"type": "string"},
                         "example": ["citizen: spells[0].benefit: 'x' is not a known benefit"]},
            "problems": {"type": "array", "description": "The same problems as records (bad input only): where "
                         "(the input, its field path) and what, so a client finds the field without reading the text.",
                         "items": {"type": "object", "properties": {
                             "source": {"type": ["string", "null"]}, "line": {"type": ["integer", "null"]},
                             "rule": {"type": ["string", "null"]}, "field": {"type": "string"},
                             "path": {"type": "array"}, "message": {"type": "string"}}}}}},
    }


def _errors_in_our_shape(doc: dict[str, Any]) -> None:
    """FastAPI documents a 422 as its ``HTTPValidationError`` (``{"detail": […]}``); the application answers
    every error as ``Error`` (``{"error", "messages"}``): the document says so."""
    fastapi_422 = "#/components/schemas/HTTPValidationError"
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422") if isinstance(operation, dict) else None
            content = (answer or {}).get("content", {}).get("application/json", {})
            if answer is not None and content.get("schema", {}).get("$ref") == fastapi_422:
                answer["description"] = "Bad input; every message names its field"
                content["schema"] = _ref("Error")
    schemas_ = doc.get("components", {}).get("schemas", {})
    if fastapi_422 not in str(doc.get("paths")):
        schemas_.pop("HTTPValidationError", None)
        schemas_.pop("ValidationError", None)


def custom_openapi(app: FastAPI, base) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, summary=app.summary,
                          description=app.description, routes=app.routes, tags=app.openapi_tags)
        doc.setdefault("components", {}).setdefault("schemas", {}).update(schemas(base))
        _errors_in_our_shape(doc)
        app.openapi_schema = doc
        return doc
    return build
