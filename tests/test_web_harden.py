"""One request must not stall the others: computing off the event loop, nesting limits, body deadlines,
the server's timeouts, and ids that cannot forge lines in the text answer.

Concurrency is asserted by *ordering*, never by wall-clock thresholds: a slow request is held inside
its computation (a patched function waiting on an event) while /api/health is asked; health must
answer before the slow request is released. The timeouts on the waits only keep a broken build from
hanging the suite.
"""
from __future__ import annotations

import os
import threading
import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402

from conftest import EXAMPLES, RULES  # noqa: E402
from reform_rules.answer.explain import render_text, safe_text  # noqa: E402
from reform_rules.law.loader import MAX_DEPTH, LoadError, nesting_depth, parse_text  # noqa: E402
from reform_rules.web import create_app  # noqa: E402
import reform_rules.web.bodies as web_bodies  # noqa: E402
import reform_rules.web.state as web_state  # noqa: E402
import reform_rules.web.api_rules as web_rules  # noqa: E402

GUARD = 60  # seconds: only against a hang; no assertion depends on it


def lone(**changes) -> dict:
    return {"id": "lone", "born": "1986-03-10", "municipality": "Odense",
            "spells": [{"benefit": "sygedagpenge", "sick_from": "employment", "expected_absence_weeks": 12,
                        "uncomplicated": True, "from": "2026-08-03"}], **changes}


@pytest.fixture(scope="module")
def app(base):
    return create_app(base, rules_dir=RULES, examples_dir=EXAMPLES, completeness=False)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


# -- nesting limits ----------------------------------------------------------------------------------
def test_nesting_depth_counts_brackets_and_block_indicators():
    assert nesting_depth("id: x\nspells:\n  - benefit: a\n    from: 2026-01-01\n")[0] <= 4
    assert nesting_depth("- " * 100 + "x")[0] >= 100
    assert nesting_depth("[" * 100)[0] >= 100
    assert nesting_depth('a: "[[[[[[[[[[[[[[[["\n')[0] <= 2  # brackets in a string are text
    deep_indent = "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 120))
    assert nesting_depth(deep_indent)[0] > MAX_DEPTH


def test_nesting_counts_escapes_and_quotes_right():
    assert web_bodies.json_depth(b'{"a": "[[[[\\"[[", "b": [[1]]}') == 3  # an escaped quote does not end the string
    assert nesting_depth('a: "[[[\\"[["\nb: [[1]]')[0] == 3  # the mapping, and two brackets on line 2
    # a backslash outside a string hides no bracket (YAML reads `[\[` as two sequences)
    assert nesting_depth("[\\" * 1000)[0] > MAX_DEPTH and web_bodies.json_depth(b"[\\" * 1000) > MAX_DEPTH
    # an unterminated string of escaped quotes (quadratic for a backtracking pattern) is one string
    assert web_bodies.json_depth(b'"' + b'\\"' * 200_000 + b"[") == 0
    assert nesting_depth('"' + '\\"' * 200_000)[0] == 1


