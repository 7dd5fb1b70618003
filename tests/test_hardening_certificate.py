"""The certificate of ``reform check`` (rules/.certificate.json): query and serve say when the rules
they use are not certified, and refuse rules the check found broken (``--unchecked`` overrides)."""
from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from conftest import RULES, run_cli

CITIZEN = "id: p1\nborn: 1980-01-01\nspells:\n  - {benefit: dagpenge, from: 2027-02-01}\n"

GROUPS = """subject: groups
order: 20
title: {da: "Grupper", en: "Groups"}
rules:
  - id: alle
    title: {da: "Alle", en: "Everyone"}
    valid: {}
    status: law
    source:
      - {ref: LAB, at: "§ 1"}
    then: {target_group: {id: alle, structure: new-5, name: {da: "Alle", en: "Everyone"}}}

  - id: praemie
    title: {da: "Præmie", en: "Premium"}
    valid: {}
    status: law
    source:
      - {ref: LAB, at: "§ 3"}
    when: {age: {under: 18}, months_into_spell: {under: 6}, expected_absence_weeks: {under: 8},
           spell_started: {before: 2027-01-01}}
    overrides: ingen-praemie
    then: {jobpraemie: true}

  - id: ingen-praemie
    title: {da: "Ingen præmie", en: "No premium"}
    valid: {}
    status: law
    source:
      - {ref: LAB, at: "§ 4"}
    then: {jobpraemie: false}
"""
# A second target group for dagpenge recipients from 2027: two groups hold at once (an overlap).
OVERLAP = """
  - id: dagpenge
    title: {da: "Dagpenge", en: "Dagpenge"}
    valid: {from: 2027-01-01}
    status: law
    source:
      - {ref: LAB, at: "§ 2"}
    when: {benefit: dagpenge}
    then: {target_group: {id: dagpenge, structure: new-5, name: {da: "Dagpenge", en: "Dagpenge"}}}
"""


