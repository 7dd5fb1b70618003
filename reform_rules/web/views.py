"""JSON views of a rule base for the web pages and the API (read-only; nothing here is stored)."""
from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from reform_rules.answer.answer import Answer, Obligation
from reform_rules.answer.explain import (
    STATUS,
    citations,
    kind_label,
    names_by_id,
    obligation_text,
    render_text,
    source_href,
    source_name,
    source_url,
    status_label,
)
from reform_rules.law.model import STATUS_ORDER, Rule, RuleSet
from reform_rules.web.i18n import UI


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
        "when": rule.condition.data(), "undetermined": rule.undetermined,
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


def searchable(ruleset: RuleSet, table_name: str | None) -> bool:
    """A table the form offers as a search list (a large one, or one with a forgiving match) instead of a select."""
    table = ruleset.vocabulary.table(table_name or "")
    return bool(table.suffixes or table.transliterate) or len(table) > 30


def vocabulary_json(ruleset: RuleSet) -> dict[str, Any]:
    """The declaration the citizen form is built from: the value tables with their titles in both languages,
    the facts on the citizen and the spell kinds with their own facts (type, default, bounds, ``only_with``,
    labels and help)."""
    v = ruleset.vocabulary

    def terms(table: Any) -> list[dict[str, Any]]:
        return [{"id": t.id, "title": dict(t.title), "aliases": list(t.aliases)} for t in table.terms.values()]

    def fact(f: Any) -> dict[str, Any]:
        return {"id": f.id, "type": f.type, "label": dict(f.label), "help": dict(f.help), "default": f.default,
                "default_of": f.default_of, "optional": f.optional, "values": f.values, "minimum": f.minimum,
                "maximum": f.maximum, "only_with": list(f.only_with), "aliases": list(f.aliases),
                "search": f.type == "choice" and searchable(ruleset, f.values),
                "measures": [{"id": m.id, "kind": m.kind, "label": dict(m.label)} for m in f.measures]}

    return {
        "tables": {name: terms(table) for name, table in v.tables.items()},
        "facts": [fact(f) for f in v.facts],
        "spells": [{"kind": k.kind, "role": k.role, "values": k.values, "none": k.none, "label": dict(k.label),
                    "facts": [fact(f) for f in k.facts]} for k in v.spell_kinds],
    }


def status_json() -> dict[str, dict[str, str]]:
    return {s: dict(STATUS[s]) for s in STATUS_ORDER if s in STATUS}


