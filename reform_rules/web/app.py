"""The web face of the rule base: the caseworker page, the rules page and a JSON API.

Read-only: nothing a user sends is stored or logged. Bad input is answered with 422 and the
field named (the same messages as ``reform query``); an over-large body with 413; anything
unexpected with a 500 JSON without a stack trace (see :mod:`reform_rules.web.middleware`).
"""
import atexit
import inspect
import json
import math
import multiprocessing
import multiprocessing.util  # its exit handler (which joins child processes) runs after ours
import os
import re
import signal
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from reform_rules.basics.version import __version__
from reform_rules.answer.check import run_check
from reform_rules.basics.errors import CitizenError, Problem
from reform_rules.law.loader import MAX_DEPTH, LoadError, load_file, parse_text
from reform_rules.answer.counterfactual import what_would_change
from reform_rules.answer.missing import missing_facts
from reform_rules.answer.timeline import timeline as build_timeline
from reform_rules.answer.rulebase import RuleBase, default_rules_dir, parse_query_date
from reform_rules.web import openapi
from reform_rules.web import pages
from reform_rules.web import views
from reform_rules.web.decision import decision_view
from reform_rules.web.models import PREPARSED, RequestModels, preparse_citizen, required_names, validation_messages, validation_problems
from reform_rules.web.sources import SeedTexts, cited_by, source_json
from reform_rules.web.i18n import UI, pick_lang
from reform_rules.web.middleware import BODY_TIMEOUT, MAX_BODY, SafetyMiddleware, log, where
from reform_rules.web.timeline_view import timeline_view

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
MAX_TIMELINE_DAYS = 100 * 366
_EXAMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
_EXAMPLE_SUFFIXES = (".yaml", ".yml", ".json")
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


def jsonable(value: Any, depth: int = 0) -> Any:
    """Parsed YAML made safe for JSON (no NaN/inf, no bytes, no sets, string keys)."""
    if depth > 60:
        return None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, depth + 1) for v in value]
    return str(value)


class WebState:
    """What the application serves from: a loaded rule base and the directories around it."""

    def __init__(self, base: RuleBase, rules_dir: Path, examples_dir: Path | None, completeness: bool = True):
        self.base = base
        self.rules_dir = rules_dir
        self.examples_dir = examples_dir
        self.seeds = SeedTexts(base.ruleset, rules_dir)  # the seed copies, served at /sources/<id>
        self._split = _check_has_completeness()  # run_check(..., completeness=False) is the quick check
        self.completeness = completeness and self._split
        self.loaded_at = datetime.now().replace(microsecond=0)
        self.loaded_signature = self.signature()
        self._lock = threading.Lock()
        self._quick: tuple[tuple, Any] | None = None
        self._full: tuple[tuple, Any] | None = None
        self._running: dict[tuple, threading.Event] = {}

    def signature(self) -> tuple:
        """Names, sizes and modification times of the rule files (to notice edits)."""
        try:
            files = sorted(p for p in self.rules_dir.iterdir() if p.suffix in (".yaml", ".yml"))
            return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
        except OSError:
            return ()

    def check(self, wait: bool = False) -> tuple[Any, bool]:
        """``reform check`` of the rules directory, and whether the full check is still running.

        The full check (with completeness: every situation on every date) takes a while, so it
        runs once per version of the files, in the background; until it is done the quick check
        (load, validate, compile, dates, sources) stands in. Recomputed only when a file changed.
        """
        sig = self.signature()
        with self._lock:
            if self._full and self._full[0] == sig:
                return self._full[1], False
            event = self._start_full(sig) if self.completeness else None
        if event is not None and wait:
            event.wait()
            with self._lock:
                if self._full and self._full[0] == sig:
                    return self._full[1], False
        with self._lock:
            quick = self._quick[1] if self._quick and self._quick[0] == sig else None
        if quick is None:
            quick = run_check(self.rules_dir, completeness=False) if self._split else run_check(self.rules_dir)
            with self._lock:
                self._quick = (sig, quick)
                if not self._split:  # an older run_check: the only check there is
                    self._full = (sig, quick)
        return quick, event is not None and not event.is_set()

    def _start_full(self, sig: tuple) -> threading.Event:
        """The event set when the full check of ``sig`` is done (started if it is not running)."""
        event = self._running.get(sig)
        if event is not None:
            return event
        event = self._running[sig] = threading.Event()

        def work() -> None:
            try:
                report = full_check(self.rules_dir)
            except Exception as exc:  # noqa: BLE001 - the quick check still stands; say where it failed
                log.error("full rule check failed: %s at %s", type(exc).__name__, where(exc))
            else:
                with self._lock:
                    self._full = (sig, report)
            finally:
                event.set()
                with self._lock:
                    self._running.pop(sig, None)

        threading.Thread(target=work, name="reform-check", daemon=True).start()
        return event

    def full_event(self) -> threading.Event | None:
        """The event set when the running full check of the current files is done (None: none running)."""
        sig = self.signature()
        with self._lock:
            return self._running.get(sig)

    @property
    def stale(self) -> bool:
        return self.signature() != self.loaded_signature

    # -- examples ---------------------------------------------------------------------------
    def example_files(self) -> dict[str, Path]:
        d = self.examples_dir
        if d is None or not d.is_dir():
            return {}
        out = {}
        for p in sorted(d.iterdir()):
            if p.is_file() and p.suffix in _EXAMPLE_SUFFIXES and _EXAMPLE_NAME.match(p.stem):
                out.setdefault(p.stem, p)
        return out

    def read_example(self, path: Path) -> Any:
        return jsonable(load_file(path, path.name).data)


