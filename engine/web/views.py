"""JSON views of a rule base for the web pages and the API (read-only; nothing here is stored)."""
from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from ..answer import Answer
from ..explain import (kind_label, PROGRAMME_STATUS, SANCTIONABLE, STATUS, STRUCTURE, _names, citations,
                       obligation_text, render_text, source_href, source_name, source_url, status_label)
from ..model import STATUS_ORDER, Rule, RuleSet
from .i18n import UI


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# -- the rules ---------------------------------------------------------------------------------
def rule_json(rule: Rule, ruleset: RuleSet) -> dict[str, Any]:
    """One rule as legal staff read it: what it decides, when it is valid, on what authority."""
    sources = []
    for c in rule.source:
        src = ruleset.sources.get(c.ref)
        # a seed's ``where`` is a file path of the project's origin: never shown; its copy is /sources/<id>
        sources.append({"ref": c.ref, "at": c.at, "title": src.title if src else None,
                        "short": source_name(src) if src else c.ref, "status": src.status if src else None,
                        "where": src.where if src and src.kind != "seed" else None,
                        "name": source_name(src) if src else c.ref, "date": _iso(src.date) if src else None,
                        "url": source_url(src) if src else None, "href": source_href(src) if src else None})
    return {
        "id": rule.id, "subject": rule.subject, "file": rule.file, "line": rule.line,
        "title": dict(rule.title), "valid_from": _iso(rule.valid_from), "valid_to": _iso(rule.valid_to),
        "status": rule.status, "sources": sources, "overrides": list(rule.overrides), "effect": rule.effect,
        "decides": {"kind": rule.family or rule.then_kind, "value": rule.then_value},
        "when": rule.when, "undetermined": rule.undetermined,
        "question": dict(rule.question) if rule.question else None,
        "reason": dict(rule.reason) if rule.reason else None,
    }


def rules_json(ruleset: RuleSet, on: date | None = None, subject: str | None = None,
               status: str | None = None) -> list[dict[str, Any]]:
    return [rule_json(r, ruleset) for r in ruleset.rules
            if (on is None or r.valid_on(on)) and (subject is None or r.subject == subject)
            and (status is None or r.status == status)]


def subjects_json(ruleset: RuleSet) -> list[dict[str, Any]]:
    out = []
    for subject, file, title in ruleset.subjects:
        out.append({"id": subject, "file": file, "title": dict(title) if title else {"da": subject, "en": subject},
                    "rules": sum(1 for r in ruleset.rules if r.subject == subject)})
    return out


def phases_json(ruleset: RuleSet) -> list[dict[str, Any]]:
    out = []
    for rule in ruleset.rules:
        if rule.then_kind != "phase" or not isinstance(rule.then_value, dict):
            continue
        value = rule.then_value
        out.append({"id": value.get("id"), "name": dict(value.get("name") or {}), "from": _iso(rule.valid_from),
                    "to": _iso(rule.valid_to), "rule": rule.id, "title": dict(rule.title), "status": rule.status,
                    "sources": rule_json(rule, ruleset)["sources"]})
    return sorted(out, key=lambda p: p["from"] or "")


def municipalities(ruleset: RuleSet) -> list[str]:
    """Every value of the municipality-like choices: the citizen facts whose table has a forgiving match."""
    v = ruleset.vocabulary
    names: list[str] = []
    for fact in v.facts:
        table = v.table(fact.values or "")
        if fact.type == "choice" and (table.suffixes or table.transliterate):
            names += list(table)
    return sorted(set(names), key=str.casefold)


