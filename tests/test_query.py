from datetime import date
from pathlib import Path

import pytest

from reform_rules.answer.explain import render_text

ROOT = Path(__file__).resolve().parent.parent


def persona(base, name):
    return base.load_citizen(ROOT / "scenarios" / "examples" / f"{name}.yaml")


def test_waived_meeting_names_both_rules(base):
    a = base.evaluate(persona(base, "lone"), date(2026, 8, 10))
    assert a.target_group == {"id": "lab6-06-sygedagpenge", "structure": "old-13"}
    [ob] = a.obligations
    assert (ob.kind, ob.count, ob.within_months, ob.by, ob.waived) == ("meeting", 1, 6, "2027-02-02", True)
    assert ob.rule == "kontakt-sygemeldte-fra-job-undtagelse" and ob.requirement == "kontakt-sygemeldte"
    rules = [r.rule for r in a.explanation]
    assert "kontakt-sygemeldte-fra-job-undtagelse" in rules and "kontakt-sygemeldte" in rules


def test_status_is_the_weakest_used(base):
    before = base.evaluate(persona(base, "foertidspensionist"), date(2025, 6, 1))
    after = base.evaluate(persona(base, "foertidspensionist"), date(2027, 6, 1))
    assert before.status in ("law", "provisional")
    assert after.status == "provisional"  # the new target groups are provisional
    assert {r.status for r in after.explanation} >= {"provisional", "bill"}


def test_undetermined_answers_name_the_open_question(base):
    a = base.evaluate(persona(base, "jobafklaring-2027"), date(2027, 1, 1))
    assert a.target_group is None
    assert {"id": "jobafklaringsforloeb", "status": "undetermined"} in a.programmes
    rules = {q["rule"] for q in a.open_questions}
    assert {"jobafklaring-overgang-2027", "jobafklaringsforloeb-loebende"} <= rules
    assert all(q["text"] for q in a.open_questions)


def test_explanation_cites_sources_in_order_of_the_answer(base):
    a = base.evaluate(persona(base, "dagpenge-koebenhavn-2027"), date(2027, 3, 1))
    order = [r.rule for r in a.explanation]
    assert order[0] == "phase-2" and order.index("dagpengemodtagere") < order.index("kontakt-dagpenge-akasse")
    assert all(r.source for r in a.explanation)
    # the persona gives no trial selection: the free-choice trial is an open question, not an answer
    assert a.trial is None and "forsoeg-frit-valg-udvaelgelse-ukendt" in {q["rule"] for q in a.open_questions}


@pytest.mark.parametrize("lang, words", [("da", ["Begrundelse", "Målgruppe", "Kilde"]),
                                         ("en", ["Because", "Target group", "Source"])])
def test_text_answer_in_both_languages(base, lang, words):
    a = base.evaluate(persona(base, "thomas"), date(2026, 3, 1), lang=lang)
    text = render_text(a, base.ruleset, lang)
    assert all(w in text for w in words)
    assert "1." in text and "lab6-08-ressourceforloeb" in text


def test_answer_is_cached_by_canonical_situation(base):
    c = persona(base, "ledighedsydelse")
    base.evaluate(c, date(2026, 3, 2))
    size = len(base._cache)
    base.evaluate(c, date(2026, 3, 3))  # same band of every threshold: same canonical situation
    assert len(base._cache) == size