# -- one answer, for the caseworker page ------------------------------------------------------
def answer_view(answer: Answer, ruleset: RuleSet, lang: str, anchor=None) -> dict[str, Any]:
    """The contract answer with display names, labels and the plain-text answer in ``lang``.

    ``anchor(citation)`` may add a place in a seed's page to its link (``#L12``).
    """
    names = names_by_id(ruleset, lang)
    words = UI[lang]
    by_id = ruleset.by_id

    def title(rule_id: str) -> str:
        rule = by_id.get(rule_id)
        return rule.title[lang] if rule else rule_id

    open_families = {by_id[q["rule"]].family for q in answer.open_questions if q["rule"] in by_id}
    shape = ruleset.answer
    group_field, status_field, value_field, trial_field, ob_field = _view_fields(shape)
    tg = answer.values.get(group_field.id) if group_field else None
    obligations = []
    for ob in answer.values.get(ob_field.id, []) if ob_field else []:
        plain = dataclasses.replace(ob, waived=False, by=None, first_by=None)
        obligations.append({
            "text": obligation_text(plain, lang, names, shape), "kind": ob.kind,
            "kind_label": kind_label(shape, ob.kind, ob.count, lang), "count": ob.count, "by": ob.by,
            "first_by": ob.first_by, "waived": ob.waived, "rule": ob.rule, "requirement": ob.requirement,
            "requirement_title": title(ob.requirement),
            "waived_by_title": title(ob.rule) if ob.waived else None,
            "by_whom": names.get(ob.by_whom, ob.by_whom) if ob.by_whom else None})
    if obligations:
        no_obligations = None
    elif ob_field and ob_field.then in open_families:
        no_obligations = words["undetermined"]
    else:
        no_obligations = words["none"]
    trial_id = answer.values.get(trial_field.id) if trial_field else None
    if trial_id:
        trial = {"id": trial_id, "label": names.get(trial_id, trial_id)}
    else:
        trial = {"id": None, "label": words["undetermined"] if trial_field and trial_field.then in open_families
                 else words["none"]}
    phase_field = next((f for f in shape.fields if f.kind == "id" and f.decide == "exactly-one" and not f.carry), None)
    phase = answer.values.get(phase_field.id) if phase_field else None
    sanction = answer.values.get(value_field.id) if value_field else None
    reasons = []
    for i, r in enumerate(answer.explanation, 1):
        reasons.append({"n": i, "rule": r.rule, "text": r.text, "source": r.source, "status": r.status,
                        "status_label": status_label(r.status, lang), "effect": r.effect,
                        "undetermined": r.undetermined, "citations": reason_citations(r.rule, ruleset, anchor)})
    return {
        "lang": lang,
        "citizen": answer.citizen, "date": answer.date,
        "fields": [{"id": f.id, "kind": f.kind, "label": f.label[lang]} for f in shape.fields],
        phase_field.id if phase_field else "phase": {"id": phase,
                                                     "label": names.get(phase, phase) if phase else words["none"]},
        group_field.id if group_field else "group": {
            "id": tg["id"], "label": names.get(tg["id"], tg["id"]),
            **{k: tg[k] for k in group_field.carry},
            **{f"{k}_label": group_field.attribute_label(k, tg[k], lang) for k in group_field.carry}}
        if tg and group_field else {"id": None, "label": words["undetermined"],
                                    **{k: None for k in (group_field.carry if group_field else ())},
                                    **{f"{k}_label": None for k in (group_field.carry if group_field else ())}},
        status_field.id if status_field else "statuses": [
            {"id": p["id"], "label": names.get(p["id"], p["id"]), "status": p["status"],
             "status_label": status_field.value_label(p["status"], lang)}
            for p in (answer.values.get(status_field.id, []) if status_field else [])],
        ob_field.id if ob_field else "obligations": obligations, "no_obligations": no_obligations,
        value_field.id if value_field else "value": {
            "id": sanction, "label": value_field.value_label(sanction, lang) if sanction and value_field
            else words["undetermined"]},
        trial_field.id if trial_field else "trial": trial,
        **{f.id: answer.values.get(f.id) for f in shape.of_kind("flag")},
        "summary": _summary_rows(answer, shape, names, words, lang, open_families),
        "status": {"id": answer.status, "label": status_label(answer.status, lang), "is_law": answer.status == "law"},
        "open_questions": [dict(q) for q in answer.open_questions],
        "reasons": reasons,
        "text": render_text(answer, ruleset, lang),
    }


# the page's element for each kind of single-valued field (the browser tests and the print view find them)
_ELEMENT = {"first": "v-phase", "group": "v-group", "value": "v-sanction", "optional": "v-trial"}


def _summary_rows(answer: Answer, shape: Any, names: dict[str, str], words: dict[str, str], lang: str,
                  open_families: set[str]) -> list[dict[str, Any]]:
    """The single-valued fields as the page's summary rows, in declared order."""
    rows = []
    for f in shape.fields:
        value = answer.values.get(f.id)
        if f.kind == "id":
            role = "group" if f.carry else ("first" if f.decide == "exactly-one" else "optional")
            ident = value.get("id") if isinstance(value, dict) else value
            empty = words["undetermined"] if f.decide == "exactly-one" or f.then in open_families else words["none"]
            sub = " · ".join(f.attribute_label(k, value[k], lang) for k in f.carry) if isinstance(value, dict) else ""
            rows.append({"field": f.id, "element": _ELEMENT[role], "label": f.label[lang],
                         "text": names.get(ident, ident) if ident else (words["none"] if role == "first" else empty),
                         "code": ident, "sub": sub, "strong": role == "group"})
        elif f.kind == "value":
            rows.append({"field": f.id, "element": _ELEMENT["value"], "label": f.label[lang],
                         "text": f.value_label(value, lang) if value else words["undetermined"], "code": None,
                         "sub": ""})
        elif f.kind == "flag" and value:
            rows.append({"field": f.id, "element": f"v-{f.id}", "label": f.label[lang], "text": words["yes"],
                         "code": None, "sub": ""})
    return rows


