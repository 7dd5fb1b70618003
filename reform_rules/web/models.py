"""The JSON API's request bodies as Pydantic models: the OpenAPI document is generated from them.

The envelope (``citizen``, ``date``, ``lang``, ``from``, ``to`` …) is a model; the citizen inside it
stays a free mapping, validated by the engine's own :func:`reform_rules.law.citizen.parse_citizen` so that every
message names its field as ``reform query`` does (``citizen: spells[0].benefit: 'x' is not a known
benefit``). Its schema is the one generated from the vocabulary (``#/components/schemas/Citizen``).

Every problem is reported at once, in the project's error shape ``{"error", "messages"}``: a field's
validator raises :class:`Messages` with the finished messages, and
:func:`validation_messages` turns Pydantic's errors (missing fields, unknown fields, wrong types)
into the same kind of message.
"""
from contextvars import ContextVar
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Callable, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from reform_rules.answer.rulebase import parse_query_date
from reform_rules.basics.errors import CitizenError
from reform_rules.web.i18n import LANGS
from reform_rules.web.middleware import log, where

if TYPE_CHECKING:
    from reform_rules.answer.rulebase import RuleBase

ERROR_TYPE = "reform_messages"
# What a missing field is, in the message that names it ("date: missing: the date to answer for …").
MISSING = {"citizen": "the citizen record (id, spells …)", "date": "the date to answer for (YYYY-MM-DD)",
           "text": "the file's text"}
# Every citizen field but the list of spells holds one plain value, and so does every spell field.
_LIST_FIELD = "spells"


def Messages(messages: list[str], problems: list[Any] | None = None) -> PydanticCustomError:  # noqa: N802
    """A validation error carrying finished messages (each already naming its field), and the engine's
    problem records when there are some."""
    ctx: dict[str, Any] = {"text": "; ".join(messages), "messages": list(messages)}
    if problems is not None:
        ctx["problems"] = [p.to_json() for p in problems]
    return PydanticCustomError(ERROR_TYPE, "{text}", ctx)


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__


def shape_messages(data: Any, label: str = "citizen") -> list[str]:
    """Lists or mappings where the citizen contract wants one plain value, named by field."""
    out: list[str] = []
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        if key != _LIST_FIELD and isinstance(value, (list, dict)):
            out.append(f"{label}: {key}: {_kind(value)} is not a single value")
    spells = data.get(_LIST_FIELD)
    if isinstance(spells, list):
        for i, spell in enumerate(spells):
            if isinstance(spell, dict):
                for key, value in spell.items():
                    if isinstance(value, (list, dict)):
                        out.append(f"{label}: spells[{i}].{key}: {_kind(value)} is not a single value")
    return out


# -- field validators ---------------------------------------------------------------------------------
def day_field(name: str, required: bool) -> Callable[[Any], date | None]:
    """A date as ``reform query`` reads one (YYYY-MM-DD, 1900–2200), named ``name`` in messages."""
    def parse(value: Any) -> date | None:
        if value is None:
            if required:
                raise Messages([f"{name}: missing: {MISSING.get(name, 'a date (YYYY-MM-DD)')}"])
            return None
        if isinstance(value, (list, dict)):
            raise Messages([f"{name}: {_kind(value)} is not a date (YYYY-MM-DD)"])
        try:
            return parse_query_date(value, name)
        except CitizenError as exc:
            raise Messages(exc.messages) from None
    return parse


def _lang(value: Any) -> Any:
    if value is None:  # a JSON null is not a language (leave the field out for Danish)
        raise Messages([f"lang: null is not one of: {', '.join(LANGS)} (leave it out for da)"])
    if value not in LANGS:
        shown = value if isinstance(value, (str, int, float, bool)) else _kind(value)
        raise Messages([f"lang: {shown!r} is not one of: {', '.join(LANGS)}"])
    return value


# The citizen of the request being validated, already parsed in a worker thread (see
# :func:`preparse_citizen`): (the very object FastAPI will validate, ("ok", result) or ("error", exception)).
PREPARSED: ContextVar[tuple[Any, tuple[str, Any]] | None] = ContextVar("reform_preparsed_citizen", default=None)


def citizen_field(base: "RuleBase") -> Callable[[Any], Any]:
    """The citizen record, parsed and validated by the engine (the parsed ``Citizen`` is the value).

    FastAPI validates a request body on the event loop; a large citizen is therefore parsed before, in a
    worker thread (:func:`preparse_citizen`), and the validator takes that outcome for the same object."""
    def cached(value: Any) -> Any:
        done = PREPARSED.get()
        if done is not None and done[0] is value:
            kind, outcome = done[1]
            if kind == "error":
                raise outcome
            return outcome
        return parse(value)

    def parse(value: Any) -> Any:
        if value is None:
            raise Messages([f"citizen: missing: {MISSING['citizen']}"])
        try:
            return base.parse_citizen(value, "citizen")
        except CitizenError as exc:
            raise Messages(exc.messages, exc.problems) from None
        except (TypeError, ValueError) as exc:
            shape = shape_messages(value)
            if not shape:
                raise
            log.warning("citizen with non-scalar values refused (%s at %s)", type(exc).__name__, where(exc))
            raise Messages(shape) from None
        except RecursionError:
            raise Messages(["citizen: nested too deeply"]) from None
    cached.uncached = parse  # type: ignore[attr-defined]
    return cached


