"""Soak test (not in the suite): does ``reform serve`` keep its memory flat under a long mixed load?

Run: .venv/bin/python bench/soak.py [--n 50000] [--clients 4] [--warmup 500]
Starts ``reform serve`` on a free loopback port in a subprocess, sends N requests mixing every
endpoint (pages, /api/examples, /api/rules, /api/query, /api/explain, /api/what-if, /api/timeline,
/api/citizen/parse, and bad bodies: broken JSON, wrong types, unknown values, too deep, 404s) from a
few concurrent keep-alive clients, and samples the server's resident memory (VmRSS in
/proc/PID/status) after the warm-up, every 1,000 requests, and at the end. Prints start / end / peak
RSS and whether the end is within 20 % of the start, the request counts by status, and the p50/p99
latency. Exit code 1 when the end is not within 20 % of the start.
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reform_rules.law.loader import load_file  # noqa: E402

REFORM = Path(sys.executable).with_name("reform")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def requests(n: int, seed: int) -> list[tuple[str, str, object]]:
    """N (method, path, body) triples: a fixed mix of every endpoint, good and bad."""
    personas = {p.stem: load_file(p).data for p in sorted((ROOT / "scenarios" / "examples").glob("*.yaml"))}
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "scenarios" / "examples").glob("*.yaml"))}
    rng = random.Random(seed)
    start = date(2025, 1, 1)

    def day() -> str:
        return (start + timedelta(days=rng.randrange(6 * 365))).isoformat()

    def citizen() -> dict:
        c = json.loads(json.dumps(rng.choice(list(personas.values())), default=str))
        c["id"] = f"soak-{rng.randrange(10 ** 9)}"   # a fresh id each time: nothing may be kept per id
        return c

    def lang() -> str:
        return rng.choice(["da", "en"])

    makers = [
        (20, lambda: ("POST", "/api/query", {"citizen": citizen(), "date": day(), "lang": lang()})),
        (6, lambda: ("POST", "/api/explain", {"citizen": citizen(), "date": day(), "lang": lang()})),
        (3, lambda: ("POST", "/api/what-if", {"citizen": citizen(), "date": day(), "lang": lang()})),
        (4, lambda: ("POST", "/api/timeline", {"citizen": citizen(), "lang": lang()})),
        (2, lambda: ("POST", "/api/timeline/view", {"citizen": citizen(), "lang": lang()})),
        (5, lambda: ("POST", "/api/citizen/parse", {"text": rng.choice(list(texts.values())), "name": "x.yaml"})),
        (4, lambda: ("GET", "/api/examples", None)),
        (3, lambda: ("GET", f"/api/examples/{rng.choice(list(personas))}", None)),
        (3, lambda: ("GET", rng.choice(["/api/rules", f"/api/rules?date={day()}"]), None)),
        (2, lambda: ("GET", rng.choice(["/api/subjects", "/api/phases", "/api/vocabulary", "/api/sources",
                                        "/api/health", "/api/check"]), None)),
        (4, lambda: ("GET", rng.choice(["/", "/rules", "/docs", "/sources", "/favicon.ico"]), None)),
        # bad requests: each must be a 4xx, never a 500, and must not leave anything behind
        (2, lambda: ("POST", "/api/query", "{not json" + "x" * rng.randrange(100))),
        (2, lambda: ("POST", "/api/query", {"citizen": {"id": 5, "spells": "no"}, "date": "yesterday"})),
        (2, lambda: ("POST", "/api/query", {"citizen": {**citizen(), "municipality": f"Nowhere-{rng.randrange(10 ** 6)}"},
                                            "date": day()})),
        (1, lambda: ("POST", "/api/query", "[" * 5000 + "]" * 5000)),
        (1, lambda: ("POST", "/api/citizen/parse", {"text": "a: [" + "b" * rng.randrange(50)})),
        (1, lambda: ("GET", f"/api/examples/nobody-{rng.randrange(10 ** 6)}", None)),
        (1, lambda: ("GET", f"/no/such/page/{rng.randrange(10 ** 6)}", None)),
        (1, lambda: ("POST", "/api/timeline", {"citizen": citizen(), "from": "2030-01-01", "to": "2020-01-01"})),
    ]
    weights = [w for w, _ in makers]
    return [rng.choices(makers, weights)[0][1]() for _ in range(n)]


def send(client: httpx.Client, method: str, path: str, body: object) -> int:
    if body is None:
        return client.request(method, path).status_code
    if isinstance(body, str):
        return client.request(method, path, content=body.encode(), headers={"content-type": "application/json"}).status_code
    return client.request(method, path, json=body).status_code


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=500)
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen([str(REFORM), "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        work = requests(args.warmup + args.n, seed=11)
        with httpx.Client(base_url=url, timeout=60) as c:
            for m, p, b in work[:args.warmup]:
                send(c, m, p, b)
        samples = [rss_kb(server.pid)]
        print(f"server pid {server.pid} on port {port}; after {args.warmup} warm-up requests RSS {samples[0] / 1024:.1f} MB",
              flush=True)
        todo = work[args.warmup:]
        counts: collections.Counter[str] = collections.Counter()
        times: list[float] = []
        lock = threading.Lock()
        done = [0]
        t0 = time.perf_counter()

        def worker(part: list[tuple[str, str, object]]) -> None:
            with httpx.Client(base_url=url, timeout=60) as c:
                for m, p, b in part:
                    t = time.perf_counter()
                    try:
                        status = str(send(c, m, p, b))
                    except httpx.HTTPError as exc:
                        status = type(exc).__name__
                    dt = time.perf_counter() - t
                    with lock:
                        counts[status] += 1
                        times.append(dt)
                        done[0] += 1
                        if done[0] % 1000 == 0:
                            samples.append(rss_kb(server.pid))
                        if done[0] % 10_000 == 0:
                            print(f"  {done[0]} requests, {time.perf_counter() - t0:.0f} s, RSS {samples[-1] / 1024:.1f} MB",
                                  flush=True)

        threads = [threading.Thread(target=worker, args=(todo[i::args.clients],)) for i in range(args.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        samples.append(rss_kb(server.pid))
    finally:
        server.terminate()
        server.wait(10)
    start, end, peak = samples[0], samples[-1], max(samples)
    ok = end <= start * 1.2
    ms = 1000
    print(f"requests: {len(times)} in {wall:.0f} s ({len(times) / wall:.0f}/s) from {args.clients} clients")
    print("by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    print(f"latency: p50 {pct(times, 50) * ms:.1f} ms, p99 {pct(times, 99) * ms:.1f} ms")
    print(f"RSS: start {start / 1024:.1f} MB, end {end / 1024:.1f} MB, peak {peak / 1024:.1f} MB; "
          f"end within 20 % of start: {'yes' if ok else 'NO'} ({(end - start) / start * 100:+.1f} %)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