def vocabulary_json(ruleset: RuleSet) -> dict[str, Any]:
    """The values the citizen form offers, with their titles in both languages, and the declared facts."""
    v = ruleset.vocabulary

    def terms(table: Any) -> list[dict[str, Any]]:
        return [{"id": t.id, "title": dict(t.title), "aliases": list(t.aliases)} for t in table.terms.values()]

    def fact(f: Any) -> dict[str, Any]:
        return {"id": f.id, "type": f.type, "label": dict(f.label), "help": dict(f.help), "default": f.default,
                "values": f.values, "minimum": f.minimum, "maximum": f.maximum, "only_with": list(f.only_with)}

    out: dict[str, Any] = {name: terms(table) for name, table in v.tables.items()}
    out.update({
        "tables": {name: terms(table) for name, table in v.tables.items()},
        "facts": [fact(f) for f in v.facts],
        "spells": [{"kind": k.kind, "role": k.role, "values": k.values, "label": dict(k.label),
                    "facts": [fact(f) for f in k.facts]} for k in v.spell_kinds],
        "municipalities": municipalities(ruleset)})
    # what the current form reads: which benefits take which spell facts
    for f in v.current.facts:
        out[f"{f.id}_with"] = list(f.only_with)
    return out


def status_json() -> dict[str, dict[str, str]]:
    return {s: dict(STATUS[s]) for s in STATUS_ORDER if s in STATUS}


# -- one answer, for the caseworker page ------------------------------------------------------
def answer_view(answer: Answer, ruleset: RuleSet, lang: str, anchor=None) -> dict[str, Any]:
    """The contract answer with display names, labels and the plain-text answer in ``lang``.

    ``anchor(citation)`` may add a place in a seed's page to its link (``#L12``).
    """
    names = _names(ruleset, lang)
    words = UI[lang]
    by_id = ruleset.by_id

    def title(rule_id: str) -> str:
        rule = by_id.get(rule_id)
        return rule.title[lang] if rule else rule_id

    open_families = {by_id[q["rule"]].family for q in answer.open_questions if q["rule"] in by_id}
    tg = answer.target_group
    obligations = []
    for ob in answer.obligations:
        plain = dataclasses.replace(ob, waived=False, by=None, first_by=None)
        obligations.append({
            "text": obligation_text(plain, lang, names), "kind": ob.kind,
            "kind_label": kind_label(ob.kind, ob.count, lang), "count": ob.count, "by": ob.by,
            "first_by": ob.first_by, "waived": ob.waived, "rule": ob.rule, "requirement": ob.requirement,
            "requirement_title": title(ob.requirement),
            "waived_by_title": title(ob.rule) if ob.waived else None,
            "by_whom": names.get(ob.by_whom, ob.by_whom) if ob.by_whom else None})
    if answer.obligations:
        no_obligations = None
    elif "obligation" in open_families:
        no_obligations = words["undetermined"]
    else:
        no_obligations = words["none"]
    if answer.trial:
        trial = {"id": answer.trial, "label": names.get(answer.trial, answer.trial)}
    else:
        trial = {"id": None, "label": words["undetermined"] if "trial" in open_families else words["none"]}
    reasons = []
    for i, r in enumerate(answer.explanation, 1):
        reasons.append({"n": i, "rule": r.rule, "text": r.text, "source": r.source, "status": r.status,
                        "status_label": status_label(r.status, lang), "effect": r.effect,
                        "undetermined": r.undetermined, "citations": reason_citations(r.rule, ruleset, anchor)})
    return {
        "lang": lang,
        "citizen": answer.citizen, "date": answer.date,
        "phase": {"id": answer.phase,
                  "label": names.get(answer.phase, answer.phase) if answer.phase else words["none"]},
        "target_group": {"id": tg["id"], "label": names.get(tg["id"], tg["id"]), "structure": tg["structure"],
                         "structure_label": STRUCTURE.get(tg["structure"], {}).get(lang, tg["structure"])}
        if tg else {"id": None, "label": words["undetermined"], "structure": None, "structure_label": None},
        "programmes": [{"id": p["id"], "label": names.get(p["id"], p["id"]), "status": p["status"],
                        "status_label": PROGRAMME_STATUS.get(p["status"], {}).get(lang, p["status"])}
                       for p in answer.programmes],
        "obligations": obligations, "no_obligations": no_obligations,
        "sanctionable": {"id": answer.sanctionable,
                         "label": SANCTIONABLE.get(answer.sanctionable, {}).get(lang, answer.sanctionable)
                         if answer.sanctionable else words["undetermined"]},
        "trial": trial,
        "jobpraemie": answer.jobpraemie,
        "status": {"id": answer.status, "label": status_label(answer.status, lang), "is_law": answer.status == "law"},
        "open_questions": [dict(q) for q in answer.open_questions],
        "reasons": reasons,
        "text": render_text(answer, ruleset, lang),
    }


