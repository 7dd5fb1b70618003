"""Timelines: periods between change points equal day-by-day evaluation."""
from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from reform_rules import parse_citizen
from reform_rules.answer.timeline import _key, timeline

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = sorted((ROOT / "scenarios" / "examples").glob("*.yaml"))
LO, HI = date(2025, 1, 1), date(2030, 12, 31)
BENEFITS = ["dagpenge", "kontanthjaelp", "sygedagpenge", "ressourceforloebsydelse", "ledighedsydelse",
            "revalideringsydelse", "foertidspension", "none"]
PROGRAMMES = {"ressourceforloebsydelse": ["ressourceforloeb", "jobafklaringsforloeb"],
              "revalideringsydelse": ["revalidering"], "none": ["fleksjob", "jobrotation"]}


@st.composite
def citizens(draw):
    """Random but valid citizens: consecutive benefit spells, a programme beside its benefit."""
    day = LO + timedelta(days=draw(st.integers(-400, 900)))
    spells = []
    for _ in range(draw(st.integers(1, 3))):
        benefit = draw(st.sampled_from(BENEFITS))
        length = draw(st.integers(20, 900))
        end = day + timedelta(days=length)
        spell = {"benefit": benefit, "from": day.isoformat(), "to": end.isoformat()}
        if benefit == "kontanthjaelp":
            a = draw(st.sampled_from(["jobparat", "uddannelsesparat", "aktivitetsparat", None]))
            if a:
                spell["assessment"] = a
        if benefit == "sygedagpenge":
            spell["sick_from"] = draw(st.sampled_from(["employment", "unemployment"]))
            w = draw(st.sampled_from([None, 4, 8, 9, 20, 26, 40]))
            if w is not None:
                spell["expected_absence_weeks"] = w
            spell["uncomplicated"] = draw(st.booleans())
        spells.append(spell)
        if benefit in PROGRAMMES and draw(st.booleans()):
            spells.append({"programme": draw(st.sampled_from(PROGRAMMES[benefit])), "from": day.isoformat(),
                           "to": end.isoformat()})
        day = end + timedelta(days=draw(st.integers(1, 60)))
    born = date(draw(st.integers(1950, 2010)), draw(st.integers(1, 12)), draw(st.integers(1, 28)))
    data = {"id": "h", "born": born.isoformat(), "spells": spells,
            "municipality": draw(st.sampled_from(["København", "Aarhus", "Ærø", None])),
            "vocational_education": draw(st.booleans()), "exempted": draw(st.booleans()),
            "work_duty": draw(st.booleans())}
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=citizens(), seed=st.integers(0, 2**32 - 1))
def test_any_day_inside_a_period_answers_like_the_period(base, data, seed):
    citizen = parse_citizen(data, base.ruleset.vocabulary)
    tl = timeline(base, citizen, LO, HI)
    rng = random.Random(seed)
    assert tl.periods[0].start == LO and tl.periods[-1].end == HI
    for before, after in zip(tl.periods, tl.periods[1:]):
        assert before.end + timedelta(days=1) == after.start
    for p in tl.periods:
        span = (p.end - p.start).days
        for day in {p.start, p.end, p.start + timedelta(days=rng.randint(0, span))}:
            assert _key(base.evaluate(citizen, day).to_json()) == _key(p.answer), (p.start, p.end, day)


def test_day_by_day_for_one_persona_over_a_year(base):
    citizen = base.load_citizen(ROOT / "scenarios/examples/lone.yaml")
    tl = timeline(base, citizen, date(2025, 9, 1), date(2026, 12, 31))
    for p in tl.periods:
        d = p.start
        while d <= p.end:
            assert _key(base.evaluate(citizen, d).to_json()) == _key(p.answer), d
            d += timedelta(days=1)


def test_timeline_breaks_where_law_and_life_say(base):
    data = {"id": "h01", "born": "1985-02-11", "spells": [
        {"benefit": "kontanthjaelp", "assessment": "aktivitetsparat", "from": "2024-01-01", "to": "2025-02-28"},
        {"benefit": "ressourceforloebsydelse", "from": "2025-03-01", "to": "2028-02-29"},
        {"programme": "ressourceforloeb", "from": "2025-03-01", "to": "2028-02-29"},
        {"benefit": "kontanthjaelp", "assessment": "aktivitetsparat", "from": "2028-03-01"}]}
    tl = timeline(base, parse_citizen(data, base.ruleset.vocabulary), date(2025, 6, 1), date(2028, 12, 31))
    starts = [p.start.isoformat() for p in tl.periods]
    for d in ("2026-02-01", "2027-01-01", "2028-03-01"):
        assert d in starts
    p2027 = next(p for p in tl.periods if p.start == date(2027, 1, 1))
    assert "phase" in p2027.changed and any(e.get("rule") == "phase-2" for e in p2027.causes)
    last = tl.periods[-2] if tl.periods[-1].start > date(2028, 3, 1) else tl.periods[-1]
    assert any(p.answer["target_group"] == {"id": "aktivitetsparate", "structure": "new-5"} for p in tl.periods[-2:])
    assert last.start >= date(2028, 3, 1)


@pytest.mark.parametrize("path", PERSONAS, ids=lambda p: p.stem)
def test_cli_timeline_per_persona_with_svg(cli, path, tmp_path):
    svg = tmp_path / "t.svg"
    r = cli("timeline", str(path), "--json", "--svg", str(svg))
    assert r.returncode == 0, r.stderr
    periods = json.loads(r.stdout)["periods"]
    assert periods and all(p["from"] <= p["to"] for p in periods)
    root = ET.fromstring(svg.read_text())
    lanes = [g.get("data-lane") for g in root.iter("{http://www.w3.org/2000/svg}g")]
    assert lanes == ["phase", "target_group", "programmes", "obligations", "sanctionable"]
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "Målgruppe" in texts and "Fase" in texts  # Danish labels by default


def test_cli_timeline_bad_dates(cli):
    r = cli("timeline", "scenarios/examples/lone.yaml", "--from", "2027-01-01", "--to", "2026-01-01")
    assert r.returncode == 2 and "--to" in r.stderr and "Traceback" not in r.stderr
