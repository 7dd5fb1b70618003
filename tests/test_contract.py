"""Every answer follows the JSON contract: every persona, on every date where the rules change."""
import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "answer.schema.json").read_text())
PERSONAS = sorted((ROOT / "scenarios" / "examples").glob("*.yaml"))
EDGES = [date(2026, 2, 1), date(2026, 7, 1), date(2027, 1, 1)]
DATES = [d + timedelta(days=k) for d in EDGES for k in (-1, 0, 1)] + [date(2025, 3, 1), date(2028, 6, 1), date(2030, 12, 31)]


@pytest.mark.parametrize("path", PERSONAS, ids=lambda p: p.stem)
def test_every_answer_follows_the_contract(base, path):
    citizen = base.load_citizen(path)
    for day in DATES:
        answer = base.evaluate(citizen, day).to_json()
        jsonschema.validate(answer, SCHEMA)
        assert answer["date"] == day.isoformat() and answer["citizen"] == citizen.id
        # every id in the answer is one the rules define
        ids = {r.id for r in base.ruleset.rules}
        assert {e["rule"] for e in answer["explanation"]} <= ids
        assert all(q["rule"] in ids or q["rule"] == "target-group" for q in answer["open_questions"])
        json.dumps(answer)


def test_a_group_or_an_open_question_always(base):
    for path in PERSONAS:
        citizen = base.load_citizen(path)
        for day in DATES:
            a = base.evaluate(citizen, day)
            assert a.target_group is not None or a.open_questions, (path.stem, day)


def test_the_contract_schema_is_generated_from_the_declaration(base):
    """tests/answer.schema.json is what `reform schema` generates from rules/the-answer.yaml and the rules."""
    from reform_rules.law.answer_schema import answer_schema
    assert answer_schema(base.ruleset) == SCHEMA, \
        "tests/answer.schema.json is stale: run `reform schema > tests/answer.schema.json` and commit it"