def _small_rules(tmp_path: Path, overlap: bool = False) -> Path:
    """A small rule set (the real phases, vocabulary and sources; one target group) whose full check is quick."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("vocabulary.yaml", "municipalities.yaml", "the-answer.yaml", "sources.yaml", "phases.yaml"):
        shutil.copyfile(RULES / name, rules / name)
    (rules / "groups.yaml").write_text(GROUPS + (OVERLAP if overlap else ""), encoding="utf-8")
    return rules


def _query(tmp_path: Path, rules: Path, *extra: str):
    citizen = tmp_path / "dp.yaml"
    citizen.write_text(CITIZEN)
    return run_cli("query", str(citizen), "--date", "2027-03-01", "--json", "--lang", "en", "--rules", str(rules),
                   *extra)


def test_the_committed_certificate_is_for_the_current_rules():
    from reform_rules import RuleBase
    from reform_rules.logic.certificate import read_certificate
    current = RuleBase.load(RULES).rules_hash
    cert = read_certificate(RULES)
    assert cert is not None, "rules/.certificate.json is missing: run `reform check` and commit the file"
    assert cert.rules_hash == current, (
        f"rules/.certificate.json is stale: it certifies rules {cert.rules_hash[:12]}, the rules are now "
        f"{current[:12]}. Run `reform check` (the full check, not --quick) and commit rules/.certificate.json "
        "with your rule change.")
    assert cert.ok and cert.completeness, "the committed certificate says the rules are broken: run `reform check`"


def test_a_query_on_certified_rules_is_silent_and_its_receipt_says_checked(tmp_path):
    r = _query(tmp_path, RULES)
    assert r.returncode == 0 and r.stderr == ""
    assert json.loads(r.stdout)["receipt"]["checked"] is True


def test_check_records_broken_rules_and_query_refuses_them(tmp_path):
    rules = _small_rules(tmp_path, overlap=True)
    check = run_cli("check", "--rules", str(rules))
    assert check.returncode == 1 and "alle: overlaps dagpenge" in check.stderr
    cert = json.loads((rules / ".certificate.json").read_text())
    assert cert["ok"] is False and cert["completeness"] is True and cert["errors"] >= 1
    refused = _query(tmp_path, rules)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip() == (f"{rules / '.certificate.json'}: reform check found these rules "
                                      f"({cert['rules_hash'][:12]}) broken; mend them and run reform check, or "
                                      "pass --unchecked to use them anyway")
    anyway = _query(tmp_path, rules, "--unchecked")
    assert anyway.returncode == 0 and "using them anyway (--unchecked)" in anyway.stderr
    answer = json.loads(anyway.stdout)
    assert answer["target_group"] is None and answer["receipt"]["checked"] is False


def test_check_certifies_clean_rules_and_an_edit_makes_them_unchecked(tmp_path):
    rules = _small_rules(tmp_path)
    check = run_cli("check", "--lang", "en", "--rules", str(rules))
    assert check.returncode == 0, check.stderr
    assert "certificate: " in check.stdout and "as clean; commit it with the rules" in check.stdout
    written = (rules / ".certificate.json").read_bytes()
    assert json.loads(written)["ok"] is True
    assert run_cli("check", "--rules", str(rules)).returncode == 0
    assert (rules / ".certificate.json").read_bytes() == written  # a second check of the same rules: same bytes
    ok = _query(tmp_path, rules)
    assert ok.returncode == 0 and ok.stderr == "" and json.loads(ok.stdout)["receipt"]["checked"] is True
    groups = rules / "groups.yaml"
    groups.write_text(groups.read_text().replace('at: "§ 1"', 'at: "§ 1, stk. 2"'), encoding="utf-8")
    stale = _query(tmp_path, rules)
    assert stale.returncode == 0 and json.loads(stale.stdout)["receipt"]["checked"] is False
    [line] = stale.stderr.splitlines()
    assert line.startswith("warning: the rules in ") and "are not certified by reform check" in line
    assert "(.certificate.json is for other rules (edited since the last check)); run reform check" in line


def test_no_certificate_is_a_warning_never_a_refusal(tmp_path):
    rules = _small_rules(tmp_path)
    assert run_cli("check", "--quick", "--rules", str(rules)).returncode == 0
    assert not (rules / ".certificate.json").exists()  # a clean quick check certifies nothing
    r = _query(tmp_path, rules)
    assert r.returncode == 0 and json.loads(r.stdout)["phase"] == "phase-2"
    assert r.stderr.strip().endswith("are not certified by reform check (there is no .certificate.json); "
                                     "run reform check")


def test_serve_refuses_broken_rules_unless_unchecked(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import reform_rules.web
    from reform_rules.cli.main import main
    rules = _small_rules(tmp_path, overlap=True)
    assert run_cli("check", "--rules", str(rules)).returncode == 1
    served = []
    monkeypatch.setattr(reform_rules.web, "serve", lambda base, **kw: served.append(base))
    refused = CliRunner().invoke(main, ["serve", "--rules", str(rules)])
    assert refused.exit_code == 1 and served == []
    # serve has no --lang: its console line is Danish, the one fallback rule
    assert "reform check fandt fejl i disse regler" in refused.stderr and "--unchecked" in refused.stderr
    anyway = CliRunner().invoke(main, ["serve", "--rules", str(rules), "--unchecked"])
    assert anyway.exit_code == 0 and len(served) == 1


def test_health_says_whether_the_rules_are_checked(tmp_path):
    pytest.importorskip("fastapi")
    with warnings.catch_warnings():  # starlette suggests httpx2 over httpx for its TestClient (as in test_web)
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from reform_rules import RuleBase
    from reform_rules.web import create_app
    rules = _small_rules(tmp_path)
    with TestClient(create_app(RuleBase.load(rules), rules_dir=rules)) as client:
        assert client.get("/api/health").json()["checked"] is False
    with TestClient(create_app(RuleBase.load(RULES), rules_dir=RULES)) as client:
        assert client.get("/api/health").json()["checked"] is True


def test_receipt_checked_must_be_true_or_false():
    from reform_rules.answer.receipt import receipt_errors
    receipt = {"engine": "0.1.0", "rules_hash": "a" * 64, "rules_revision": None, "rules_dirty": False,
               "query_date": "2027-03-01", "lang": "da", "made_at": "2027-03-01T12:00:00+00:00",
               "input": {"id": "p1"}}
    assert receipt_errors({**receipt, "checked": True}, "a.json") == []
    assert receipt_errors({**receipt, "checked": "yes"}, "a.json") == ["a.json: receipt.checked: must be true or false"]


