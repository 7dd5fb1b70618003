"""What would change the answer (issue 17 item 5): reform_rules.answer.counterfactual, `reform query --what-if` and
POST /api/what-if."""
from __future__ import annotations

import json
from datetime import date

import pytest

from conftest import EXAMPLES, RULES, run_cli
from reform_rules.logic.compiler import canonical
from reform_rules.answer.counterfactual import _bands, lines, what_would_change


def _changes(base, name: str, day: date, lang: str = "da"):
    return what_would_change(base, base.load_citizen(EXAMPLES / f"{name}.yaml"), day, lang)


def _by(changes, fact: str):
    return [c for c in changes if c.fact == fact]


def test_bands_from_the_thresholds():
    assert _bands([9, 14, 22, 26], 0, None) == [(0, 8), (9, 13), (14, 21), (22, 25), (26, None)]
    assert _bands([18, 25, 30], 0, None)[-1] == (30, None)
    assert _bands([], 0, None) == [(0, None)]


def test_lone_names_the_fact_value_the_date_and_the_rules(base):
    changes = _changes(base, "lone", date(2026, 8, 10))
    assert changes, "Lone's answer has nearby moves that change it"
    for c in changes:   # every move names a rule and a date or a fact value, and changes a declared field
        assert c.starts or c.stops, c.text
        assert c.changes and all(x["before"] != x["after"] for x in c.changes), c.text
        assert c.kind == "date" and c.values == [c.date] or c.kind == "fact" and c.values, c.text
    # the expected absence: from 26 weeks the waiver for short sick leave from a job no longer applies
    weeks = _by(changes, "expected_absence_weeks")
    assert len(weeks) == 1 and weeks[0].values == [26] and weeks[0].value_text == "26 eller mere"
    assert weeks[0].text == "Hvis »Forventet fravær (uger)« var 26 eller mere"
    assert [r["rule"] for r in weeks[0].stops] == ["kontakt-sygemeldte-fra-job-undtagelse"]
    assert weeks[0].on == "benefit" and weeks[0].spell == 1   # her second spell, as the file lists it
    assert [x["field"] for x in weeks[0].changes] == ["obligations"]
    # the date: from 1 January 2027 (phase 2) the target group and sanctions change
    forward = [c for c in changes if c.kind == "date" and c.date > "2026-08-10"]
    assert forward[0].date == "2027-01-01" and forward[0].text == "Fra 2027-01-01"
    assert "phase-2" in {r["rule"] for r in forward[0].starts}
    assert {"target_group", "sanctionable"} <= {x["field"] for x in forward[0].changes}
    # the moves are real: the moved citizen's answer is another
    record = base.load_citizen(EXAMPLES / "lone.yaml").to_dict()
    record["spells"][1]["expected_absence_weeks"] = 26
    moved = base.evaluate(base.parse_citizen(record), "2026-08-10")
    assert "kontakt-sygemeldte-fra-job-undtagelse" not in {r.rule for r in moved.explanation}


def test_thomas_the_forloeb_started_on_or_after_1_february_2026(base):
    changes = _changes(base, "thomas", date(2026, 3, 1), "en")
    started = _by(changes, "programme_started")
    assert len(started) == 1
    move = started[0]
    assert move.values == ["2026-02-01"] and move.value_text == "on or after 2026-02-01"
    assert move.text == "If “Programme began” were on or after 2026-02-01"
    assert "ressourceforloeb-efter-afskaffelse" in {r["rule"] for r in move.starts}
    assert "lab6-08-ressourceforloeb-loebende" in {r["rule"] for r in move.stops}
    assert "target_group" in {x["field"] for x in move.changes}
    assert move.on == "programme"
    dated = [c for c in changes if c.kind == "date"]
    assert [c.date for c in dated] == ["2026-02-28", "2026-07-01"]   # the nearest before and after
    assert dated[0].text == "Until 2026-02-28" and dated[1].text == "From 2026-07-01"


def test_one_fact_at_a_time(base):
    """Moving a spell's first day would move its months-into-the-spell too: such moves are not reported,
    and a grant date that defaults to the first day keeps its own value."""
    v = base.ruleset.vocabulary
    for name, day in (("lone", date(2026, 8, 10)), ("dagpenge-koebenhavn-2027", date(2027, 3, 1)),
                      ("thomas", date(2026, 3, 1))):
        citizen = base.load_citizen(EXAMPLES / f"{name}.yaml")
        for change in what_would_change(base, citizen, day):
            if change.kind != "fact" or change.on == "citizen":
                continue
            kind = v.spell_kind(change.on)
            measure = next((m for m in kind.measures if m.id == change.fact), None)
            if measure is None or measure.of != "from":
                continue
            spell = next(s for s in citizen.spells if s.index == change.spell)
            moved = date.fromisoformat(change.values[0])
            for other in kind.measures:
                if other.of == "from" and other.kind != "date":
                    from reform_rules.law.citizen import measure_value
                    cuts = base.program.thresholds.get(other.id, [])
                    assert canonical(measure_value(other.kind, spell.start, day), cuts) == \
                        canonical(measure_value(other.kind, moved, day), cuts), (name, change.text)