@pytest.mark.parametrize("text", ["- " * 200_000 + "x", "[" * 200_000, "{a: " * 100_000,
                                  "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 400))])
def test_deeply_nested_yaml_is_refused_before_parsing(text):
    with pytest.raises(LoadError, match=rf"nested too deeply \(more than {MAX_DEPTH} levels\)"):
        parse_text(text, "file")


def test_deeply_nested_parse_body_is_refused_with_the_limit(client):
    r = client.post("/api/citizen/parse", json={"text": "- " * 200_000 + "x"})
    assert r.status_code == 422
    assert r.json()["messages"] == [f"file:1: nested too deeply (more than {MAX_DEPTH} levels)"]
    r = client.post("/api/citizen/parse", json={"text": "[" * 200_000, "name": "x.json"})
    assert r.status_code == 422 and f"more than {MAX_DEPTH} levels" in r.json()["messages"][0]


def test_deeply_nested_json_body_is_refused_with_the_limit(client):
    deep = "[" * 100_000 + "]" * 100_000
    r = client.post("/api/query", content=f'{{"citizen": {deep}, "date": "2026-08-10"}}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    message = r.json()["messages"][0]
    assert message.startswith("body: nested too deeply") and f"more than {web_bodies.MAX_NESTING} levels" in message
    # brackets inside strings are not nesting
    r = client.post("/api/query", json={"citizen": lone(id="[" * 200), "date": "2026-08-10"})
    assert r.status_code == 200, r.text


# -- off the event loop: health answers while a slow request is in flight -------------------------------
def _health_during(client, post, block_target, attr):
    """Hold ``block_target.attr`` inside the request ``post`` makes; /api/health must answer meanwhile."""
    entered, release = threading.Event(), threading.Event()
    original = getattr(block_target, attr)
    threads = []

    def slow(*args, **kwargs):
        threads.append(threading.current_thread())
        entered.set()
        release.wait(GUARD)
        return original(*args, **kwargs)

    setattr(block_target, attr, slow)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("slow", post()))
    try:
        worker.start()
        assert entered.wait(GUARD), "the slow request never reached its computation"
        health = {}
        asker = threading.Thread(target=lambda: health.setdefault("r", client.get("/api/health")))
        asker.start()
        asker.join(GUARD)
        in_flight = worker.is_alive() and not release.is_set()
        assert "r" in health and health["r"].status_code == 200, "health did not answer"
        assert in_flight, "health answered only after the slow request"
    finally:
        release.set()
        worker.join(GUARD)
        setattr(block_target, attr, original)
    assert threads and threads[0] is not threading.main_thread()
    return result["slow"]


def test_health_answers_during_a_slow_parse(client):
    r = _health_during(client, lambda: client.post("/api/citizen/parse", json={"text": "id: x\nspells: []\n"}),
                       web_rules, "parse_text")
    assert r.status_code == 200 and r.json()["citizen"]["id"] == "x"


def test_health_answers_during_a_slow_evaluation(client, base):
    r = _health_during(client, lambda: client.post("/api/query", json={"citizen": lone(), "date": "2026-08-10"}),
                       base, "evaluate")
    assert r.status_code == 200 and r.json()["citizen"] == "lone"


def test_health_answers_while_the_citizen_is_validated(client, base):
    """FastAPI validates a body on the event loop: the citizen is parsed before, in a worker thread."""
    r = _health_during(client, lambda: client.post("/api/explain", json={"citizen": lone(), "date": "2026-08-10"}),
                       base, "parse_citizen")
    assert r.status_code == 200 and r.json()["answer"]["citizen"] == "lone"


def test_a_bad_citizen_is_still_named_after_the_thread_parse(client):
    r = client.post("/api/query", json={"citizen": lone(born="1986-13-10"), "date": "2026-08-10"})
    assert r.status_code == 422 and r.json()["messages"][0].startswith("citizen: born")


@pytest.mark.parametrize("path,body", [
    ("/api/timeline", {"citizen": lone(), "from": "2026-01-01", "to": "2026-12-31"}),
    ("/api/timeline/view", {"citizen": lone(), "from": "2026-01-01", "to": "2026-12-31"}),
    ("/api/what-if", {"citizen": lone(), "date": "2026-08-10"}),
])
def test_health_answers_during_other_computations(client, base, path, body):
    r = _health_during(client, lambda: client.post(path, json=body), base, "evaluate")
    assert r.status_code == 200, r.text


def test_full_check_is_off_the_event_loop(base, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    seen = []

    def blocking_full_check(directory):
        seen.append(threading.current_thread())
        entered.set()
        release.wait(GUARD)
        return web_state.run_check(directory, completeness=False)

    monkeypatch.setattr(web_state, "full_check", blocking_full_check)
    try:
        with TestClient(create_app(base, rules_dir=RULES, examples_dir=EXAMPLES)) as c:
            assert c.get("/api/check").json()["running"] is True
            assert entered.wait(GUARD)
            assert c.get("/api/health").status_code == 200  # while the full check is held
            assert c.get("/rules").status_code == 200
            assert not release.is_set()
            release.set()
            assert c.get("/api/check", params={"wait": "true"}).json()["running"] is False
    finally:
        release.set()
    assert seen and seen[0] is not threading.main_thread() and seen[0].name == "reform-check"


def _child_pid(_directory):
    return os.getpid()


def test_full_check_runs_in_another_process():
    assert web_state.full_check(RULES, job=_child_pid) != os.getpid()


# -- body deadline and server options -------------------------------------------------------------------
def test_a_body_that_trickles_in_is_answered_408(base):
    import anyio
    app = create_app(base, rules_dir=RULES, examples_dir=EXAMPLES, completeness=False, body_timeout=0.2)
    sent: list[dict] = []
    arrived = []

    async def receive():
        if not arrived:
            arrived.append(1)
            return {"type": "http.request", "body": b"{", "more_body": True}
        await anyio.sleep(GUARD)  # the rest never comes
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/api/query", "raw_path": b"/api/query", "query_string": b"",
             "root_path": "", "headers": [(b"content-type", b"application/json")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}

    async def main():
        with anyio.fail_after(GUARD):
            await app(scope, receive, send)
    anyio.run(main)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"did not arrive within 0.2 seconds" in body


def test_serve_gives_uvicorn_read_timeouts(monkeypatch, base):
    import uvicorn
    from reform_rules import web
    got = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: got.update(kwargs))
    web.serve(base, rules_dir=RULES, examples_dir=EXAMPLES)
    assert got["timeout_keep_alive"] == web.TIMEOUT_KEEP_ALIVE > 0
    assert got["h11_max_incomplete_event_size"] == web.MAX_INCOMPLETE_EVENT > 0
    config = uvicorn.Config(lambda *a: None, **got)  # uvicorn knows every option
    assert config.timeout_keep_alive == web.TIMEOUT_KEEP_ALIVE


# -- ids in the text answer ----------------------------------------------------------------------------
@pytest.mark.parametrize("raw,shown", [
    ("plain-id", "plain-id"), ("a\nb", "a\\nb"), ("a\r\nb", "a\\r\\nb"), ("\x1b[2J", "\\x1b[2J"),
    ("x\x00y\x7f\x9b", "x\\x00y\\x7f\\x9b"), ("\u202eevil", "\\u202eevil"), ("a\u2028b", "a\\u2028b"),
    ("Søren Æblerød", "Søren Æblerød"), (42, "42"),
])
def test_safe_text(raw, shown):
    assert safe_text(raw) == shown


FORGED = "lone\n\x1b[2JBorger: forged\r\n"


def test_an_id_cannot_forge_lines_in_the_text_answer(base):
    honest = render_text(base.evaluate(base.parse_citizen(lone()), "2026-08-10"), base.ruleset)
    text = render_text(base.evaluate(base.parse_citizen(lone(id=FORGED)), "2026-08-10"), base.ruleset)
    assert len(text.splitlines()) == len(honest.splitlines())
    assert "\x1b" not in text and "\r" not in text
    assert text.splitlines()[0].startswith("Borger: lone\\n\\x1b[2JBorger: forged\\r\\n")


def test_an_id_cannot_forge_lines_in_the_api_text_view(client):
    r = client.post("/api/explain", json={"citizen": lone(id=FORGED), "date": "2026-08-10", "lang": "en"})
    assert r.status_code == 200, r.text
    text = r.json()["view"]["text"]
    assert "\x1b" not in text and not any(line.startswith("Borger: forged") for line in text.splitlines())
    assert r.json()["answer"]["citizen"] == FORGED  # the JSON answer keeps the id as sent


def test_an_id_cannot_forge_lines_in_reform_query(tmp_path):
    import json
    from conftest import run_cli
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(lone(id=FORGED)), encoding="utf-8")
    out = run_cli("query", str(path), "--date", "2026-08-10")
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\r" not in out.stdout
    assert out.stdout.splitlines()[0].startswith("Borger: lone\\n\\x1b[2JBorger: forged")
    assert not any(line.startswith("Borger: forged") for line in out.stdout.splitlines())


def test_waiting_for_the_full_check_holds_no_worker_thread(base, monkeypatch):
    """Clients waiting on /api/check?wait=true must not take the worker threads the answers need."""
    import anyio.to_thread
    entered, release = threading.Event(), threading.Event()

    def blocking_full_check(directory):
        entered.set()
        release.wait(GUARD)
        return web_state.run_check(directory, completeness=False)

    monkeypatch.setattr(web_state, "full_check", blocking_full_check)
    checks = threading.Semaphore(0)
    real_check = web_state.WebState.check

    def counted_check(self, *args, **kwargs):
        checks.release()  # one more request has reached the check (and, with wait, is waiting)
        return real_check(self, *args, **kwargs)
    monkeypatch.setattr(web_state.WebState, "check", counted_check)
    tokens = 3
    waiters: list[threading.Thread] = []
    try:
        with TestClient(create_app(base, rules_dir=RULES, examples_dir=EXAMPLES)) as c:
            limiter = c.portal.call(anyio.to_thread.current_default_thread_limiter)
            saved = limiter.total_tokens
            c.portal.call(setattr, limiter, "total_tokens", tokens)
            try:
                assert c.get("/api/check").json()["running"] is True
                assert entered.wait(GUARD)
                waiters = [threading.Thread(target=c.get, args=("/api/check",), kwargs={"params": {"wait": "true"}})
                           for _ in range(tokens + 2)]
                for w in waiters:
                    w.start()
                for _ in range(1 + len(waiters)):  # the first /api/check, then every waiter
                    assert checks.acquire(timeout=GUARD)
                health = {}
                asker = threading.Thread(target=lambda: health.setdefault("r", c.get("/api/health")))
                asker.start()
                asker.join(GUARD)
                assert not release.is_set() and all(w.is_alive() for w in waiters)
                assert "r" in health and health["r"].status_code == 200, "health waited for the check"
            finally:
                release.set()
                for w in waiters:
                    w.join(GUARD)
                c.portal.call(setattr, limiter, "total_tokens", saved)
    finally:
        release.set()


def test_health_answers_while_a_json_body_is_read(client):
    r = _health_during(client, lambda: client.post("/api/query", json={"citizen": lone(), "date": "2026-08-10"}),
                       web_bodies, "_json_body_sync")
    assert r.status_code == 200


def _sleep_long(_directory):
    import time
    time.sleep(GUARD)


def test_stopping_the_server_stops_a_running_full_check():
    outcome = {}

    def run():
        try:
            outcome["report"] = web_state.full_check(RULES, job=_sleep_long)
        except RuntimeError as exc:
            outcome["error"] = str(exc)
    waiter = threading.Thread(target=run)
    waiter.start()
    try:
        for _ in range(GUARD * 20):  # until the child is running
            with web_state._CHILDREN_LOCK:
                started = [p for p in web_state._CHILDREN if p.is_alive()]
            if started:
                break
            threading.Event().wait(0.05)
        assert started, "the full check's process never started"
        web_state._stop_children()  # what the server's exit runs
        waiter.join(GUARD)
        assert not waiter.is_alive()
        assert "report" not in outcome and "ended without a report" in outcome["error"]
        assert not started[0].is_alive()
    finally:
        web_state._stop_children()
        waiter.join(GUARD)
