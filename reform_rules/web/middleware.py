"""Safety around every request: a body limit, a log without personal data, no stack traces out.

One pure ASGI middleware, outermost of the application's own:

- a request body over ``max_body`` bytes is refused with 413 before the application sees it;
- a request body that has not fully arrived ``body_timeout`` seconds after the request started is
  refused with 408 and the connection closed (a client sending a byte a second holds no worker);
- the access log names the method, the *route template* (``/api/examples/{name}``, never the
  path as sent, never a query string), the status and the time taken; no body, no client address;
- an unexpected exception becomes a 500 JSON without a stack trace; the log gets the exception's
  type and where in the code it happened (file, line, function), never its message, which could
  quote citizen data;
- every response gets headers that keep the pages self-contained and the answers out of caches.
"""
from __future__ import annotations

import json
import logging
import math
import time
import traceback
from typing import Any, Awaitable, Callable

import anyio
from starlette.routing import Match, Mount

log = logging.getLogger("reform.web")

MAX_BODY = 1_000_000  # bytes, as the rule and citizen file limit (reform_rules.law.loader.MAX_BYTES)
BODY_TIMEOUT = 15.0  # seconds for the whole request body to arrive (a megabyte needs ~70 KB/s)
_LATE = object()  # what _read_body returns when the body did not arrive in time

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
     b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'; connect-src 'self'"),
]


def _json_response(status: int, body: dict[str, Any]) -> tuple[Message, Message]:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json; charset=utf-8"),
                         (b"content-length", str(len(data)).encode()), (b"cache-control", b"no-store")]}
    return start, {"type": "http.response.body", "body": data, "more_body": False}


def route_label(scope: Scope, routes: list | None = None) -> str:
    """The template of the route the request matches (``-`` when none does): safe to log."""
    route = None
    if routes:
        for candidate in routes:
            try:
                match, _ = candidate.matches(scope)
            except Exception:  # noqa: BLE001 - a label is not worth a failure
                continue
            if match != Match.NONE:
                route = candidate
                break
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "-"
    if isinstance(route, Mount):
        return path.rstrip("/") + "/{path}"
    return path


def where(exc: BaseException) -> str:
    """Where an exception was raised, as code locations only (no message, no values)."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))


class SafetyMiddleware:
    def __init__(self, app: Callable, max_body: int = MAX_BODY, routes: list | None = None,
                 body_timeout: float = BODY_TIMEOUT):
        self.app = app
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.routes = routes  # the application's routes, to name the route template in the log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 0, "started": False}
        label = route_label(dict(scope), self.routes)  # before routing rewrites the scope

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if scope.get("path", "").startswith("/api/") and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            body = await self._read_body(scope, receive)
            if body is _LATE:
                start, end = _json_response(408, {
                    "error": "timeout",
                    "messages": [f"body: the request body did not arrive within {self.body_timeout:g} seconds"]})
                start["headers"].append((b"connection", b"close"))
                for message in (start, end):
                    await send_wrapped(message)
                return
            if body is None:
                for message in _json_response(413, {
                        "error": "too_large",
                        "messages": [f"body: the request body is over {self.max_body:,} bytes"]}):
                    await send_wrapped(message)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()  # after the body: wait for the disconnect, as the server says

            await self.app(scope, replay, send_wrapped)
        except Exception as exc:  # noqa: BLE001 - nothing may reach the client or the log unfiltered
            log.error("%s %s: unexpected %s at %s", scope.get("method"), label,
                      type(exc).__name__, where(exc))
            if not state["started"]:
                for message in _json_response(500, {
                        "error": "internal",
                        "messages": ["internal error: the answer could not be computed; the input was not stored"]}):
                    await send_wrapped(message)
        finally:
            log.info("%s %s %s %.1fms", scope.get("method"), label, state["status"] or "-",
                     (time.perf_counter() - started) * 1000)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None | object:
        """The whole request body, None when it is over the limit (declared or actual), or ``_LATE``
        when it has not all arrived within ``body_timeout`` seconds."""
        try:
            with anyio.fail_after(self.body_timeout if self.body_timeout and self.body_timeout > 0 else math.inf):
                return await self._receive_body(scope, receive)
        except TimeoutError:
            return _LATE

    async def _receive_body(self, scope: Scope, receive: Receive) -> bytes | None:
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    if int(value) > self.max_body:
                        return None
                except ValueError:
                    pass
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)
