"""The JSON API's answers for one citizen: the answer, the answer explained, what would change it, and its
timeline. Every handler that computes is a plain ``def``: FastAPI runs it in a worker thread, never on the
event loop, so one slow request does not hold up the others (or /api/health)."""
from datetime import date
from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from reform_rules.answer.answer import Answer
from reform_rules.answer.counterfactual import what_would_change
from reform_rules.answer.missing import missing_facts
from reform_rules.answer.timeline import Timeline, timeline
from reform_rules.web import openapi, views
from reform_rules.web.bodies import InputError, typed
from reform_rules.web.decision import decision_view
from reform_rules.web.middleware import log, where
from reform_rules.web.models import RequestModels
from reform_rules.web.state import WebState
from reform_rules.web.timeline_view import timeline_view

MAX_TIMELINE_DAYS = 100 * 366


def web(request: Request) -> WebState:
    return request.app.state.web


def _calendar(what: str, call: Callable[[], Any]) -> Any:
    """``call()``, with a date pushed out of the calendar (a deadline past year 9999) named as bad input."""
    try:
        return call()
    except (OverflowError, ValueError) as exc:
        log.warning("%s out of the calendar (%s at %s)", what, type(exc).__name__, where(exc))
        raise InputError(f"{'to' if what == 'timeline' else 'date'}: the {what} cannot be computed: a deadline, "
                         "window or date in it would fall outside the calendar (years 1–9999)") from None


def evaluate(state: WebState, citizen: Any, day: date, lang: str) -> Answer:
    return _calendar("answer", lambda: state.base.evaluate(citizen, day, lang=lang, receipt=True))


def api_query(request: Request, body: Any) -> JSONResponse:
    """Exactly the JSON of ``reform query FILE --date D --json``: the answer contract of the domain brief
    (docs/reform.rst, "Interfaces")."""
    return JSONResponse(evaluate(web(request), body.citizen, body.date, body.lang).to_json())


def api_explain(request: Request, body: Any) -> JSONResponse:
    """``answer`` is the contract (as /api/query); ``view`` adds names, labels and the text answer in ``lang``,
    the statement of reasons (``decision``), and the facts left empty that the answer depends on (``missing``:
    each with its declared label and help and the answer fields it decides)."""
    state = web(request)
    ruleset = state.base.ruleset
    answer = evaluate(state, body.citizen, body.date, body.lang)
    view = views.answer_view(answer, ruleset, body.lang, anchor=state.seeds.anchor)
    view["decision"] = decision_view(answer, ruleset, body.lang, view["reasons"])
    view["missing"] = missing_facts(ruleset, body.citizen, body.date, answer, body.lang)
    return JSONResponse({"answer": answer.to_json(), "view": view})


def api_what_if(request: Request, body: Any) -> JSONResponse:
    """Each declared fact the rules compare, moved alone into the nearest band or value that gives another
    answer, and the nearest dates before and after ``date`` on which the answer is another (as ``reform query
    --what-if``): what changes (target group, contact requirements, sanctions …) and the rules that start or
    stop applying."""
    base = web(request).base
    changes = _calendar("answer", lambda: what_would_change(base, body.citizen, body.date, body.lang))
    return JSONResponse({"citizen": body.citizen.id, "date": body.date.isoformat(), "lang": body.lang,
                         "what_would_change": [c.to_json() for c in changes]})


def _span(state: WebState, citizen: Any, start: date | None, end: date | None,
          from_first_spell: bool) -> tuple[date, date]:
    """The timeline's first and last day: as asked, else the rules' horizon (from the citizen's first spell if
    that is earlier, as ``reform timeline`` does); bounded to 100 years."""
    today = date.today()
    first = min((s.start for s in citizen.spells), default=None) if from_first_spell else None
    horizon = state.base.ruleset.vocabulary.horizon or (first or today, today)
    start = start or min(d for d in (horizon[0], first) if d)
    end = end or horizon[1]
    if end < start:
        raise InputError("to: must not be before from")
    if (end - start).days > MAX_TIMELINE_DAYS:
        raise InputError("to: a timeline may span at most 100 years")
    return start, end


def _timeline(state: WebState, body: Any, from_first_spell: bool) -> Timeline:
    start, end = _span(state, body.citizen, body.start, body.end, from_first_spell)
    return _calendar("timeline", lambda: timeline(state.base, body.citizen, start, end, lang=body.lang))


def api_timeline(request: Request, body: Any) -> JSONResponse:
    """What changes for the citizen, and when (as ``reform timeline --json``)."""
    return JSONResponse(_timeline(web(request), body, from_first_spell=True).to_json())


def api_timeline_view(request: Request, body: Any) -> JSONResponse:
    """The periods of constant answer over the rules' horizon (or ``from``–``to``), each with its lanes'
    labels, what changed and why (events, and the rules that start or stop applying, with their sources),
    and the timeline drawn as SVG; ``date`` (optional) is marked, and the period holding it flagged."""
    state = web(request)
    result = _timeline(state, body, from_first_spell=False)
    return JSONResponse(timeline_view(result, state.base.ruleset, body.lang, body.date, anchor=state.seeds.anchor))


def add_answer_routes(router: APIRouter, models: RequestModels, example: Any) -> None:
    """The answer endpoints, their bodies typed by this rule base's request models."""
    query_body, timeline_body = openapi.query_body(example), openapi.timeline_body(example)
    router.add_api_route("/api/query", typed(api_query, models.QueryRequest), methods=["POST"], tags=["answers"],
                         summary="The answer for one citizen on one date", openapi_extra=query_body,
                         responses=openapi.responses("Answer"), response_class=JSONResponse)
    router.add_api_route("/api/explain", typed(api_explain, models.QueryRequest), methods=["POST"], tags=["answers"],
                         summary="The answer with display names (the caseworker page)", openapi_extra=query_body,
                         responses=openapi.responses("ExplainedAnswer"))
    router.add_api_route("/api/what-if", typed(api_what_if, models.WhatIfRequest), methods=["POST"], tags=["answers"],
                         summary="What would change the answer: the nearest facts and dates, and the rules behind "
                                 "them", openapi_extra=query_body, responses=openapi.responses("WhatIf"))
    router.add_api_route("/api/timeline", typed(api_timeline, models.TimelineRequest), methods=["POST"],
                         tags=["answers"], summary="The periods of constant answer between two dates",
                         openapi_extra=timeline_body, responses=openapi.responses("Timeline"))
    router.add_api_route("/api/timeline/view", typed(api_timeline_view, models.TimelineViewRequest),
                         methods=["POST"], tags=["answers"], openapi_extra=timeline_body,
                         responses=openapi.responses("TimelineView"),
                         summary="The timeline with display names, reasons and the SVG lanes (the caseworker page)")
