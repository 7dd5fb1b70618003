"""API benchmark: warm POST /api/query latency, in-process (TestClient) and over loopback (uvicorn + httpx).

Run: .venv/bin/python bench/api.py [--n 1000] [--no-server]
Prints p50/p95/p99 over N requests of the example personas on random dates (the same mix as
bench/query.py), after a warm-up, for:
  - FastAPI's TestClient (the application and the engine, without a network), and
  - a real uvicorn server on 127.0.0.1, configured as ``reform serve`` configures it, queried by
    one keep-alive httpx client (adds HTTP parsing, the socket and the event loop).
Each response is checked to be 200 and an answer for that date. Each run starts with the situation
cache empty and warms up on its first 200 requests; situations then repeat, as they do in practice.
"""
from __future__ import annotations

import argparse
import logging
import random
import socket
import statistics
import sys
import threading
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from reform_rules import RuleBase  # noqa: E402
from reform_rules.law.loader import load_file  # noqa: E402
from reform_rules.web import LOG_CONFIG, create_app  # noqa: E402

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def workload(n: int) -> list[dict]:
    personas = [load_file(p).data for p in sorted((ROOT / "scenarios" / "examples").glob("*.yaml"))]
    rng = random.Random(7)
    start = date(2025, 1, 1)
    return [{"citizen": rng.choice(personas), "date": (start + timedelta(days=rng.randrange(6 * 365))).isoformat(),
             "lang": rng.choice(["da", "en"])} for _ in range(n)]


def run(base, post, bodies: list[dict], warmup: int) -> list[float]:
    base._cache.clear()  # each run starts from the same state: rules compiled, no situation answered yet
    for body in bodies[:warmup]:
        post(body)
    times = []
    for body in bodies:
        t = time.perf_counter()
        r = post(body)
        times.append(time.perf_counter() - t)
        if r.status_code != 200 or r.json()["date"] != body["date"]:
            raise SystemExit(f"unexpected answer: {r.status_code} {r.text[:200]}")
    return times


def report(label: str, times: list[float]) -> None:
    ms = 1000
    print(f"{label} (n={len(times)}): p50 {pct(times, 50) * ms:.2f} ms, p95 {pct(times, 95) * ms:.2f} ms, "
          f"p99 {pct(times, 99) * ms:.2f} ms, mean {statistics.mean(times) * ms:.2f} ms, "
          f"{len(times) / sum(times):.0f} requests/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--no-server", action="store_true", help="Only the in-process TestClient figures.")
    args = ap.parse_args()
    t0 = time.perf_counter()
    base = RuleBase.load(ROOT / "rules")
    app = create_app(base, rules_dir=ROOT / "rules", completeness=False)
    print(f"rules: {len(base.ruleset.rules)}; app ready in {(time.perf_counter() - t0) * 1000:.0f} ms")
    bodies = workload(args.n)
    logging.getLogger("reform.web").setLevel(logging.WARNING)  # the access log is not what is measured

    with TestClient(app) as client:
        report("warm /api/query, TestClient (in process)", run(base, lambda b: client.post("/api/query", json=b),
                                                                  bodies, warmup=200))
    if args.no_server:
        return

    import uvicorn
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=LOG_CONFIG, access_log=False,
                            lifespan="off")
    logging.getLogger("reform.web").setLevel(logging.WARNING)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            report("warm /api/query, uvicorn on loopback + httpx", run(base, lambda b: client.post("/api/query", json=b),
                                                                       bodies, warmup=200))
    finally:
        server.should_exit = True
        thread.join(10)


if __name__ == "__main__":
    main()
