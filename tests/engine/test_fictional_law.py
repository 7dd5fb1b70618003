"""The engine on a fictional law (the Lending Library Act, tests/fixtures/fictional): load, compile, query,
the completeness proof, the check, a batch and a timeline, apart from the real law in rules/."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from reform_rules import CitizenError, RuleBase, RuleFileError
from reform_rules.answer.check import run_check
from reform_rules.answer.timeline import timeline
from reform_rules.caseload.batch import run_batch
from reform_rules.logic.completeness import check_completeness

from fictional import ON_NEW, ON_OLD, borrower, record

FICTIONAL = Path(__file__).resolve().parent.parent / "fixtures" / "fictional"


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(FICTIONAL, copy)
    return copy


def _reform(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reform_rules", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)  # the timeout only guards against a hang


# -- load and compile ----------------------------------------------------------------------------
def test_the_fictional_law_loads_with_its_own_vocabulary_and_answer(library):
    rs = library.ruleset
    assert len(rs.rules) == 11 and sorted(rs.sources) == ["LLA", "LLA-bill"]
    assert [f.id for f in rs.answer.fields] == ["era", "loan_limit", "fine_waived", "reminders"]
    assert {r.id for r in rs.in_family("loan_limit")} == {"loans-without-card", "loans-adult", "loans-student",
                                                          "loans-student-after-a-year"}
    assert rs.vocabulary.horizon == (date(2030, 1, 1), date(2032, 12, 31))


def test_a_conclusion_outside_the_declared_answer_is_refused(tmp_path):
    rules = _copy(tmp_path)
    loans = rules / "loans.yaml"
    loans.write_text(loans.read_text().replace("then: {loan_limit: five}", "then: {loan_limit: fifty}"))
    with pytest.raises(RuleFileError) as exc:
        RuleBase.load(rules)
    assert any("loans.yaml" in m and "fifty" in m for m in exc.value.messages), exc.value.messages


# -- query ---------------------------------------------------------------------------------------
def test_an_adult_before_the_amendment(library):
    a = library.evaluate(borrower(library), ON_OLD, lang="en")
    assert (a.era, a.loan_limit, a.fine_waived, a.reminders) == ("old", "twenty", False, [])
    assert a.status == "law" and a.open_questions == []
    assert [r.rule for r in a.explanation] == ["era-old", "loans-adult", "fine-not-waived", "no-reminder"]
    assert "Lending Library Act, § 3, stk. 1" in [r.source for r in a.explanation]


def test_an_exception_sets_a_rule_aside_from_its_date(library):
    student = borrower(library, spells=[{"card": "student", "from": "2029-09-01"}])
    before, after = library.evaluate(student, ON_OLD), library.evaluate(student, ON_NEW)
    assert (before.loan_limit, before.status) == ("five", "law")
    assert (after.era, after.loan_limit, after.status) == ("new", "twenty", "bill")
    assert "loans-student-after-a-year" in [r.rule for r in after.explanation]
    assert "loans-student" not in [r.rule for r in after.explanation]
    recent = borrower(library, spells=[{"card": "student", "from": "2031-03-01"}])   # 3 months: not yet
    assert library.evaluate(recent, ON_NEW).loan_limit == "five"


def test_no_card_no_loans_and_an_alias_names_the_same_card(library):
    assert library.evaluate(borrower(library, spells=[]), ON_OLD).loan_limit == "no-loans"
    pupil = borrower(library, spells=[{"card": "pupil", "from": "2029-09-01"}])
    assert library.evaluate(pupil, ON_OLD).loan_limit == "five"


def test_an_obligation_has_its_deadline_and_a_waiver_keeps_it_visible(library):
    child = borrower(library, born="2020-05-01", overdue=True, spells=[{"card": "student", "from": "2029-09-01"}])
    old = library.evaluate(child, ON_OLD)
    assert old.fine_waived is True
    [reminder] = old.reminders
    assert (reminder.kind, reminder.count, reminder.by, reminder.waived) == ("reminder", 1, "2029-09-30", False)
    [waived] = library.evaluate(child, ON_NEW).reminders
    assert waived.waived and (waived.rule, waived.requirement) == ("reminder-waived-for-children", "reminder-overdue")
    grown = borrower(library, born="2000-05-01", overdue=True)
    [kept] = library.evaluate(grown, ON_NEW).reminders
    assert not kept.waived


def test_a_fact_the_vocabulary_does_not_declare_is_refused(library):
    with pytest.raises(CitizenError) as exc:
        library.parse_citizen(record(benefit="dagpenge"))   # the real law's fact, not this law's
    assert "benefit" in str(exc.value)


# -- the proof and the check ---------------------------------------------------------------------
def test_the_fictional_law_is_proved_complete_and_unique(library_proof):
    assert library_proof.count("gap") == 0 and library_proof.count("overlap") == 0
    assert library_proof.pairs > 10


def test_deleting_a_rule_leaves_a_gap_the_proof_names(tmp_path, library):
    rules = _copy(tmp_path)
    loans = rules / "loans.yaml"
    text = loans.read_text()
    start, end = text.index("  - id: loans-adult\n"), text.index("  - id: loans-student\n")
    loans.write_text(text[:start] + text[end:])
    base = RuleBase.load(rules)
    lo, hi = base.ruleset.vocabulary.horizon
    gaps = [f for f in check_completeness(base, lo, hi).findings if f.kind == "gap"]
    assert gaps and all(f.family == "loan_limit" for f in gaps)
    assert all("adult" in str(f.situation) for f in gaps)


def test_two_rules_deciding_one_field_are_an_overlap(tmp_path):
    rules = _copy(tmp_path)
    loans = rules / "loans.yaml"
    loans.write_text(loans.read_text() + """  - id: loans-adult-again
    title: {da: "Voksenkort: fem bøger", en: "Adult card: five books"}
    valid: {from: 2031-01-01}
    status: bill
    source:
      - {ref: LLA-bill, at: "§ 3 (a second reading)"}
    when: {card: adult}
    then: {loan_limit: five}
