"""The citizen form is derived from the rules' declaration of facts (issue 14): no fact of the law is named
in the web code, and a fact added to the rules appears in the form and the API with no change to reform_rules/."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import warnings  # noqa: E402

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402

from conftest import EXAMPLES, ROOT, RULES  # noqa: E402
from reform_rules.web import create_app  # noqa: E402

WEB = ROOT / "reform_rules" / "web"
# Names of the law's facts, values and answer values the web code must not know (issue 14's acceptance).
LAW_NAMES = re.compile(r"work_duty|exempted|sick_from|expected_absence_weeks|uncomplicated|vocational_education|"
                       r"jobpraemie|kontanthjaelp|no-as-a-rule")

TEST_FLAG = '''  - id: test_flag
    type: bool
    label: {da: "Testflag", en: "Test flag"}
    help: {da: "Et flag til en test.", en: "A flag for a test."}
'''
TEST_DATE = '''      - id: test_date
        type: date
        label: {da: "Testdato", en: "Test date"}
        help: {da: "En dato til en test.", en: "A date for a test."}
'''


def rules_with_new_facts(target: Path) -> Path:
    """A copy of the rules whose vocabulary declares a yes/no ``test_flag`` on the citizen and a
    ``test_date`` on programme spells (an edit of rules/vocabulary.yaml only)."""
    shutil.copytree(RULES, target)
    path = target / "vocabulary.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nfacts:\n" in text and "    facts:\n      - id: granted\n" in text
    text = text.replace("\nfacts:\n", "\nfacts:\n" + TEST_FLAG, 1)
    text = text.replace("    facts:\n      - id: granted\n", "    facts:\n" + TEST_DATE + "      - id: granted\n", 1)
    path.write_text(text, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def copied(tmp_path_factory):
    from reform_rules import RuleBase
    directory = rules_with_new_facts(tmp_path_factory.mktemp("rules") / "rules")
    return RuleBase.load(directory), directory


@pytest.fixture(scope="module")
def client(copied):
    base, directory = copied
    with TestClient(create_app(base, rules_dir=directory, examples_dir=EXAMPLES, completeness=False),
                    raise_server_exceptions=False) as c:
        yield c


def _config(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="config">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def test_the_web_code_names_no_fact_of_the_law():
    files = [*WEB.glob("static/*.js"), *WEB.glob("templates/*.html"), *WEB.glob("*.py")]
    found = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in files
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if LAW_NAMES.search(line)]
    assert not found, "\n".join(found)


def test_the_page_is_built_from_the_declaration(base):
    with TestClient(create_app(base, rules_dir=RULES, examples_dir=EXAMPLES, completeness=False)) as c:
        page = c.get("/").text
    vocab = _config(page)["vocabulary"]
    v = base.ruleset.vocabulary
    assert [f["id"] for f in vocab["facts"]] == [f.id for f in v.facts]
    assert [k["kind"] for k in vocab["spells"]] == [k.kind for k in v.spell_kinds]
    by_id = {f["id"]: f for f in vocab["facts"]}
    for fact in v.facts:
        shown = by_id[fact.id]
        assert shown["type"] == fact.type and shown["label"] == fact.label and shown["help"] == fact.help
        assert shown["default"] == fact.default and shown["optional"] == fact.optional
    # a large table with a forgiving match is a search list; the others are selects
    for f in vocab["facts"]:
        if f["type"] == "choice":
            table = v.table(f["values"])
            assert f["search"] == bool(table.suffixes or table.transliterate or len(table) > 30)
    for kind, shown in zip(v.spell_kinds, vocab["spells"]):
        assert [f["id"] for f in shown["facts"]] == [f.id for f in kind.facts]
        assert all(f["only_with"] == list(d.only_with) for f, d in zip(shown["facts"], kind.facts))
        assert [t["id"] for t in vocab["tables"][shown["values"]]] == list(v.table(kind.values))
    # the template names no fact: the inputs are added by the script
    for fact in v.facts:
        assert f'id="f-{fact.id}"' not in page


def test_a_new_fact_appears_in_the_form_and_the_api(client):
    vocab = _config(client.get("/?lang=en").text)["vocabulary"]
    flag = next(f for f in vocab["facts"] if f["id"] == "test_flag")
    assert flag["type"] == "bool" and flag["optional"] and flag["label"] == {"da": "Testflag", "en": "Test flag"}
    programme = next(k for k in vocab["spells"] if k["role"] == "beside")
    test_date = next(f for f in programme["facts"] if f["id"] == "test_date")
    assert test_date["type"] == "date" and test_date["help"]["en"] == "A date for a test."

    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["Citizen"]["properties"]["test_flag"]["type"] == ["boolean", "null"]  # null: not known
    assert "Test flag" in schemas["Citizen"]["properties"]["test_flag"]["description"]
    assert schemas["Spell"]["properties"]["test_date"]["format"] == "date"

    citizen = {"id": "x", "test_flag": True, "spells": [
        {"benefit": "ressourceforloebsydelse", "from": "2026-03-01"},
        {"programme": "ressourceforloeb", "from": "2026-03-01", "test_date": "2026-03-05"}]}
    r = client.post("/api/explain", json={"citizen": citizen, "date": "2026-04-01"})
    assert r.status_code == 200, r.text
    labels = {row["key"]: row["label"] for row in r.json()["view"]["decision"]["facts"]["rows"]}
    assert labels["test_flag"] == "Testflag"
    bad = client.post("/api/query", json={"citizen": {**citizen, "test_flag": "ja"}, "date": "2026-04-01"})
    assert bad.status_code == 422 and bad.json()["messages"] == ["citizen: test_flag: 'ja' is not true or false"]
    spells = [dict(citizen["spells"][0]), {**citizen["spells"][1], "test_date": "2026-02-30"}]
    bad = client.post("/api/query", json={"citizen": {**citizen, "spells": spells}, "date": "2026-04-01"})
    assert bad.json()["messages"] == ["citizen: spells[1].test_date: '2026-02-30' is not a date (no such day)"]
