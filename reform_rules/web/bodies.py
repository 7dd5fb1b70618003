"""Request bodies before FastAPI reads them, and the error shape of every 4xx answer: an empty body,
bytes that are not UTF-8 or not JSON, JSON nested too deeply or not an object are named in the project's
words (FastAPI would answer some of them with a 400 or a 500)."""
import functools
import inspect
import json
import re
from typing import Any, Callable, cast

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from reform_rules.basics.errors import Problem
from reform_rules.law.loader import MAX_DEPTH
from reform_rules.web.models import PREPARSED, preparse_citizen, required_names

MAX_NESTING = MAX_DEPTH  # levels of [ and { in a JSON body (a citizen request needs four)
_JSON_TOKEN = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)  # one token at a time: linear, whatever the text


class InputError(Exception):
    """Bad input: 422 with every message naming its field."""

    def __init__(self, messages: list[str] | str, status: int = 422, error: str = "invalid_input",
                 problems: list[Problem] | None = None):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.status, self.error, self.problems = status, error, problems
        super().__init__("; ".join(self.messages))


def error_body(error: str, messages: list[str], problems: list[Problem] | None = None) -> dict[str, Any]:
    """The error shape of every 4xx answer: the messages as lines, and — for bad input — the problems as
    records (input, field path, message), so a client finds the field without reading the text."""
    body: dict[str, Any] = {"error": error, "messages": messages}
    if problems is not None:
        body["problems"] = [p.to_json() for p in problems]
    return body


def json_depth(raw: bytes | str, limit: int = MAX_NESTING) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text (outside strings), counted without parsing it;
    the count stops once it passes ``limit``."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    depth = deepest = 0
    in_string = False
    for m in _JSON_TOKEN.finditer(data):
        token = m.group()
        if len(token) == 2:  # an escape: skipped in a string; outside one the backslash is not JSON, the rest counts
            if in_string:
                continue
            token = token[1:]
        if token == b'"':
            in_string = not in_string
        elif in_string:
            continue
        elif token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif token in (b"]", b"}") and depth:
            depth -= 1
    return deepest


def too_deep(where_: str, limit: int = MAX_NESTING) -> InputError:
    return InputError(f"{where_}: nested too deeply (more than {limit} levels of [ and {{); "
                      "a citizen record needs only a few")


def _json_body_sync(raw: bytes) -> Any:
    if not raw.strip():
        raise InputError("body: missing: send a JSON object")
    if json_depth(raw) > MAX_NESTING:
        raise too_deep("body")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InputError("body: not UTF-8 text") from None
    except ValueError as exc:
        raise InputError(f"body: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError("body: JSON nested too deeply") from None


class JSONBodyRoute(APIRoute):
    """A route whose body is a JSON object, read before FastAPI reads it: an empty body, bytes that are
    not UTF-8 or not JSON, JSON nested too deeply, or JSON that is not an object are named here, in
    the project's words (FastAPI would answer some of them with a 400 or a 500)."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        model = self.body_field.field_info.annotation if self.body_field is not None else None
        if model is None:
            return handler
        # FastAPI types the annotation loosely (any type form); every JSON body here is a pydantic model
        wanted = " and ".join(f"'{n}'" for n in required_names(cast(type[BaseModel], model))) or "its fields"

        async def read_first(request: Request):
            raw = await request.body()
            data = await run_in_threadpool(_json_body_sync, raw)  # a megabyte of JSON is not parsed on the loop
            if not isinstance(data, dict):
                raise InputError(f"body: must be a JSON object with {wanted}")
            request._json = data  # Starlette's cache: FastAPI reads the body from it, without a second parse
            validator = getattr(request.app.state, "citizen_validator", None)
            done = await run_in_threadpool(preparse_citizen, validator, data) if validator else None
            token = PREPARSED.set(done)  # FastAPI's validation (on the loop) takes the parsed citizen
            try:
                return await handler(request)
            finally:
                PREPARSED.reset(token)
        return read_first


def typed(endpoint: Callable[..., Any], model: type) -> Callable[..., Any]:
    """``endpoint`` with its ``body`` parameter annotated as ``model``: the request models are made from each
    rule base's vocabulary (:class:`reform_rules.web.models.RequestModels`), so the handlers, written once,
    learn their body's type when the application is built, and FastAPI validates and documents it."""
    signature = inspect.signature(endpoint)
    parameters = [p.replace(annotation=model) if p.name == "body" else p for p in signature.parameters.values()]

    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        return endpoint(*args, **kwargs)

    handler.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return handler