""")
    base = RuleBase.load(rules)
    lo, hi = base.ruleset.vocabulary.horizon
    overlaps = [f for f in check_completeness(base, lo, hi).findings if f.kind == "overlap"]
    assert overlaps and all(f.family == "loan_limit" for f in overlaps)
    assert all(d >= date(2031, 1, 1) for f in overlaps for d in f.dates)


def test_the_check_passes_and_certifies_the_rules(fictional_dir, tmp_path):
    report = run_check(fictional_dir)
    assert report.errors == [] and report.completeness and (report.gaps, report.overlaps) == (0, 0)
    rules = _copy(tmp_path)
    ok = _reform("check", "--rules", str(rules), cwd=tmp_path)   # the full proof, through the command
    assert ok.returncode == 0 and ": clean" in ok.stdout, ok.stdout + ok.stderr   # a tool's report: English unless asked
    assert "0 gaps (fields silent), 0 overlaps" in ok.stdout
    assert (rules / ".certificate.json").is_file()
    citizen_file = tmp_path / "ada.json"
    citizen_file.write_text(json.dumps(record(id="ada")))
    q = _reform("query", str(citizen_file), "--date", "2031-06-01", "--json", "--rules", str(rules), cwd=tmp_path)
    assert q.returncode == 0 and "not certified" not in q.stderr, q.stderr
    assert json.loads(q.stdout)["loan_limit"] == "twenty"


# -- a batch and a timeline ----------------------------------------------------------------------
def test_a_batch_answers_every_row_as_one_query_would(library, tmp_path):
    rows = [record(id="b1"), record(id="b2", born="2020-05-01", overdue=True,
                                    spells=[{"card": "student", "from": "2029-09-01"}]),
            record(id="b3", spells=[]), record(id="b4", spells=[{"card": "student", "from": "2031-03-01"}])]
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = run_batch(library, inp, out, [ON_OLD, ON_NEW], progress=False)
    answers = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(answers) == 8 and (summary.rows_in, summary.rows_out, summary.errors) == (4, 8, 0)
    for got in answers:
        row = next(r for r in rows if r["id"] == got["citizen"])
        want = library.evaluate(library.parse_citizen(row), date.fromisoformat(got["date"])).to_json()
        want.pop("explanation", None)
        assert got == {k: want[k] for k in got}, got["citizen"]


def test_a_timeline_changes_where_the_law_changes(library):
    student = borrower(library, spells=[{"card": "student", "from": "2029-09-01"}])
    periods = timeline(library, student, date(2030, 1, 1), date(2032, 12, 31)).periods
    assert [p.start for p in periods] == [date(2030, 1, 1), date(2031, 1, 1)]
