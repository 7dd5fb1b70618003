"""The law's vocabulary declared once: a fictional fact added to a copy of the rules — a yes/no fact on the
citizen and a date on programme spells — goes through a citizen file, ``reform query``, a batch CSV column,
the JSON API and its OpenAPI schema, and the docs catalogue, with no change to ``reform_rules/``."""
from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from reform_rules import RuleBase

FACT = '''  - id: test_flag
    type: bool
    label: {da: "Testflag", en: "Test flag"}
    help: {da: "Et opdigtet faktum til testen.", en: "A fictional fact for the test."}
'''
SPELL_FACT = '''      - id: test_date
        type: date
        label: {da: "Testdato", en: "Test date"}
'''
MEASURE = '''      - {id: programme_tested, of: test_date, kind: date, label: {da: "Forløbet testet", en: "Programme tested"}}
'''
RULE = '''subject: fictional
title: {da: "Opdigtet", en: "Fictional"}
order: 999
rules:
  - id: opdigtet-samtale
    title: {da: "Opdigtet: 9 samtaler", en: "Fictional: 9 meetings"}
    valid: {from: 2026-01-01}
    status: provisional
    reason: {da: "Kun til testen.", en: "For the test only."}
    source:
      - {ref: LAB, at: "opdigtet"}
    when:
      test_flag: true
      programme: ressourceforloeb
      programme_tested: {before: 2026-06-01}
    then: {obligation: {kind: meeting, count: 9, within_months: 6, by_whom: kommune}}
'''
CITIZEN = {"id": "fiktiv", "born": "1980-01-01", "test_flag": True,
           "spells": [{"benefit": "ressourceforloebsydelse", "from": "2025-11-01"},
                      {"programme": "ressourceforloeb", "from": "2025-11-01", "test_date": "2026-03-01"}]}


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> Path:
    """A copy of the rules with the fictional fact declared and one rule using it (nothing else changed)."""
    rules = tmp_path_factory.mktemp("fictional") / "rules"
    shutil.copytree(ROOT / "rules", rules)
    vocab = (rules / "vocabulary.yaml").read_text("utf-8")
    vocab = vocab.replace("\nfacts:\n", "\nfacts:\n" + FACT, 1)
    head, sep, tail = vocab.partition("  - kind: programme\n")
    tail = tail.replace("    facts:\n", "    facts:\n" + SPELL_FACT, 1)
    tail = tail.replace("    measures:\n", "    measures:\n" + MEASURE, 1)
    (rules / "vocabulary.yaml").write_text(head + sep + tail, "utf-8")
    (rules / "fictional.yaml").write_text(RULE, "utf-8")
    (rules / ".certificate.json").unlink(missing_ok=True)
    return rules


def test_the_engine_does_not_know_the_fact_by_name():
    hits = [p for p in (ROOT / "reform_rules").rglob("*") if p.suffix in (".py", ".js", ".html")
            and re.search(r"test_flag|test_date|programme_tested", p.read_text("utf-8"))]
    assert hits == []


def test_a_citizen_file_and_reform_query(rules, tmp_path):
    citizen = tmp_path / "fiktiv.json"
    citizen.write_text(json.dumps(CITIZEN))
    r = run_cli("query", str(citizen), "--date", "2026-03-10", "--json", "--rules", str(rules))
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert any(o["requirement"] == "opdigtet-samtale" and o["count"] == 9 for o in answer["obligations"])
    # the same citizen without the flag, or tested later, gets no such requirement
    later = dict(CITIZEN, spells=[CITIZEN["spells"][0], dict(CITIZEN["spells"][1], test_date="2026-07-01")])
    citizen.write_text(json.dumps(later))
    r = run_cli("query", str(citizen), "--date", "2026-03-10", "--json", "--rules", str(rules))
    assert all(o["requirement"] != "opdigtet-samtale" for o in json.loads(r.stdout)["obligations"])
    # a bad value is refused, naming the field
    citizen.write_text(json.dumps(dict(CITIZEN, test_flag="maybe")))
    r = run_cli("query", str(citizen), "--date", "2026-03-10", "--rules", str(rules))
    assert r.returncode == 2 and "test_flag: 'maybe' is not true or false" in r.stderr


def test_a_rule_file_condition_is_checked_against_the_declaration(rules, tmp_path):
    broken = tmp_path / "rules"
    shutil.copytree(rules, broken)
    (broken / "fictional.yaml").write_text(RULE.replace("test_flag: true", "test_flga: true"), "utf-8")
    r = run_cli("check", "--quick", "--rules", str(broken))
    assert r.returncode == 1 and "when.test_flga: unknown condition 'test_flga' (did you mean 'test_flag'?" in r.stdout + r.stderr


def test_a_batch_csv_column(rules, tmp_path):
    inp, out = tmp_path / "in.csv", tmp_path / "out.csv"
    with open(inp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "born", "test_flag", "benefit", "from", "programme", "programme_from", "programme_test_date"])
        w.writerow(["a", "1980-01-01", "true", "ressourceforloebsydelse", "2025-11-01", "ressourceforloeb", "2025-11-01", "2026-03-01"])
        w.writerow(["b", "1980-01-01", "false", "ressourceforloebsydelse", "2025-11-01", "ressourceforloeb", "2025-11-01", "2026-03-01"])
        w.writerow(["c", "1980-01-01", "maybe", "ressourceforloebsydelse", "2025-11-01", "ressourceforloeb", "2025-11-01", "2026-03-01"])
    r = run_cli("batch", str(inp), "--date", "2026-03-10", "--out", str(out), "--rules", str(rules))
    assert r.returncode == 0, r.stderr
    rows = {row["citizen"]: row for row in csv.DictReader(open(out, encoding="utf-8"))}
    assert "opdigtet-samtale:meeting:9" in rows["a"]["obligations"]
    assert "opdigtet-samtale" not in rows["b"]["obligations"]
    errors = open(str(out) + ".errors.csv", encoding="utf-8").read()
    assert "test_flag: 'maybe' is not true or false" in errors and "c" not in rows


def test_the_json_api_and_its_openapi_schema(rules):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient
    from reform_rules.web.app import create_app
    client = TestClient(create_app(RuleBase.load(rules), rules_dir=rules))
    r = client.post("/api/query", json={"citizen": CITIZEN, "date": "2026-03-10"})
    assert r.status_code == 200, r.text
    assert any(o["requirement"] == "opdigtet-samtale" for o in r.json()["obligations"])
    bad = client.post("/api/query", json={"citizen": dict(CITIZEN, test_flag="maybe"), "date": "2026-03-10"})
    assert bad.status_code == 422 and any("test_flag" in m for m in bad.json()["messages"])
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["Citizen"]["properties"]["test_flag"]["type"] == ["boolean", "null"]  # null: not known
    assert "test_date" in schemas["Spell"]["properties"]


def test_the_docs_catalogue(rules, tmp_path):
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    import reformdocs
    site = reformdocs.Site(root=ROOT, base=RuleBase.load(rules))
    out = reformdocs.Output(tmp_path)
    reformdocs.vocabulary_page(site, out)
    page = (tmp_path / "vocabulary.rst").read_text("utf-8")
    assert "``test_flag``" in page and "Testflag" in page and "A fictional fact for the test." in page
    assert "``test_date``" in page and "``programme_tested``" in page
    text = reformdocs.condition_text(site, "test_flag", True)
    assert "test flag" in text.lower()
