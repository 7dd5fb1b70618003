import re
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from reform_rules import RuleBase
from reform_rules.logic.compiler import canonical, situation_facts

ROOT = Path(__file__).resolve().parent.parent


@given(st.lists(st.integers(-50, 50), max_size=8), st.integers(-100, 100))
def test_canonical_value_answers_every_threshold_alike(ks, v):
    ks = sorted(set(ks))
    rep = canonical(v, ks)
    assert all((rep >= k) == (v >= k) for k in ks)


def test_no_legal_fact_in_engine_python():
    pattern = re.compile(r"20[2-3][0-9]-[01][0-9]-[0-3][0-9]|aktivitetspar|sygedagpeng|ressourcefor|jobafklaring|dagpenge")
    hits = [f"{p.name}:{i}" for p in (ROOT / "reform_rules").rglob("*.py")
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == []


def test_no_citizen_fact_or_answer_value_named_in_the_engine():
    """Facts and answer values are declared in rules/ (vocabulary.yaml, the-answer.yaml), never named in Python."""
    pattern = re.compile(r"work_duty|exempted|sick_from|expected_absence_weeks|uncomplicated|vocational_education|"
                         r"jobpraemie|kontanthjaelp|no-as-a-rule")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in (ROOT / "reform_rules").rglob("*") if p.suffix == ".py"
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == []


def test_only_the_condition_parser_reads_a_rules_raw_when():
    """The typed condition tree (reform_rules/law/conditions.py) is the only reader of a rule's raw ``when``."""
    readers = [f"{p.relative_to(ROOT)}:{i}" for base in (ROOT / "reform_rules", ROOT / "docs" / "_ext") for p in base.rglob("*.py")
               for i, line in enumerate(p.read_text().splitlines(), 1)
               if re.search(r"""\.when\b|\[["']when["']\]|get\(["']when["']\)""", line)]
    assert readers == ["reform_rules/law/ruleset.py:" + readers[0].split(":")[1]] if readers else True, readers


def test_program_carries_rule_ids_in_heads(base):
    heads = re.findall(r"^applies_(\w+)\(C, '([^']+)'\)", base.program.text, re.M)
    assert {rid for _, rid in heads} == {r.id for r in base.ruleset.rules}


def _moved_rules(tmp_path: Path) -> Path:
    """A copy of rules/ in which phase 2 starts on 1 July 2027 instead of 1 January 2027."""
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    for f in copy.glob("*.yaml"):
        text = f.read_text()
        f.write_text(text.replace("2027-01-01", "2027-07-01").replace("2026-12-31", "2027-06-30"))
    return copy


def test_two_rule_sets_in_one_process(base, tmp_path):
    other = RuleBase.load(_moved_rules(tmp_path))
    anna = base.load_citizen(ROOT / "scenarios/examples/dagpenge-aarhus-2027.yaml")
    day = date(2027, 3, 1)
    for _ in range(3):  # interleaved, caches cleared: each base answers from its own Datalog program
        base._cache.clear(); other._cache.clear()
        assert base.evaluate(anna, day).phase == "phase-2"
        assert other.evaluate(anna, day).phase == "phase-1b"
        assert base.evaluate(anna, day).target_group == {"id": "dagpengemodtagere", "structure": "new-5"}
        assert other.evaluate(anna, day).target_group == {"id": "lab6-01-dagpenge", "structure": "old-13"}


@pytest.mark.slow
def test_threads_answer_like_one_thread(base):
    citizens = [base.load_citizen(p) for p in sorted((ROOT / "scenarios/examples").glob("*.yaml"))]
    days = [date(2025, 6, 1), date(2026, 2, 1), date(2026, 7, 1), date(2027, 1, 1), date(2027, 9, 1)]
    expected = {(c.id, d): base.evaluate(c, d).to_json() for c in citizens for d in days}
    results, errors = {}, []

    def work(offset: int) -> None:
        try:
            for i, c in enumerate(citizens):
                for d in days[offset % len(days):] + days[: offset % len(days)]:
                    facts = situation_facts(base.situation(c, d), base.program)
                    base.kb.derive(facts)  # bypass the cache: real concurrent Datalog work
                    results[(c.id, d, offset)] = base.evaluate(c, d).to_json()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (cid, d, _), answer in results.items():
        assert answer == expected[(cid, d)]


def test_derive_many_equals_derive(base):
    citizens = [base.load_citizen(p) for p in sorted((ROOT / "scenarios/examples").glob("*.yaml"))]
    facts = [situation_facts(base.situation(c, d), base.program)
             for c in citizens for d in (date(2026, 1, 31), date(2026, 7, 1), date(2027, 1, 2))]
    assert base.kb.derive_many(facts) == [base.kb.derive(f) for f in facts]
