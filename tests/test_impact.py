"""reform impact: its counts equal counting ``RuleBase.evaluate`` answers one citizen at a time; the report."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from reform_rules.basics.errors import CitizenError
from reform_rules.caseload.impact import NONE, compute_impact
from reform_rules.caseload.layout import parse_row

from test_batch import random_row, write_rows

MONTHS = [date(2026, 1, 1), date(2026, 7, 1), date(2027, 1, 1), date(2027, 2, 1), date(2028, 6, 1)]
AT = date(2027, 1, 1)


def _group(answer) -> str:
    return (answer.target_group or {}).get("id", NONE)


def test_impact_counts_equal_the_engine_one_by_one(base, tmp_path):
    rng = random.Random(18_2)
    rows = [random_row(rng, i) for i in range(400)]
    path = tmp_path / "caseload.csv"
    write_rows(path, rows)
    got = compute_impact(base, path, AT, MONTHS, chunk_rows=150, progress=False)  # groups across chunks
    monthly: dict[date, Counter] = {m: Counter() for m in MONTHS}
    moves: Counter = Counter()
    grandfathered: dict[str, Counter] = {}
    citizens = errors = 0
    for n, row in enumerate(rows, 1):
        try:
            citizen = parse_row(row, base.ruleset.vocabulary, f"row {n}")
        except CitizenError:   # a row in error is not counted
            errors += 1
            continue
        citizens += 1
        for m in MONTHS:
            monthly[m][_group(base.evaluate(citizen, m))] += 1
        on_at = base.evaluate(citizen, AT)
        moves[(_group(base.evaluate(citizen, AT - timedelta(days=1))), _group(on_at))] += 1
        for p in on_at.programmes:
            if p["status"] == "grandfathered":
                ends = [s.end for s in citizen.beside_on(AT) if s.id == p["id"]]
                end = ends[0] if ends else None
                grandfathered.setdefault(p["id"], Counter())[(end.year, end.month) if end else None] += 1
    assert citizens > 300 and (got.citizens, got.errors) == (citizens, errors)
    assert {m: +got.monthly[m] for m in MONTHS} == {m: +monthly[m] for m in MONTHS}
    assert +got.moves == +moves and sum(moves.values()) == citizens
    assert grandfathered and {k: +v for k, v in got.grandfathered.items()} == grandfathered
