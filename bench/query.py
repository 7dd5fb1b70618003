"""Query benchmark: cold start (load + compile every rule file) and warm query latency.

Run: .venv/bin/python bench/query.py [--n 1000]
Prints cold start, then p50/p95 over N warm queries of the example personas on random dates
(the usual case: situations repeat, answered from the canonical-situation cache) and over N
queries that each force a fresh Datalog derivation (cache cleared before every query).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

t0 = time.perf_counter()
from reform_rules import RuleBase  # noqa: E402
t_import = time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    t1 = time.perf_counter()
    base = RuleBase.load(ROOT / "rules")
    cold = time.perf_counter() - t1
    citizens = [base.load_citizen(p) for p in sorted((ROOT / "scenarios" / "examples").glob("*.yaml"))]
    rng = random.Random(7)
    start = date(2025, 1, 1)
    queries = [(rng.choice(citizens), start + timedelta(days=rng.randrange(6 * 365))) for _ in range(args.n)]
    t2 = time.perf_counter()
    base.evaluate(*queries[0])
    first = time.perf_counter() - t2

    warm = []
    for c, d in queries:
        s = time.perf_counter(); base.evaluate(c, d); warm.append(time.perf_counter() - s)
    base.evaluate(*queries[0], receipt=True)  # resolves the git revision once
    with_receipt = []
    for c, d in queries:
        s = time.perf_counter(); base.evaluate(c, d, receipt=True); with_receipt.append(time.perf_counter() - s)
    miss = []
    for c, d in queries[: max(100, args.n // 5)]:
        base._cache.clear()
        s = time.perf_counter(); base.evaluate(c, d); miss.append(time.perf_counter() - s)
    ms = 1000
    print(f"rules: {len(base.ruleset.rules)} rules; Datalog program {len(base.program.text.splitlines())} lines")
    print(f"import engine:           {t_import * ms:7.1f} ms")
    print(f"cold start (load+compile every rule file): {cold * ms:7.1f} ms; first query {first * ms:.1f} ms")
    print(f"warm query, situations repeat (n={len(warm)}): p50 {pct(warm, 50) * ms:.3f} ms, p95 {pct(warm, 95) * ms:.3f} ms")
    print(f"warm query with receipt (n={len(with_receipt)}): p50 {pct(with_receipt, 50) * ms:.3f} ms, "
          f"p95 {pct(with_receipt, 95) * ms:.3f} ms (receipt adds {(pct(with_receipt, 50) - pct(warm, 50)) * ms:.3f} ms at p50)")
    print(f"warm query, fresh Datalog derivation (n={len(miss)}): p50 {pct(miss, 50) * ms:.2f} ms, "
          f"p95 {pct(miss, 95) * ms:.2f} ms, mean {statistics.mean(miss) * ms:.2f} ms")


if __name__ == "__main__":
    main()
