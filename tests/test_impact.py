"""reform impact: its counts equal counting ``RuleBase.evaluate`` answers one citizen at a time; the report."""
from __future__ import annotations

import base64
import random
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from reform_rules.basics.errors import CitizenError
from reform_rules.caseload.impact import NONE, compute_impact
from reform_rules.answer.explain import names_by_id
from reform_rules.caseload.impact_report import nice_ticks
from reform_rules.caseload.layout import parse_row

from conftest import run_cli
from test_batch import random_row, write_rows

MONTHS = [date(2026, 1, 1), date(2026, 7, 1), date(2027, 1, 1), date(2027, 2, 1), date(2028, 6, 1)]
AT = date(2027, 1, 1)


def _group(answer) -> str:
    return (answer.target_group or {}).get("id", NONE)


@pytest.mark.slow  # an equality proof on hundreds of random citizens (make test runs it)
def test_impact_counts_equal_the_engine_one_by_one(base, tmp_path):
    rng = random.Random(18_2)
    rows = [random_row(rng, i) for i in range(250)]
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
    assert citizens > 180 and (got.citizens, got.errors) == (citizens, errors)
    assert {m: +got.monthly[m] for m in MONTHS} == {m: +monthly[m] for m in MONTHS}
    assert +got.moves == +moves and sum(moves.values()) == citizens
    assert grandfathered and {k: +v for k, v in got.grandfathered.items()} == grandfathered


def _report(base, tmp_path, lang: str = "en") -> tuple[str, Path]:
    rng = random.Random(7)
    rows = [random_row(rng, i) for i in range(120)]
    rows[3]["born"] = "not-a-date"          # two rows in error, one with a hostile id
    rows[5]["benefit"], rows[5]["id"] = "no-such-benefit", "<script>x</script>"
    path = tmp_path / "caseload.csv"
    write_rows(path, rows)
    html = tmp_path / "impact.html"
    r = run_cli("impact", str(path), "--html", str(html), "--lang", lang)
    assert r.returncode == 0, r.stderr
    return html.read_text(encoding="utf-8"), html


def test_impact_report_names_groups_in_words_and_scales(base, tmp_path):
    page, _ = _report(base, tmp_path)
    legend = re.findall(r'<text class="legend"[^>]*>([^<]*)</text>', page)
    names = names_by_id(base.ruleset, "en")
    groups = [g for g in names if any(n == names[g] for n in legend)]
    assert legend and groups and all(n in names.values() or n == "(none)" for n in legend)
    assert not any(g in legend for g in groups if g != names[g])       # titles, not ids
    assert 'width="100%"' in page and 'viewBox="0 0 ' in page
    ticks = [int(x.replace(",", "")) for x in re.findall(r'<text class="tick"[^>]*>([\d,]+)</text>', page)]
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert ticks[0] == 0 and len(steps) == 1 and re.fullmatch(r"[125]0*", str(steps.pop()))


def test_nice_ticks_are_one_two_or_five_times_a_power_of_ten():
    assert nice_ticks(1_100_000) == [0, 200_000, 400_000, 600_000, 800_000, 1_000_000, 1_200_000]
    assert nice_ticks(7) == [0, 2, 4, 6, 8] and nice_ticks(0) == [0, 1]


def test_impact_report_tables_scroll_errors_listed_and_downloads(base, tmp_path):
    page, html = _report(base, tmp_path, "da")
    assert '<div class="scroll" id="monthly">' in page and "position:sticky" in page
    assert 'name="viewport"' in page
    errors = re.search(r'<div class="scroll" id="errors">(.*?)</div>', page, re.S)[1]
    assert "<td class=n>4</td>" in errors and "<td class=n>6</td>" in errors and "<script>" not in page
    assert "Rækker med fejl" in page and f'href="{html.name}.errors.csv"' in page
    assert (tmp_path / f"{html.name}.errors.csv").read_text(encoding="utf-8").count("\n") == 3
    for name in ("monthly", "moves", "grandfathered", "obligations"):
        csv_link = re.search(rf'download="{name}.csv" href="data:text/csv;charset=utf-8;base64,([^"]+)"', page)
        assert csv_link and f'download="{name}.xlsx"' in page
    monthly = base64.b64decode(re.search(r'download="monthly.csv" href="data:[^,]+,([^"]+)"', page)[1]).decode("utf-8-sig")
    assert monthly.splitlines()[0].startswith("målgruppe,2026-01")
