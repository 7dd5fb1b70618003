"""The web face of the rule base: the caseworker page, the rules page and a JSON API.

Read-only: nothing a user sends is stored or logged. Bad input is answered with 422 and the
field named (the same messages as ``reform query``); an over-large body with 413; anything
unexpected with a 500 JSON without a stack trace (see :mod:`reform_rules.web.middleware`).
"""
import inspect
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from reform_rules.answer.rulebase import RuleBase, default_rules_dir
from reform_rules.basics.errors import CitizenError
from reform_rules.basics.version import __version__
from reform_rules.web import openapi
from reform_rules.web.api_answers import add_answer_routes
from reform_rules.web.api_rules import add_rule_routes
from reform_rules.web.bodies import InputError, JSONBodyRoute, error_body
from reform_rules.web.middleware import BODY_TIMEOUT, MAX_BODY, SafetyMiddleware
from reform_rules.web.models import RequestModels, validation_messages, validation_problems
from reform_rules.web.page_routes import add_page_routes
from reform_rules.web.state import WebState

STATIC = Path(__file__).resolve().parent / "static"
HTTP_ERRORS = {404: "not_found", 405: "method_not_allowed", 501: "not_implemented"}


async def _input_error(request: Request, exc: InputError) -> JSONResponse:
    return JSONResponse(error_body(exc.error, exc.messages, exc.problems), status_code=exc.status)


async def _citizen_error(request: Request, exc: CitizenError) -> JSONResponse:
    return JSONResponse(error_body("invalid_input", exc.messages, exc.problems), status_code=422)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    route = request.scope.get("route")
    body = getattr(route, "body_field", None)
    model = body.field_info.annotation if body is not None else None
    errors = list(exc.errors())
    answer = error_body("invalid_input", validation_messages(errors, model))
    answer["problems"] = validation_problems(errors, model)
    return JSONResponse(answer, status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse(error_body(HTTP_ERRORS.get(exc.status_code, "http_error"), [str(exc.detail)]),
                        status_code=exc.status_code, headers=getattr(exc, "headers", None))


def create_app(base: RuleBase | None = None, rules_dir: str | Path | None = None,
               examples_dir: str | Path | None = None, max_body: int = MAX_BODY,
               completeness: bool = True, body_timeout: float = BODY_TIMEOUT) -> FastAPI:
    """The web application for ``base`` (loaded from ``rules_dir`` when not given).

    ``examples_dir`` holds persona citizen files for the page's example buttons (default: the
    ``scenarios/examples`` directory beside the rules directory, when there is one).
    ``completeness=False`` leaves the slow part of ``reform check`` out of the rules page.
    ``body_timeout``: seconds a request body may take to arrive (408 after).
    """
    rules_path = Path(rules_dir) if rules_dir else Path(base.ruleset.directory) if base else default_rules_dir()
    if base is None:
        base = RuleBase.load(rules_path)
    if examples_dir is None:
        guess = rules_path.resolve().parent / "scenarios" / "examples"
        examples_dir = guess if guess.is_dir() else None
    state = WebState(base, rules_path, Path(examples_dir) if examples_dir else None, completeness)

    # a body without a Content-Type is read as JSON, as before the bodies were models
    lenient: dict[str, Any] = ({"strict_content_type": False}
                               if "strict_content_type" in inspect.signature(FastAPI).parameters else {})
    app = FastAPI(
        title="reform-rules",
        version=__version__,
        summary="The Danish employment reform of 2025 as rules: cited answers per citizen and date.",
        description=openapi.DESCRIPTION,
        docs_url=None, redoc_url=None,  # the default pages load their scripts from a CDN; /docs is ours
        openapi_tags=openapi.TAGS,
        **lenient,
    )
    app.state.web = state
    example = openapi.example(base, state.example_files())
    app.add_middleware(SafetyMiddleware, max_body=max_body, routes=app.router.routes, body_timeout=body_timeout)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    for error, handler in ((InputError, _input_error), (CitizenError, _citizen_error),
                           (RequestValidationError, _validation_error), (StarletteHTTPException, _http_error)):
        app.add_exception_handler(error, handler)  # type: ignore[arg-type]

    # the request bodies are models (reform_rules.web.models); the citizen in them is parsed by the engine
    models = RequestModels(base)
    app.state.citizen_validator = models.citizen_validator
    app.router.route_class = JSONBodyRoute
    add_answer_routes(app.router, models, example)
    add_rule_routes(app.router, models, example)
    add_page_routes(app.router)
    app.openapi = openapi.custom_openapi(app, base)  # type: ignore[method-assign]
    return app