def test_a_choice_groups_the_values_that_lead_to_the_same_answer(base):
    changes = _changes(base, "thomas", date(2027, 3, 1))
    assessment = _by(changes, "assessment")
    assert len(assessment) == 1 and assessment[0].values == ["jobparat", "uddannelsesparat"]
    assert assessment[0].value_text == "en af: Jobparat, Uddannelsesparat"
    assert "jobparate" in {r["rule"] for r in assessment[0].starts}


def test_the_text_in_both_languages(base):
    citizen = base.load_citizen(EXAMPLES / "lone.yaml")
    da = "\n".join(lines(what_would_change(base, citizen, date(2026, 8, 10), "da"), "da"))
    en = "\n".join(lines(what_would_change(base, citizen, date(2026, 8, 10), "en"), "en"))
    assert da.startswith("Hvad kunne ændre svaret?") and "Regler, der ikke længere gælder" in da
    assert en.startswith("What could change the answer?") and "Rules that no longer apply" in en
    assert "Expected absence (weeks)" in en and "Forventet fravær (uger)" in da


def test_cli_what_if():
    out = run_cli("query", str(EXAMPLES / "lone.yaml"), "--date", "2026-08-10", "--what-if")
    assert out.returncode == 0, out.stderr
    assert "Hvad kunne ændre svaret?" in out.stdout and "Hvis »Forventet fravær (uger)« var 26 eller mere" in out.stdout
    assert "kontakt-sygemeldte-fra-job-undtagelse" in out.stdout.split("Hvad kunne ændre svaret?")[1]
    out = run_cli("query", str(EXAMPLES / "thomas.yaml"), "--date", "2026-03-01", "--what-if", "--json", "--lang", "en")
    data = json.loads(out.stdout)
    assert any(c["fact"] == "programme_started" and c["values"] == ["2026-02-01"] for c in data["what_would_change"])
    assert data["target_group"]   # the answer contract is all there beside it


# -- the API --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(base):
    pytest.importorskip("fastapi")
    import warnings
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    from reform_rules.web import create_app
    with TestClient(create_app(base, rules_dir=RULES, examples_dir=EXAMPLES, completeness=False),
                    raise_server_exceptions=False) as c:
        yield c


def test_api_what_if(client, base):
    from reform_rules.law.loader import load_file
    citizen = load_file(EXAMPLES / "lone.yaml").data
    r = client.post("/api/what-if", json={"citizen": citizen, "date": "2026-08-10", "lang": "da"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["citizen"] == "lone" and body["date"] == "2026-08-10"
    expected = what_would_change(base, base.load_citizen(EXAMPLES / "lone.yaml"), date(2026, 8, 10), "da")
    assert body["what_would_change"] == [c.to_json() for c in expected]
    bad = client.post("/api/what-if", json={"citizen": citizen, "date": "2026-02-30"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_input"
    assert bad.json()["messages"] == ["date: '2026-02-30' is not a date (no such day)"]
    assert [p["field"] for p in bad.json()["problems"]] == ["date"]


def test_what_if_is_in_the_openapi_document(client):
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/api/what-if"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/WhatIfRequest"}
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/WhatIf"}
    schemas = doc["components"]["schemas"]
    assert schemas["WhatIf"]["properties"]["what_would_change"]["items"] == {"$ref": "#/components/schemas/Change"}
    assert {"fact", "values", "text", "changes", "starts", "stops"} <= set(schemas["Change"]["properties"])


def test_no_contract_shaped_input_gives_a_500(client):
    """The property of tests/test_web.py, for /api/what-if: contract-shaped citizens (now and then a wrong
    value) are answered 200 or 422, never 500."""
    from hypothesis import HealthCheck, given, settings
    from test_web import _good_body

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])
    @given(body=_good_body)
    def check(body):
        r = client.post("/api/what-if", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
        assert r.status_code in (200, 422), (r.status_code, r.text, body)
        if r.status_code == 200:
            for change in r.json()["what_would_change"]:
                assert change["changes"] and change["text"]
    check()
