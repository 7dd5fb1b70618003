"""Validation of loaded documents against the JSON Schemas shipped in ``reform_rules/law/schemas``.

Every error is one line, ``file:line: field.path: message``, in the words a legal editor uses.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match

from reform_rules.basics import dates
from reform_rules.law.loader import Document, format_path

_checker = FormatChecker(formats=())
YEARS = (1900, 2200)  # as for citizens: a rule date outside them is a typo, and date arithmetic stays in range


class DateRangeError(ValueError):
    """A well-formed date outside ``YEARS``."""


@_checker.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type check reports it
    day = dates.parse_date(value)
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise DateRangeError(f"'{value}' is outside the years {YEARS[0]}–{YEARS[1]}")
    return True


def _is_integer(checker: object, value: object) -> bool:
    """A whole number as written: 3, not 3.0 (a float would break the date arithmetic)."""
    return isinstance(value, int) and not isinstance(value, bool)


_Validator = validators.extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    """The validator for ``reform_rules/law/schemas/<name>.schema.json``."""
    text = resources.files("reform_rules.law").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return _Validator(json.loads(text), format_checker=_checker)


def conclusion_schema(shape: Any) -> dict[str, Any]:
    """The schema of a rule's ``then``, derived from the answer's declared fields."""
    undetermined = {"const": "undetermined"}
    none = {"const": "none"}    # explicitly nothing: no trial, no requirement
    props: dict[str, Any] = {}
    for f in shape.fields:
        if f.kind == "id":
            obj = {"type": "object", "required": ["id", *f.carry], "additionalProperties": False,
                   "properties": {"id": {"$ref": "#/$defs/id"}, "name": {"$ref": "#/$defs/text"},
                                  "note": {"$ref": "#/$defs/text"},
                                  **{k: {"enum": list(f.attributes.get(k, {}))} for k in f.carry}}}
            props[f.then] = {"oneOf": [undetermined, none, obj]}
        elif f.kind == "value":
            props[f.then] = {"enum": [*f.values, "undetermined"]}
        elif f.kind == "flag":
            props[f.then] = {"type": "boolean"}
        elif f.kind == "status":
            props[f.then] = {"type": "object", "required": ["id", "status"], "additionalProperties": False,
                             "properties": {"id": {"$ref": "#/$defs/id"}, "status": {"enum": list(f.values)}}}
        elif f.kind == "obligation":
            props[f.then] = {"oneOf": [undetermined, none, {"$ref": "#/$defs/obligation"}]}
    return {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
            "properties": props}


_RULES_VALIDATORS: dict[str, Draft202012Validator] = {}


def rules_validator(shape: Any) -> Draft202012Validator:
    """The rule-file validator whose ``then`` follows the answer's declared fields."""
    conclusion = conclusion_schema(shape)
    kinds = next((list(f.values) for f in shape.fields if f.kind == "obligation"), None)
    key = json.dumps([conclusion, kinds], sort_keys=True)
    found = _RULES_VALIDATORS.get(key)
    if found is None:
        schema = json.loads(json.dumps(validator("rules").schema))
        schema["$defs"]["conclusion"] = conclusion
        if kinds:
            schema["$defs"]["obligation"]["properties"]["kind"] = {"enum": kinds}
        found = _RULES_VALIDATORS[key] = _Validator(schema, format_checker=_checker)
    return found


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number", type(None): "empty"}.get(type(value), type(value).__name__)