def reason_citations(rule_id: str, ruleset: RuleSet, anchor=None) -> list[dict[str, Any]]:
    """The citations of a rule for display (name, place, date, status, link), a seed's link to its line."""
    rule = ruleset.by_id.get(rule_id)
    if rule is None:
        return []
    out = citations(rule, ruleset.sources)
    for item, c in zip(out, rule.source):
        if not item["href"] and c.ref in ruleset.sources:
            item["href"] = f"/sources/{c.ref}"  # no public address: the source's page here says what it is
        elif anchor is not None and item["href"] and item["href"].startswith("/sources/"):
            item["href"] += anchor(c)
    return out


def family_label(family: str, lang: str) -> str:
    return UI[lang].get(f"family_{family}", family)


def decides_text(rule: Rule, ruleset: RuleSet, lang: str) -> str:
    """What a rule concludes, in a line: ``Målgruppe: <the group's name> (<its id>; <structure>)``."""
    family = rule.family or rule.then_kind or ""
    label = family_label(family, lang)
    value = rule.then_value
    words = UI[lang]
    if rule.then_kind is None:
        return f"{label}: {words['effect_waive']}"
    if value == "undetermined":
        return f"{label}: {words['undetermined']}"
    if rule.then_kind == "obligation" and isinstance(value, dict):
        from ..answer import Obligation
        ob = Obligation(kind=value.get("kind", ""), count=value.get("count"), within_months=value.get("within_months"),
                        by=None, waived=False, rule=rule.id, requirement=rule.id, by_whom=value.get("by_whom"),
                        every_months=value.get("every_months"), hours_per_week=value.get("hours_per_week"))
        text = obligation_text(ob, lang, _names(ruleset, lang))
        if value.get("first_within_weeks"):
            text += f", {words['first_within_weeks'].format(value['first_within_weeks'])}"
        return f"{label}: {text}"
    if rule.then_kind == "sanctionable" and isinstance(value, str):
        return f"{label}: {SANCTIONABLE.get(value, {}).get(lang, value)}"
    if rule.then_kind == "programme" and isinstance(value, dict):
        name = _names(ruleset, lang).get(value.get("id"), value.get("id"))
        st = PROGRAMME_STATUS.get(value.get("status"), {}).get(lang, value.get("status"))
        return f"{label}: {name} – {st}"
    if isinstance(value, dict):
        name = value.get("name", {}).get(lang) if isinstance(value.get("name"), dict) else None
        ident = value.get("id")
        if name and ident:
            extra = ""
            if value.get("structure"):
                extra = f"; {STRUCTURE.get(value['structure'], {}).get(lang, value['structure'])}"
            return f"{label}: {name} ({ident}{extra})"
    if isinstance(value, bool):
        return f"{label}: {words['yes'] if value else words['none']}"
    return f"{label}: {value}"


def when_text(when: Any) -> str:
    """A rule's conditions in one compact line: ``benefit: <id>; age: {under: 30}``."""
    def fmt(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {fmt(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)
    if not isinstance(when, dict):
        return fmt(when)
    parts = []
    for key, value in when.items():
        if key == "any_of" and isinstance(value, list):
            parts.append("any_of: " + " | ".join("(" + when_text(b) + ")" for b in value))
        else:
            parts.append(f"{key}: {fmt(value)}")
    return "; ".join(parts)


__all__ = ["answer_view", "decides_text", "family_label", "municipalities", "phases_json", "rule_json",
           "rules_json", "status_json", "subjects_json", "vocabulary_json", "when_text"]
