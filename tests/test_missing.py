"""Ask for what is missing (issue 17 item 6): the facts left empty that a rule behind the answer tests as not
known, named with their declared label and help and what they decide (reform_rules.answer.missing, /api/explain's view)."""
from __future__ import annotations

from datetime import date

import pytest

from conftest import EXAMPLES, RULES
from reform_rules.law.loader import load_file
from reform_rules.answer.missing import missing_facts

SICK = {"id": "syg", "born": "1986-03-10", "municipality": "Odense",
        "spells": [{"benefit": "sygedagpenge", "sick_from": "employment", "from": "2026-03-02"}]}


def _missing(base, record: dict, day: str, lang: str = "da"):
    citizen = base.parse_citizen(record)
    answer = base.evaluate(citizen, day, lang=lang)
    return missing_facts(base.ruleset, citizen, date.fromisoformat(day), answer, lang), answer


def test_the_expected_absence_decides_the_contact_requirement(base):
    missing, answer = _missing(base, SICK, "2026-05-01")
    assert [m["fact"] for m in missing] == ["expected_absence_weeks"]
    item = missing[0]
    fact = next(f for f in base.ruleset.vocabulary.current.facts if f.id == "expected_absence_weeks")
    assert item["label"] == fact.label["da"] and item["help"] == fact.help["da"]
    assert item["text"] == "Forventet fravær (uger) afgør kontaktkrav"
    assert item["fields"] == ["obligations"] and item["rules"] == ["kontakt-syg-kategori-2"]
    assert item["on"] == "benefit" and item["spell"] == 0 and item["open"] is False
    assert "kontakt-syg-kategori-2" in {r.rule for r in answer.explanation}
    # given, it is no longer asked for, and the rule that assumed the worst no longer applies
    given = {**SICK, "spells": [{**SICK["spells"][0], "expected_absence_weeks": 6}]}
    missing, answer = _missing(base, given, "2026-05-01")
    assert missing == [] and "kontakt-syg-kategori-2" not in {r.rule for r in answer.explanation}


def test_a_fact_with_an_open_question(base):
    record = load_file(EXAMPLES / "dagpenge-koebenhavn-2027.yaml").data
    missing, answer = _missing(base, record, "2027-03-01", "en")
    assert [m["fact"] for m in missing] == ["trial_selected"]
    assert missing[0]["open"] is True and missing[0]["text"] == "Selected for the municipality's trial decides the trial"
    assert missing[0]["rules"][0] in {q["rule"] for q in answer.open_questions}


def test_an_age_asks_for_the_date_of_birth(base):
    missing, _ = _missing(base, {"id": "u", "spells": [{"benefit": "dagpenge", "from": "2026-02-01"}]}, "2026-03-01")
    born = next(m for m in missing if m["fact"] == "born")
    assert born["type"] == "date" and born["on"] == "citizen" and born["open"] is True


def test_a_spell_kind_tested_as_absent_is_not_asked_for(base):
    """``programme: {known: false}`` says there is no programme beside the benefit: not a fact left empty."""
    for name, day in (("thomas", "2027-03-01"), ("anna", "2026-03-01"), ("lone", "2026-08-10")):
        citizen = base.load_citizen(EXAMPLES / f"{name}.yaml")
        answer = base.evaluate(citizen, day)
        missing = missing_facts(base.ruleset, citizen, date.fromisoformat(day), answer)
        kinds = {k.kind for k in base.ruleset.vocabulary.spell_kinds}
        assert not {m["fact"] for m in missing} & kinds


def test_the_api_view_carries_what_is_missing(base):
    pytest.importorskip("fastapi")
    import warnings
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    from reform_rules.web import create_app
    with TestClient(create_app(base, rules_dir=RULES, examples_dir=EXAMPLES, completeness=False)) as client:
        view = client.post("/api/explain", json={"citizen": SICK, "date": "2026-05-01"}).json()["view"]
        assert [m["fact"] for m in view["missing"]] == ["expected_absence_weeks"]
        assert view["missing"][0]["decides"] == ["Kontaktkrav"]
        full = client.post("/api/explain", json={"citizen": load_file(EXAMPLES / "lone.yaml").data,
                                                 "date": "2026-08-10"}).json()["view"]
        assert full["missing"] == []
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
        assert schemas["ExplainedAnswer"]["properties"]["view"]["properties"]["missing"]["items"] == \
            {"$ref": "#/components/schemas/MissingFact"}


def test_cli_what_if_names_what_is_missing():
    from conftest import run_cli
    out = run_cli("query", str(EXAMPLES / "dagpenge-koebenhavn-2027.yaml"), "--date", "2027-03-01", "--what-if")
    assert out.returncode == 0, out.stderr
    assert "Oplysninger, der mangler:\n  - Udvalgt til kommunens forsøg afgør forsøg" in out.stdout