def _leaf(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf failures, the sub-error that says most about what is wrong."""
    while error.validator in ("oneOf", "anyOf") and error.context:
        # The deepest complaint is about content inside a branch whose shape matched; a bare
        # const/type mismatch of a whole branch says least.
        candidates = [e for e in error.context if e.validator not in ("const",)] or list(error.context)
        deepest = max(len(e.absolute_path) for e in candidates)
        level = [e for e in candidates if len(e.absolute_path) == deepest]
        error = best_match([e for e in level if e.validator != "type"]
                           or [e for e in level if e.schema.get("format")] or level)
    return error


Described = Iterator[tuple[tuple, str]]

_TYPE_WORDS: dict[str, str] = {"object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number",
                               "boolean": "true or false", "null": "nothing (empty)", "number": "a number"}


def _unknown_fields(error: ValidationError, path: tuple) -> Described:
    """Each field the schema does not allow here."""
    value = error.instance
    if not isinstance(value, dict):
        yield path, error.message
        return
    allowed = set(error.schema.get("properties", {}))
    for key in value:
        if key not in allowed:
            names = ", ".join(sorted(allowed))
            yield path + (key,), f"unknown field '{key}' (allowed here: {names})"


def _missing_fields(error: ValidationError, path: tuple) -> Described:
    """Each required field that is not there."""
    value = error.instance
    missing = [k for k in error.validator_value if isinstance(value, dict) and k not in value]
    for key in missing:
        yield path, f"missing field '{key}'"


def _bad_format(error: ValidationError, path: tuple) -> Described:
    """A value not in its format (a date out of range is probably a typo)."""
    if isinstance(error.cause, DateRangeError):
        yield path, f"{error.cause}; is it a typo?"
    elif error.validator_value == "date":
        yield path, f"'{error.instance}' is not a date (YYYY-MM-DD)"
    else:
        yield path, f"'{error.instance}' is not a valid {error.validator_value}"


def _not_in_enum(error: ValidationError, path: tuple) -> Described:
    """A value not among the allowed ones (with a hint for YAML's unquoted yes/no)."""
    value = error.instance
    hint = ""
    if isinstance(value, bool) and any(isinstance(v, str) and v in ("yes", "no") for v in error.validator_value):
        hint = " (YAML reads an unquoted yes/no as true/false: write \"yes\" in quotes)"
    yield path, f"{value!r} is not one of: {', '.join(map(str, error.validator_value))}{hint}"


def _not_const(error: ValidationError, path: tuple) -> Described:
    """A value other than the one it must be."""
    yield path, f"{error.instance!r} must be {error.validator_value!r}"


def _wrong_type(error: ValidationError, path: tuple) -> Described:
    """A value of another type than expected, in words."""
    want = error.validator_value
    wants: list[str] = want if isinstance(want, list) else [want]
    if error.schema.get("format") == "date":
        want_text = "a date (YYYY-MM-DD)"
    else:
        want_text = " or ".join(_TYPE_WORDS.get(w, w) for w in wants)
    yield path, f"{error.instance!r} is {_type_name(error.instance)}; expected {want_text}"


def _out_of_range(error: ValidationError, path: tuple) -> Described:
    """A number under its minimum or over its maximum."""
    bound = error.validator_value
    bound = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
    side = "less than the minimum" if error.validator == "minimum" else "greater than the maximum"
    yield path, f"{error.instance!r} is {side} of {bound}"


def _bad_pattern(error: ValidationError, path: tuple) -> Described:
    """Text that is not an id."""
    yield path, f"'{error.instance}' is not a valid id (lowercase letters, digits and '-')"


def _too_few(error: ValidationError, path: tuple) -> Described:
    """An empty (or too short) list or mapping."""
    n = error.validator_value
    yield path, "must not be empty" if n == 1 else f"needs at least {n} entries (has {len(error.instance)})"


def _too_many_properties(error: ValidationError, path: tuple) -> Described:
    """A mapping that must give exactly one of its fields."""
    yield path, f"give exactly one of: {', '.join(sorted(error.schema.get('properties', {})))}"


_DESCRIBERS = {"additionalProperties": _unknown_fields, "required": _missing_fields, "format": _bad_format,
               "enum": _not_in_enum, "const": _not_const, "type": _wrong_type, "minimum": _out_of_range,
               "maximum": _out_of_range, "pattern": _bad_pattern, "minItems": _too_few, "minProperties": _too_few,
               "maxProperties": _too_many_properties}


def _describe(error: ValidationError) -> Described:
    """The problems one schema error stands for, each as (field path, message in plain words)."""
    path = tuple(error.absolute_path)
    describe = _DESCRIBERS.get(str(error.validator))
    if describe is None:
        yield path, error.message
    else:
        yield from describe(error, path)


def validate(doc: Document, schema_name: str, against: Draft202012Validator | None = None) -> list[str]:
    """All schema errors in ``doc`` as ``file:line: field: message`` lines (empty when valid)."""
    out: list[tuple[int, str]] = []
    for error in (against or validator(schema_name)).iter_errors(doc.data):
        for path, message in _describe(_leaf(error)):
            out.append((doc.line(path), f"{doc.file}:{doc.line(path)}: {format_path(path)}: {message}"))
    out.sort(key=lambda item: item[0])
    return list(dict.fromkeys(m for _, m in out))   # each message once, in line order


__all__ = ["validate", "validator", "jsonschema"]