def preparse_citizen(validator: Callable[[Any], Any], body: Any) -> tuple[Any, tuple[str, Any]] | None:
    """The outcome of validating ``body["citizen"]`` (run in a worker thread), for :data:`PREPARSED`."""
    if not isinstance(body, dict) or "citizen" not in body:
        return None
    value = body["citizen"]
    parse = getattr(validator, "uncached", validator)
    try:
        return value, ("ok", parse(value))
    except Exception as exc:  # noqa: BLE001 - raised again, unchanged, by the validator on the loop
        return value, ("error", exc)


LANG_DESCRIPTION = "Language of the reasons' text and the labels (Danish by default)."
Lang = Annotated[Literal["da", "en"], BeforeValidator(_lang), Field(description=LANG_DESCRIPTION)]
CITIZEN_SCHEMA = {"allOf": [{"$ref": "#/components/schemas/Citizen"}]}  # a reference Pydantic leaves alone


class RequestModels:
    """The request models of one application (the citizen is validated against its rule base)."""

    def __init__(self, base: "RuleBase"):
        self.citizen_validator = citizen_field(base)
        Citizen = Annotated[Any, BeforeValidator(self.citizen_validator), WithJsonSchema(CITIZEN_SCHEMA),
                            Field(description="The citizen record (the citizen contract, derived from the "
                                              "rules' vocabulary).")]

        def day(name: str, required: bool, description: str) -> Any:
            kind = date if required else date | None
            return Annotated[kind, BeforeValidator(day_field(name, required)),
                             Field(description=description)]

        QueryDate = day("date", True, "The date to answer for (YYYY-MM-DD, a year from 1900 to 2200).")
        From = day("from", False, "YYYY-MM-DD, a year from 1900 to 2200. Default: the start of the rules' "
                                  "horizon, or the first spell if earlier.")
        To = day("to", False, "YYYY-MM-DD, a year from 1900 to 2200. Default: the end of the rules' horizon.")
        Mark = day("date", False, "A date to mark on the timeline (the period holding it is flagged; "
                                  "YYYY-MM-DD, a year from 1900 to 2200).")
        forbid = ConfigDict(extra="forbid", populate_by_name=False)

        class QueryRequest(BaseModel):
            """A citizen and a date: the question ``reform query FILE --date D`` answers."""
            model_config = forbid
            citizen: Citizen
            date: QueryDate  # type: ignore[valid-type]  # an Annotated type made per rule base
            lang: Lang = "da"

        class TimelineRequest(BaseModel):
            """A citizen and, optionally, the span of the timeline."""
            model_config = forbid
            citizen: Citizen
            start: From = Field(None, alias="from")  # type: ignore[valid-type]  # an Annotated type made per rule base
            end: To = Field(None, alias="to")  # type: ignore[valid-type]  # an Annotated type made per rule base
            lang: Lang = "da"

        class TimelineViewRequest(TimelineRequest):
            """A timeline request that may mark a date."""
            model_config = forbid
            date: Mark = None  # type: ignore[valid-type]  # an Annotated type made per rule base

        class WhatIfRequest(QueryRequest):
            """A citizen and a date: what would change the answer."""
            model_config = forbid

        class ParseRequest(BaseModel):
            """The text of a citizen file (YAML or JSON) and, optionally, its name."""
            model_config = forbid
            text: Annotated[str, Field(description="The file's text.")]
            name: Annotated[str | None, Field(description="The file's name (``.json`` reads it as JSON).")] = None

        self.QueryRequest = QueryRequest
        self.TimelineRequest = TimelineRequest
        self.TimelineViewRequest = TimelineViewRequest
        self.WhatIfRequest = WhatIfRequest
        self.ParseRequest = ParseRequest


def field_names(model: type[BaseModel]) -> list[str]:
    """The fields of a request body as a client writes them (aliases: ``from``, ``to``)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def required_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items() if f.is_required()]


def validation_problems(errors: list[dict[str, Any]], model: type[BaseModel] | None) -> list[dict[str, Any]]:
    """Pydantic's errors as problem records (the engine's own for the citizen; one per envelope field)."""
    out: list[dict[str, Any]] = []
    for e in errors:
        if e.get("type") == ERROR_TYPE and (e.get("ctx") or {}).get("problems"):
            out.extend(e["ctx"]["problems"])
            continue
        for text in validation_messages([e], model):
            field, _, message = text.partition(": ")
            out.append({"source": "request", "line": None, "rule": None, "field": field, "path": [field],
                        "message": message})
    return out


def validation_messages(errors: list[dict[str, Any]], model: type[BaseModel] | None) -> list[str]:
    """Pydantic's errors as the project's messages, each naming its field."""
    out: list[str] = []
    fields = field_names(model) if model is not None else []
    for e in errors:
        kind = e.get("type")
        loc = [p for p in e.get("loc", ()) if p not in ("body", "query", "path")]
        where_ = ".".join(str(p) for p in loc)
        if kind == ERROR_TYPE:
            out.extend((e.get("ctx") or {}).get("messages") or [e.get("msg", "invalid")])
        elif kind == "missing" and where_:
            out.append(f"{where_}: missing: {MISSING.get(where_, 'required')}")
        elif kind == "missing":
            out.append("body: missing: send a JSON object")
        elif kind == "extra_forbidden":
            have = f" (a request has: {', '.join(fields)})" if fields else ""
            out.append(f"body: unknown field '{where_}'{have}")
        elif not loc and kind in ("model_attributes_type", "model_type", "dict_type"):
            out.append("body: must be a JSON object (sent as application/json)")
        else:
            out.append(f"{where_ or 'body'}: {e.get('msg', 'invalid')}")
    return out
