"""The facts an answer depends on that were not given (issue 17 item 6).

A rule may test that a fact is not known (``{known: false}``): the answer then rests on the fact being
missing — a rule that says "undetermined" and asks, or a rule that takes the cautious reading until the
fact is given. For the rules behind an answer, every such test on a fact the citizen's record leaves
empty names that fact, with its declared label and help and the answer fields it decides, so that the
caseworker can be asked for exactly that. A measure (an age) names the date it is measured from (the
date of birth). Nothing here names a fact of the law: all of it comes from the declaration.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from reform_rules.answer.answer import Answer
from reform_rules.basics.i18n import N_, Words
from reform_rules.law.citizen import Citizen
from reform_rules.law.facts import Fact

WORDS = Words({
    "decides": N_("{fact} decides the {fields}"), "and": N_(" and "),
})


def _declared(ruleset, key: str) -> tuple[Fact, str] | None:
    """The declared fact a condition key tests (a measure: the date it is measured from), and where it lives."""
    v = ruleset.vocabulary
    if key in v.by_id:
        return v.by_id[key], "citizen"
    fact = next((f for f in v.current.facts if f.id == key), None)
    if fact is not None:
        return fact, v.current.kind
    for f in v.facts:
        if any(m.id == key for m in f.measures):
            return f, "citizen"
    return None   # a spell kind itself, or a measure of a spell's own dates: not a fact to ask for


def missing_facts(ruleset, citizen: Citizen, day: date, answer: Answer, lang: str = "da") -> list[dict[str, Any]]:
    """The facts left empty that the rules behind ``answer`` test as not known, in declared order."""
    v = ruleset.vocabulary
    spell = citizen.current_on(day)
    found: dict[str, dict[str, Any]] = {}
    for reason in answer.explanation:
        rule = ruleset.by_id.get(reason.rule)
        if rule is None:
            continue
        for test in rule.condition.walk():
            if getattr(test, "known", None) is not False or getattr(test, "beside", False):
                continue
            declared = _declared(ruleset, test.key)
            if declared is None:
                continue
            fact, on = declared
            if on == "citizen":
                given = citizen.get(fact.id)
            elif spell is not None and (not fact.only_with or spell.id in fact.only_with):
                given = spell.get(fact.id)
            else:
                continue
            if given is not None or fact.default is not None:
                continue
            item = found.setdefault(fact.id, {
                "fact": fact.id, "on": on, "spell": spell.index if on != "citizen" and spell else None,
                "type": fact.type, "label": fact.label.get(lang, fact.id), "help": fact.help.get(lang, ""),
                "fields": [], "decides": [], "rules": [], "open": False})
            field = ruleset.answer.by_then(rule.then_kind or rule.family or "")
            if field is not None and field.id not in item["fields"]:
                item["fields"].append(field.id)
                item["decides"].append(field.label[lang])
            if rule.id not in item["rules"]:
                item["rules"].append(rule.id)
            item["open"] = item["open"] or rule.undetermined
    order = [f.id for f in (*v.facts, *v.current.facts)]
    out = sorted(found.values(), key=lambda x: order.index(x["fact"]) if x["fact"] in order else len(order))
    w = WORDS[lang]
    for item in out:
        fields = w["and"].join(d[:1].lower() + d[1:] for d in item["decides"])
        item["text"] = w["decides"].format(fact=item["label"], fields=fields)
    return out


__all__ = ["missing_facts"]