def _view_fields(shape: Any) -> tuple:
    """The fields the page shows in its own places: the group (an id with carried keys), the statuses,
    the value, the optional id (a trial) and the obligations."""
    group = next((f for f in shape.fields if f.kind == "id" and f.carry), None)
    status = next(iter(shape.of_kind("status")), None)
    value = next(iter(shape.of_kind("value")), None)
    optional = next((f for f in shape.fields if f.kind == "id" and f.decide != "exactly-one"), None)
    obligation = next(iter(shape.of_kind("obligation")), None)
    return group, status, value, optional, obligation


def reason_citations(rule_id: str, ruleset: RuleSet, anchor=None) -> list[dict[str, Any]]:
    """The citations of a rule for display (name, place, date, status, link), a seed's link to its line."""
    rule = ruleset.by_id.get(rule_id)
    if rule is None:
        return []
    out = citations(rule, ruleset.sources)
    for item, c in zip(out, rule.source, strict=True):
        if not item["href"] and c.ref in ruleset.sources:
            item["href"] = f"/sources/{c.ref}"  # no public address: the source's page here says what it is
        elif anchor is not None and item["href"] and item["href"].startswith("/sources/"):
            item["href"] += anchor(c)
    return out


def family_label(family: str, lang: str, ruleset: RuleSet | None = None) -> str:
    """The answer field a family of rules decides, by its declared label."""
    f = ruleset.answer.by_then(family) if ruleset is not None else None
    return f.label[lang] if f else UI[lang].get(f"family_{family}", family)


def decides_text(rule: Rule, ruleset: RuleSet, lang: str) -> str:
    """What a rule concludes, in a line: ``Målgruppe: <the group's name> (<its id>; <structure>)``."""
    family = rule.family or rule.then_kind or ""
    label = family_label(family, lang, ruleset)
    value = rule.then_value
    words = UI[lang]
    if rule.then_kind is None:
        return f"{label}: {words['effect_waive']}"
    if value == "undetermined":
        return f"{label}: {words['undetermined']}"
    f = ruleset.answer.by_then(rule.then_kind)
    if f is not None and f.kind == "obligation" and isinstance(value, dict):
        ob = Obligation(kind=value.get("kind", ""), count=value.get("count"), within_months=value.get("within_months"),
                        by=None, waived=False, rule=rule.id, requirement=rule.id, by_whom=value.get("by_whom"),
                        every_months=value.get("every_months"), hours_per_week=value.get("hours_per_week"))
        text = obligation_text(ob, lang, names_by_id(ruleset, lang), ruleset.answer)
        if value.get("first_within_weeks"):
            text += f", {words['first_within_weeks'].format(value['first_within_weeks'])}"
        return f"{label}: {text}"
    if f is not None and f.kind == "value" and isinstance(value, str):
        return f"{label}: {f.value_label(value, lang)}"
    if f is not None and f.kind == "status" and isinstance(value, dict):
        ident = value.get("id")
        name = names_by_id(ruleset, lang).get(ident, ident) if ident is not None else None
        return f"{label}: {name} – {f.value_label(value.get('status'), lang)}"
    if isinstance(value, dict):
        name = value.get("name", {}).get(lang) if isinstance(value.get("name"), dict) else None
        ident = value.get("id")
        if name and ident:
            extra = ""
            if f is not None:
                for k in f.carry:
                    if value.get(k):
                        extra += f"; {f.attribute_label(k, value[k], lang)}"
            return f"{label}: {name} ({ident}{extra})"
    if isinstance(value, bool):
        return f"{label}: {words['yes'] if value else words['none']}"
    return f"{label}: {value}"


__all__ = ["answer_view", "decides_text", "family_label", "phases_json", "rule_json", "searchable",
           "rules_json", "status_json", "subjects_json", "vocabulary_json"]
