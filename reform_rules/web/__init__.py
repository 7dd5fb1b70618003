"""The caseworker's web page, the rules page and a JSON API over one rule base (``reform serve``).

Needs the ``web`` extra (FastAPI, uvicorn). Read-only; citizen data is never stored or logged.
"""
from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any

from reform_rules.web.app import create_app

__all__ = ["LOG_CONFIG", "create_app", "is_loopback", "serve", "server_options"]

# uvicorn's own access log prints the request line with its query string and the client's
# address; it is switched off, and ``reform.web`` logs method, route template, status and time.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "reform.web": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(base=None, host: str = "127.0.0.1", port: int = 8000, rules_dir: str | Path | None = None,
          examples_dir: str | Path | None = None) -> None:
    """Run the application with uvicorn until interrupted."""
    import uvicorn  # the server only when serving (tests and create_app users do without it)
    app = create_app(base, rules_dir=rules_dir, examples_dir=examples_dir)
    if not is_loopback(host):
        logging.getLogger("reform.web").warning(
            "serving on %s: anyone who can reach this address can use the service (there is no login)", host)
    uvicorn.run(app, **server_options(host, port))


# A connection idle between requests is closed after TIMEOUT_KEEP_ALIVE seconds; an incomplete request
# line and headers may hold at most MAX_INCOMPLETE_EVENT bytes; the body's deadline is the middleware's
# (reform_rules.web.middleware.BODY_TIMEOUT: 408 when it trickles in too slowly).
TIMEOUT_KEEP_ALIVE = 5
MAX_INCOMPLETE_EVENT = 64 * 1024


def server_options(host: str, port: int) -> dict[str, Any]:
    """The keyword arguments ``reform serve`` gives ``uvicorn.run``."""
    return {"host": host, "port": port, "log_config": LOG_CONFIG, "access_log": False, "server_header": False,
            "proxy_headers": False, "timeout_keep_alive": TIMEOUT_KEEP_ALIVE,
            "h11_max_incomplete_event_size": MAX_INCOMPLETE_EVENT}