def _full_check_child(rules_dir: Path) -> Any:
    return run_check(rules_dir)


_CHILDREN: set[Any] = set()  # the running full checks' processes (stopped when the server stops)
_CHILDREN_LOCK = threading.Lock()


def _stop_children() -> None:
    """Stop every running full check, with the helper processes it forked (its process group)."""
    with _CHILDREN_LOCK:
        running = [p for p in _CHILDREN if p.is_alive()]
    for process in running:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except (AttributeError, OSError):
            process.terminate()
    for process in running:
        process.join(5)


atexit.register(_stop_children)


def _run_in_child(job: Any, rules_dir: Path, conn: Any) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # a group of its own: the check forks helpers, and stopping the group stops them too
    try:
        result = (True, job(rules_dir))
    except Exception as exc:  # noqa: BLE001 - reported to the server, which logs where (never a message)
        result = (False, f"{type(exc).__name__} at {where(exc)}")
    try:
        conn.send(result)
    except OSError:  # the server is gone
        pass
    finally:
        conn.close()


def full_check(rules_dir: Path, job: Any = _full_check_child) -> Any:
    """``run_check(rules_dir)`` with completeness, in a separate process: the check is pure Python and
    CPU-bound, and in a thread of the server it would hold the interpreter lock against every request
    for the half minute it takes. A fresh process for each version of the files ("spawn": the server
    has threads, a fork could copy a held lock), stopped with the helpers it forks when the server
    stops (:func:`_stop_children`); the calling thread only waits for its report."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_run_in_child, args=(job, Path(rules_dir), sender), name="reform-check")
    with _CHILDREN_LOCK:
        process.start()
        _CHILDREN.add(process)
    sender.close()  # the child holds the only sending end: its end (or death) ends the wait
    try:
        ok, value = receiver.recv()
    except EOFError:
        raise RuntimeError("the full check's process ended without a report") from None
    finally:
        receiver.close()
        process.join(5)
        with _CHILDREN_LOCK:
            _CHILDREN.discard(process)
    if not ok:
        raise RuntimeError(f"the full check failed: {value}")
    return value


def _check_has_completeness() -> bool:
    try:
        return "completeness" in inspect.signature(run_check).parameters
    except (TypeError, ValueError):
        return False


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

    def get_route_handler(self):  # type: ignore[no-untyped-def]
        handler = super().get_route_handler()
        model = self.body_field.field_info.annotation if self.body_field is not None else None
        if model is None:
            return handler
        wanted = " and ".join(f"'{n}'" for n in required_names(model)) or "its fields"

        async def read_first(request: Request):  # type: ignore[no-untyped-def]
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

    app = FastAPI(
        title="reform-rules",
        version=__version__,
        summary="The Danish employment reform of 2025 as rules: cited answers per citizen and date.",
        description=openapi.DESCRIPTION,
        docs_url=None, redoc_url=None,  # the default pages load their scripts from a CDN; /docs is ours
        openapi_tags=openapi.TAGS,
        # a body without a Content-Type is read as JSON, as before the bodies were models
        **({"strict_content_type": False} if "strict_content_type" in inspect.signature(FastAPI).parameters else {}),
    )
    app.state.web = state
    example = openapi.example(base, state.example_files())
    app.add_middleware(SafetyMiddleware, max_body=max_body, routes=app.router.routes, body_timeout=body_timeout)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # -- errors -----------------------------------------------------------------------------
    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(error_body(exc.error, exc.messages, exc.problems), status_code=exc.status)

    @app.exception_handler(CitizenError)
    async def _citizen_error(request: Request, exc: CitizenError) -> JSONResponse:
        return JSONResponse(error_body("invalid_input", exc.messages, exc.problems), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        route = request.scope.get("route")
        body = getattr(route, "body_field", None)
        model = body.field_info.annotation if body is not None else None
        errors = list(exc.errors())
        body_ = error_body("invalid_input", validation_messages(errors, model))
        body_["problems"] = validation_problems(errors, model)
        return JSONResponse(body_, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "not_found", 405: "method_not_allowed", 501: "not_implemented"}
        return JSONResponse(error_body(names.get(exc.status_code, "http_error"), [str(exc.detail)]),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    # -- input: the request bodies are models (reform_rules.web.models); the citizen is parsed by the engine --
    models = RequestModels(base)
    app.state.citizen_validator = models.citizen_validator
    QueryRequest, TimelineRequest = models.QueryRequest, models.TimelineRequest
    TimelineViewRequest, ParseRequest, WhatIfRequest = models.TimelineViewRequest, models.ParseRequest, \
        models.WhatIfRequest
    app.router.route_class = JSONBodyRoute

    def evaluate(citizen, day, lang):
        try:
            return base.evaluate(citizen, day, lang=lang, receipt=True)
        except (OverflowError, ValueError) as exc:
            log.warning("query out of the calendar (%s at %s)", type(exc).__name__, where(exc))
            raise InputError(f"date: the answer for {day.isoformat()} cannot be computed: a deadline or window "
                             "would fall outside the calendar (years 1–9999)") from None

    # -- the JSON API -----------------------------------------------------------------------
    # Every handler that computes (parse, evaluate, timeline, what-if, explain) is a plain ``def``:
    # FastAPI runs it in a worker thread (run_in_threadpool), never on the event loop, so one slow
    # request does not hold up the others (or /api/health).
    @app.post("/api/query", tags=["answers"], summary="The answer for one citizen on one date",
              openapi_extra=openapi.query_body(example), responses=openapi.responses("Answer"),
              response_class=JSONResponse)
    def api_query(body: QueryRequest) -> JSONResponse:  # type: ignore[valid-type]
        """Exactly the JSON of ``reform query FILE --date D --json``: the answer contract of the domain brief
        (docs/reform.rst, "Interfaces")."""
        return JSONResponse(evaluate(body.citizen, body.date, body.lang).to_json())

    @app.post("/api/explain", tags=["answers"], summary="The answer with display names (the caseworker page)",
              openapi_extra=openapi.query_body(example), responses=openapi.responses("ExplainedAnswer"))
    def api_explain(body: QueryRequest) -> JSONResponse:  # type: ignore[valid-type]
        """``answer`` is the contract (as /api/query); ``view`` adds names, labels and the text answer in ``lang``,
        the statement of reasons (``decision``), and the facts left empty that the answer depends on (``missing``:
        each with its declared label and help and the answer fields it decides)."""
        citizen, lang = body.citizen, body.lang
        answer = evaluate(citizen, body.date, lang)
        view = views.answer_view(answer, base.ruleset, lang, anchor=state.seeds.anchor)
        view["decision"] = decision_view(answer, base.ruleset, lang, view["reasons"])
        view["missing"] = missing_facts(base.ruleset, citizen, body.date, answer, lang)
        return JSONResponse({"answer": answer.to_json(), "view": view})

    @app.post("/api/what-if", tags=["answers"],
              summary="What would change the answer: the nearest facts and dates, and the rules behind them",
              openapi_extra=openapi.query_body(example), responses=openapi.responses("WhatIf"))
    def api_what_if(body: WhatIfRequest) -> JSONResponse:  # type: ignore[valid-type]
        """Each declared fact the rules compare, moved alone into the nearest band or value that gives another
        answer, and the nearest dates before and after ``date`` on which the answer is another (as ``reform query
        --what-if``): what changes (target group, contact requirements, sanctions …) and the rules that start or
        stop applying."""
        try:
            changes = what_would_change(base, body.citizen, body.date, body.lang)
        except (OverflowError, ValueError) as exc:
            log.warning("what-if out of the calendar (%s at %s)", type(exc).__name__, where(exc))
            raise InputError(f"date: the answer for {body.date.isoformat()} cannot be computed: a deadline or window "
                             "would fall outside the calendar (years 1–9999)") from None
        return JSONResponse({"citizen": body.citizen.id, "date": body.date.isoformat(), "lang": body.lang,
                             "what_would_change": [c.to_json() for c in changes]})

    @app.post("/api/timeline", tags=["answers"], summary="The periods of constant answer between two dates",
              openapi_extra=openapi.timeline_body(example), responses=openapi.responses("Timeline", extra=(501,)))
    def api_timeline(body: TimelineRequest) -> JSONResponse:  # type: ignore[valid-type]
        """What changes for the citizen, and when (as ``reform timeline --json``)."""
        try:
            from reform_rules.answer import timeline as timeline_module
            build = timeline_module.timeline
        except (ImportError, AttributeError):
            raise InputError("timeline: not available in this version (reform_rules/answer/timeline.py with "
                             "timeline(base, citizen, start, end) is missing)", status=501,
                             error="not_implemented") from None
        citizen, start, end, lang = body.citizen, body.start, body.end, body.lang
        # the defaults of `reform timeline`: the rules' horizon, from the first spell if that is earlier
        first = min((s.start for s in citizen.spells), default=None)
        today = date.today()
        horizon = getattr(base.ruleset.vocabulary, "horizon", None) or (first or today, today)
        if start is None:
            start = min(d for d in (horizon[0], first) if d)
        end = end or horizon[1]
        if end < start:
            raise InputError("to: must not be before from")
        if (end - start).days > MAX_TIMELINE_DAYS:
            raise InputError("to: a timeline may span at most 100 years")
        kwargs = {"lang": lang} if "lang" in inspect.signature(build).parameters else {}
        try:
            result = build(base, citizen, start, end, **kwargs)
        except (OverflowError, ValueError) as exc:
            log.warning("timeline out of the calendar (%s at %s)", type(exc).__name__, where(exc))
            raise InputError("to: the timeline cannot be computed: a date in it would fall outside the "
                             "calendar (years 1–9999)") from None
        return JSONResponse(result.to_json())

    @app.post("/api/timeline/view", tags=["answers"],
              summary="The timeline with display names, reasons and the SVG lanes (the caseworker page)",
              openapi_extra=openapi.timeline_body(example), responses=openapi.responses("TimelineView"))
    def api_timeline_view(body: TimelineViewRequest) -> JSONResponse:  # type: ignore[valid-type]
        """The periods of constant answer over the rules' horizon (or ``from``–``to``), each with its lanes'
        labels, what changed and why (events, and the rules that start or stop applying, with their sources),
        and the timeline drawn as SVG; ``date`` (optional) is marked, and the period holding it flagged."""
        citizen, start, end, mark, lang = body.citizen, body.start, body.end, body.date, body.lang
        today = date.today()
        horizon = getattr(base.ruleset.vocabulary, "horizon", None) or (today, today)
        start, end = start or horizon[0], end or horizon[1]
        if end < start:
            raise InputError("to: must not be before from")
        if (end - start).days > MAX_TIMELINE_DAYS:
            raise InputError("to: a timeline may span at most 100 years")
        try:
            result = build_timeline(base, citizen, start, end, lang=lang)
        except (OverflowError, ValueError) as exc:
            log.warning("timeline out of the calendar (%s at %s)", type(exc).__name__, where(exc))
            raise InputError("to: the timeline cannot be computed: a date in it would fall outside the "
                             "calendar (years 1–9999)") from None
        return JSONResponse(timeline_view(result, base.ruleset, lang, mark, anchor=state.seeds.anchor))

    @app.get("/api/rules", tags=["rules"], summary="The rules, optionally those valid on a date",
             responses=openapi.responses("RuleList", ok_only=False))
    def api_rules(date: str | None = None, subject: str | None = None, status: str | None = None) -> JSONResponse:
        """Each rule's id, subject, titles, validity, status, sources, overrides, effect and what it decides."""
        on = _filter_date(date)
        return JSONResponse(views.rules_json(base.ruleset, on, subject or None, status or None))

    @app.get("/api/subjects", tags=["rules"], summary="The rule files' subjects")
    def api_subjects() -> JSONResponse:
        return JSONResponse(views.subjects_json(base.ruleset))

    @app.get("/api/phases", tags=["rules"], summary="The phases of the reform, with their dates",
             responses=openapi.responses("PhaseList", ok_only=True))
    def api_phases() -> JSONResponse:
        return JSONResponse(views.phases_json(base.ruleset))

    @app.get("/api/vocabulary", tags=["rules"], summary="The values a citizen record may use")
    def api_vocabulary() -> JSONResponse:
        return JSONResponse(views.vocabulary_json(base.ruleset))

    @app.get("/api/check", tags=["rules"], summary="reform check: are the rule files clean and complete?")
    async def api_check(wait: bool = False) -> JSONResponse:
        """The report of ``reform check --json``. The completeness part runs in the background once per version
        of the files; until it is done this is the quick check and ``running`` is true (``wait=true`` waits)."""
        report, running = await run_in_threadpool(state.check)  # the quick check: in a worker thread
        if wait and running:
            event = state.full_event()   # None: the full check ended since the quick answer above
            while event is not None and not event.is_set():  # waiting holds no worker thread
                await anyio.sleep(0.05)
            report, running = await run_in_threadpool(state.check)
        return JSONResponse({**report.to_json(), "lines": report.lines(), "running": running,
                             "loaded_at": state.loaded_at.isoformat(), "stale": state.stale})

    @app.get("/api/examples", tags=["examples"], summary="The persona citizen files")
    def api_examples() -> JSONResponse:
        out = []
        for name, path in state.example_files().items():
            try:
                data = state.read_example(path)
            except LoadError:
                continue
            if isinstance(data, dict):
                out.append({"name": name, "id": data.get("id"), "note": data.get("note")})
        return JSONResponse(out)

    @app.get("/api/examples/{name}", tags=["examples"], summary="One persona citizen file, as JSON",
             responses=openapi.responses("ExampleFile", not_found=True))
    def api_example(name: str) -> JSONResponse:
        path = state.example_files().get(name)
        if path is None:
            raise InputError(f"name: no example called {name!r}", status=404, error="not_found")
        try:
            return JSONResponse({"name": name, "citizen": state.read_example(path)})
        except LoadError as exc:
            raise InputError(str(exc)) from None

    @app.post("/api/citizen/parse", tags=["examples"], summary="Read a citizen file (YAML or JSON) into JSON",
              openapi_extra=openapi.parse_body(example), responses=openapi.responses("ParsedCitizen"))
    def api_parse(body: ParseRequest) -> JSONResponse:  # type: ignore[valid-type]
        """Parses only (nothing is stored or checked beyond the syntax); /api/query names bad fields."""
        text, name = body.text, body.name
        label = "file"
        parsed: Any = None
        if (isinstance(name, str) and name.lower().endswith(".json")) or text.lstrip().startswith("{"):
            if json_depth(text) > MAX_NESTING:
                raise too_deep(label)
            try:
                parsed = json.loads(text)
            except (ValueError, RecursionError):
                parsed = None
        if parsed is None:
            try:
                parsed = parse_text(text, label).data
            except LoadError as exc:
                raise InputError(str(exc)) from None
        if not isinstance(parsed, dict):
            raise InputError(f"{label}: a citizen record must be a mapping with 'id' and 'spells'")
        return JSONResponse({"citizen": jsonable(parsed)})

    @app.get("/api/sources", tags=["rules"], summary="The sources the rules cite: names, dates, addresses")
    def api_sources() -> JSONResponse:
        """Each source by the name a person cites it by, with its date, status, public address (``url``) when
        it has one, and for a seed document the app's page of its copy (``page``) and the plain text (``text``)."""
        users = cited_by(base.ruleset)
        return JSONResponse([source_json(src, state.seeds, users.get(src.id)) for src in base.ruleset.sources.values()])

    @app.get("/api/health", tags=["rules"], summary="Is the service up, and with how many rules")
    def api_health() -> JSONResponse:
        return JSONResponse({"ok": True, "version": __version__, "rules": len(base.ruleset.rules),
                             "checked": base.certificate.checked})

    # -- pages ------------------------------------------------------------------------------
    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    def page_citizen(lang: str | None = None) -> HTMLResponse:
        return HTMLResponse(pages.citizen_page(state, pick_lang(lang)))

    @app.api_route("/rules", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    def page_rules(lang: str | None = None, date: str | None = None, subject: str | None = None,
                   status: str | None = None) -> HTMLResponse:
        lang = pick_lang(lang)
        try:
            on = _filter_date(date)
            problem = None
        except InputError as exc:
            on, problem = None, exc.messages[0]
        return HTMLResponse(pages.rules_page(state, lang, on, subject or None, status or None, problem, date))

    @app.api_route("/docs", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    def page_docs(lang: str | None = None) -> HTMLResponse:
        return HTMLResponse(pages.docs_page(state, pick_lang(lang)))

    @app.api_route("/sources", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    def page_sources(lang: str | None = None) -> HTMLResponse:
        return HTMLResponse(pages.sources_page(state, pick_lang(lang)))

    @app.api_route("/sources/{source_id}.txt", methods=["GET", "HEAD"], include_in_schema=False)
    def source_text(source_id: str) -> PlainTextResponse:
        """The copy of a seed document as it is in rules/seeds/."""
        text = state.seeds.text(source_id)
        if text is None:
            raise InputError(f"source: no document text for {source_id!r}", status=404, error="not_found")
        return PlainTextResponse(text, headers={"content-disposition": f'inline; filename="{source_id}.txt"'})

    @app.api_route("/sources/{source_id}", methods=["GET", "HEAD"], response_class=HTMLResponse,
                   include_in_schema=False)
    def page_source(source_id: str, lang: str | None = None) -> HTMLResponse:
        lang = pick_lang(lang)
        html = pages.source_page(state, lang, source_id)
        if html is None:
            raise InputError(UI[lang]["src_not_found"].format(id=source_id), status=404, error="not_found")
        return HTMLResponse(html)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg")

    app.openapi = openapi.custom_openapi(app, base)  # type: ignore[method-assign]
    return app


def _filter_date(value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        return parse_query_date(value, "date")
    except CitizenError as exc:
        raise InputError(exc.messages, problems=exc.problems) from None
