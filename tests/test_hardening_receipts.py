"""Hardening of ``reform verify``: every receipt field is validated before anything uses it, a
revision never reaches git as an option, and a CPR-like number in a receipt is refused unseen."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from reform_rules.answer.receipt import HistoryError, RulesLocation

CITIZEN = "id: p1\nborn: 1980-01-01\nspells:\n  - {benefit: dagpenge, from: 2027-02-01}\n"


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict:
    """A saved answer of ``reform query --json`` on the real rules."""
    d = tmp_path_factory.mktemp("saved")
    (d / "dp.yaml").write_text(CITIZEN)
    r = run_cli("query", str(d / "dp.yaml"), "--date", "2027-03-01", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _verify(tmp_path: Path, answer: dict):
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    return run_cli("verify", str(path))


def _with(saved: dict, **fields) -> dict:
    answer = json.loads(json.dumps(saved))
    answer["receipt"].update(fields)
    return answer


def test_a_revision_that_is_a_git_option_does_not_truncate_a_file(saved, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    r = _verify(tmp_path, _with(saved, rules_revision=f"--output={victim}", rules_hash="3" * 64))
    assert victim.read_text() == "precious\n"
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "receipt.rules_revision: must be a git commit hash" in r.stderr


def test_checkout_refuses_a_revision_that_is_not_a_hex_object_name(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    loc = RulesLocation.of(ROOT / "rules")
    assert loc is not None
    with pytest.raises(HistoryError):
        loc.checkout(f"--output={victim}", tmp_path / "out")
    assert victim.read_text() == "precious\n"
    with pytest.raises(HistoryError, match="no such commit"):
        loc.checkout("3" * 40, tmp_path / "out")


@pytest.mark.parametrize("lang", ["xx", ["da"], None])
def test_a_bad_receipt_lang_is_a_one_line_error(saved, tmp_path, lang):
    r = _verify(tmp_path, _with(saved, lang=lang))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().endswith("receipt.lang: must be one of: da, en")


@pytest.mark.parametrize("field, value, message", [
    ("rules_hash", "abc", "receipt.rules_hash: must be 64 lowercase hex digits"),
    ("rules_dirty", "no", "receipt.rules_dirty: must be true or false"),
    ("query_date", "3000-01-01", "receipt.query_date: must be a date (YYYY-MM-DD) in the years 1900–2200"),
    ("made_at", ["now"], "receipt.made_at: must be a date and time"),
    ("engine", "--upload-pack=x", "receipt.engine: must be an engine version"),
    ("input", "p1", "receipt.input: must be the citizen record"),
    ("extra", 1, "receipt.extra: unknown field"),
])
def test_every_receipt_field_is_validated(saved, tmp_path, field, value, message):
    r = _verify(tmp_path, _with(saved, **{field: value}))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert message in r.stderr


def test_a_missing_receipt_field_is_named(saved):
    from reform_rules.answer.receipt import receipt_errors
    receipt = dict(saved["receipt"])
    del receipt["made_at"]
    assert receipt_errors(receipt, "a.json") == ["a.json: receipt.made_at: missing"]
    assert receipt_errors(saved["receipt"], "a.json") == []


def test_a_cpr_number_in_a_receipt_is_refused_without_echoing_it(saved, tmp_path):
    r = _verify(tmp_path, _with(saved, note="borger CPR 010180-1234"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "receipt.note: looks like a CPR number" in r.stderr
    out = r.stdout + r.stderr
    assert "010180-1234" not in out and "010180" not in out.replace(str(tmp_path), "")


def test_a_cpr_number_in_the_receipt_input_is_named_by_its_path(saved):
    from reform_rules.answer.receipt import receipt_errors
    receipt = json.loads(json.dumps(saved["receipt"]))
    receipt["input"]["spells"][0]["benefit"] = "0101801234"
    errors = receipt_errors(receipt, "a.json")
    assert errors == ["a.json: receipt.input.spells[0].benefit: looks like a CPR number; a saved answer must "
                      "not carry one (the value is not shown)"]
