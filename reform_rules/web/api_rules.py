"""The JSON API's views of the rules (rules, subjects, phases, vocabulary, sources, the check, health) and of
the persona examples (listing, one file, parsing a citizen file)."""
import json
from datetime import date
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from reform_rules.answer.rulebase import parse_query_date
from reform_rules.basics.errors import CitizenError
from reform_rules.basics.version import __version__
from reform_rules.law.loader import LoadError, parse_text
from reform_rules.web import openapi, views
from reform_rules.web.bodies import MAX_NESTING, InputError, json_depth, too_deep, typed
from reform_rules.web.i18n import pick_lang
from reform_rules.web.models import RequestModels
from reform_rules.web.sources import cited_by, source_json
from reform_rules.web.state import WebState, jsonable


def web(request: Request) -> WebState:
    return request.app.state.web


def filter_date(value: str | None) -> date | None:
    """The optional ``date`` filter of a query string (empty: none)."""
    if value is None or value == "":
        return None
    try:
        return parse_query_date(value, "date")
    except CitizenError as exc:
        raise InputError(exc.messages, problems=exc.problems) from None


def api_rules(request: Request, date: str | None = None, subject: str | None = None,
              status: str | None = None) -> JSONResponse:
    """Each rule's id, subject, titles, validity, status, sources, overrides, effect and what it decides."""
    on = filter_date(date)
    return JSONResponse(views.rules_json(web(request).base.ruleset, on, subject or None, status or None))


def api_subjects(request: Request) -> JSONResponse:
    return JSONResponse(views.subjects_json(web(request).base.ruleset))


def api_phases(request: Request) -> JSONResponse:
    return JSONResponse(views.phases_json(web(request).base.ruleset))


def api_vocabulary(request: Request) -> JSONResponse:
    return JSONResponse(views.vocabulary_json(web(request).base.ruleset))


async def api_check(request: Request, wait: bool = False, lang: str | None = None) -> JSONResponse:
    """The report of ``reform check --json``. The completeness part runs in the background once per version
    of the files; until it is done this is the quick check and ``running`` is true (``wait=true`` waits).
    ``lines`` is the text report with its summary in ``lang`` (da or en; anything else: da)."""
    state = web(request)
    report, running = await run_in_threadpool(state.check)  # the quick check: in a worker thread
    if wait and running:
        event = state.full_event()   # None: the full check ended since the quick answer above
        while event is not None and not event.is_set():  # waiting holds no worker thread
            await anyio.sleep(0.05)
        report, running = await run_in_threadpool(state.check)
    return JSONResponse({**report.to_json(), "lines": report.lines(lang=pick_lang(lang)), "running": running,
                         "loaded_at": state.loaded_at.isoformat(), "stale": state.stale})


def api_sources(request: Request) -> JSONResponse:
    """Each source by the name a person cites it by, with its date, status, public address (``url``) when
    it has one, and for a seed document the app's page of its copy (``page``) and the plain text (``text``)."""
    state = web(request)
    ruleset = state.base.ruleset
    users = cited_by(ruleset)
    return JSONResponse([source_json(src, state.seeds, users.get(src.id)) for src in ruleset.sources.values()])


def api_health(request: Request) -> JSONResponse:
    base = web(request).base
    return JSONResponse({"ok": True, "version": __version__, "rules": len(base.ruleset.rules),
                         "checked": base.certificate.checked})


def api_examples(request: Request) -> JSONResponse:
    state = web(request)
    out = []
    for name, path in state.example_files().items():
        try:
            data = state.read_example(path)
        except LoadError:
            continue
        if isinstance(data, dict):
            out.append({"name": name, "id": data.get("id"), "note": data.get("note")})
    return JSONResponse(out)


def api_example(request: Request, name: str) -> JSONResponse:
    state = web(request)
    path = state.example_files().get(name)
    if path is None:
        raise InputError(f"name: no example called {name!r}", status=404, error="not_found")
    try:
        return JSONResponse({"name": name, "citizen": state.read_example(path)})
    except LoadError as exc:
        raise InputError(str(exc)) from None


def _json_text(text: str, label: str) -> Any:
    """JSON text parsed, or None when it is not JSON (then it is read as YAML)."""
    if json_depth(text) > MAX_NESTING:
        raise too_deep(label)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def api_parse(body: Any) -> JSONResponse:
    """Parses only (nothing is stored or checked beyond the syntax); /api/query names bad fields."""
    label = "file"
    parsed: Any = None
    if (isinstance(body.name, str) and body.name.lower().endswith(".json")) or body.text.lstrip().startswith("{"):
        parsed = _json_text(body.text, label)
    if parsed is None:
        try:
            parsed = parse_text(body.text, label).data
        except LoadError as exc:
            raise InputError(str(exc)) from None
    if not isinstance(parsed, dict):
        raise InputError(f"{label}: a citizen record must be a mapping with 'id' and 'spells'")
    return JSONResponse({"citizen": jsonable(parsed)})


def add_rule_routes(router: APIRouter, models: RequestModels, example: Any) -> None:
    """The rules' and the examples' endpoints."""
    get = router.add_api_route
    get("/api/rules", api_rules, tags=["rules"], summary="The rules, optionally those valid on a date",
        responses=openapi.responses("RuleList", ok_only=False))
    get("/api/subjects", api_subjects, tags=["rules"], summary="The rule files' subjects")
    get("/api/phases", api_phases, tags=["rules"], summary="The phases of the reform, with their dates",
        responses=openapi.responses("PhaseList", ok_only=True))
    get("/api/vocabulary", api_vocabulary, tags=["rules"], summary="The values a citizen record may use")
    get("/api/check", api_check, tags=["rules"], summary="reform check: are the rule files clean and complete?")
    get("/api/examples", api_examples, tags=["examples"], summary="The persona citizen files")
    get("/api/examples/{name}", api_example, tags=["examples"], summary="One persona citizen file, as JSON",
        responses=openapi.responses("ExampleFile", not_found=True))
    router.add_api_route("/api/citizen/parse", typed(api_parse, models.ParseRequest), methods=["POST"],
                         tags=["examples"], summary="Read a citizen file (YAML or JSON) into JSON",
                         openapi_extra=openapi.parse_body(example), responses=openapi.responses("ParsedCitizen"))
    get("/api/sources", api_sources, tags=["rules"],
        summary="The sources the rules cite: names, dates, addresses")
    get("/api/health", api_health, tags=["rules"], summary="Is the service up, and with how many rules")
