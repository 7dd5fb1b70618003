"""Timeline benchmark: one citizen over the rules' horizon (2025–2030), median over the personas.

Run: .venv/bin/python bench/timeline.py
Prints the median time per timeline with a cold cache (every change point a fresh Datalog
derivation) and with a warm one (the canonical situations already derived).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reform_rules import RuleBase  # noqa: E402
from reform_rules.answer.timeline import timeline  # noqa: E402


def main() -> None:
    base = RuleBase.load(ROOT / "rules")
    lo, hi = base.ruleset.vocabulary.horizon
    citizens = [base.load_citizen(p) for p in sorted((ROOT / "scenarios" / "examples").glob("*.yaml"))]
    cold, warm, periods = [], [], []
    for c in citizens:
        base._cache.clear()
        s = time.perf_counter(); tl = timeline(base, c, lo, hi); cold.append(time.perf_counter() - s)
        s = time.perf_counter(); timeline(base, c, lo, hi); warm.append(time.perf_counter() - s)
        periods.append(len(tl.periods))
    print(f"{len(citizens)} personas, {lo} – {hi}, {statistics.median(periods)} periods (median)")
    print(f"timeline, cold cache: median {statistics.median(cold) * 1000:.0f} ms, max {max(cold) * 1000:.0f} ms")
    print(f"timeline, warm cache: median {statistics.median(warm) * 1000:.1f} ms, max {max(warm) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
