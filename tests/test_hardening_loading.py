"""Hardening of loading: nothing a parse read is retained, every number and date in a rule file is
bounded, the rules directory is listed strictly, and what loads but looks wrong is warned about."""
from __future__ import annotations

import gc
import sys
import tracemalloc

from engine.loader import load_file, parse_text


def test_a_parsed_value_is_held_by_nothing_but_its_reader():
    """The old module-level YAML constructor kept every node it built (and so every value) for ever."""
    text = "id: " + "p" * 5000 + "-unique\nborn: 1980-01-01\n"
    doc = parse_text(text, "citizen")
    value = doc.data["id"]
    del doc
    gc.collect()
    # one reference is ``value``, one is getrefcount's own argument: no cache holds the text
    assert sys.getrefcount(value) == 2


def test_many_parses_do_not_grow_memory(tmp_path):
    """200 parses of 20 kB each: what stays allocated afterwards is far less than one tenth of what was read."""
    path = tmp_path / "example.yaml"
    count, size = 200, 20_000
    parse_text("warm: up\n", "warm")  # imports and first-use caches are not what is measured
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            path.write_text(f"note: {i:04d}{'x' * size}\n", encoding="utf-8")
            assert len(load_file(path).data["note"]) == size + 4
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < count * size / 10, f"{grown:,} bytes still allocated after {count} parses"


# -- every number and date in a rule file is bounded ---------------------------------------------

import re  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from conftest import ROOT, run_cli  # noqa: E402


def _rules_with(tmp_path: Path, file: str, old: str, new: str, count: int = 1) -> Path:
    """A copy of rules/ with ``old`` replaced by ``new`` (the first ``count`` times, by regex) in ``file``."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    p = rules / file
    text, n = re.subn(old, new, p.read_text("utf-8"), count=count)
    assert n, f"{old!r} not in {file}"
    p.write_text(text, "utf-8")
    return rules


def _load_errors(rules: Path) -> list[str]:
    from engine import RuleBase, RuleFileError
    try:
        RuleBase.load(rules)
    except RuleFileError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize("file, old, new, message", [
    ("contact.yaml", r"within_months: \d+", "within_months: 999999999",
     "then.obligation.within_months: 999999999 is greater than the maximum of 120"),
    ("contact.yaml", r"first_within_weeks: \d+", "first_within_weeks: 1000000000000",
     "then.obligation.first_within_weeks: 1000000000000 is greater than the maximum of 520"),
    ("contact.yaml", r"count: \d+", "count: 100000", "then.obligation.count: 100000 is greater than the maximum of 100"),
    ("contact.yaml", r"within_months: (\d+)", r"within_months: \1.0",
     "then.obligation.within_months: 3.0 is a number; expected a whole number"),
    ("programmes.yaml", r"age: \{under: 30\}", "age: {under: 1000}", "when.age.under: 1000 is greater than the maximum of 150"),
    ("contact.yaml", r"months_into_spell: \{under: (\d+)\}", "months_into_spell: {under: 99999999}",
     "when.months_into_spell.under: 99999999 is greater than the maximum of 1200"),
    ("phases.yaml", r"valid: \{from: 2027-01-01\}", "valid: {from: 2027-01-01, to: 9999-12-31}",
     "valid.to: '9999-12-31' is outside the years 1900–2200; is it a typo?"),
    ("phases.yaml", r"valid: \{from: 2027-01-01\}", "valid: {from: 1066-10-14}",
     "valid.from: '1066-10-14' is outside the years 1900–2200"),
    ("vocabulary.yaml", r"to: 2030-12-31", "to: 3030-12-31", "horizon.to: '3030-12-31' is outside the years"),
    ("parameters.yaml", r"value: 440\}", "value: .inf}", "value: inf is greater than the maximum of 1000000000000"),
])
def test_numbers_and_dates_out_of_bounds_are_refused_at_load(tmp_path, file, old, new, message):
    errors = _load_errors(_rules_with(tmp_path, file, old, new))
    assert any(e.startswith(f"{tmp_path / 'rules' / file}:") and message in e for e in errors), errors


def test_a_huge_window_is_refused_by_check_not_a_traceback_in_query(tmp_path):
    rules = _rules_with(tmp_path, "contact.yaml", r"within_months: \d+", "within_months: 999999999", count=0)
    check = run_cli("check", "--quick", "--rules", str(rules))
    assert check.returncode == 1 and "Traceback" not in check.stderr
    assert re.search(r"contact\.yaml:\d+: rules\[\d+\]\.then\.obligation\.within_months: 999999999", check.stderr)
    (tmp_path / "dp.yaml").write_text("id: p1\nborn: 1980-01-01\nspells:\n  - {benefit: dagpenge, from: 2027-02-01}\n")
    query = run_cli("query", str(tmp_path / "dp.yaml"), "--date", "2027-03-01", "--rules", str(rules))
    assert query.returncode == 1 and "Traceback" not in query.stderr and "within_months" in query.stderr
