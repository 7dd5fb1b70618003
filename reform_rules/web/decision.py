"""The statement of reasons (*begrundelse*) of an answer, as forvaltningsloven §§ 22–24 asks of a decision.

§ 24 wants the legal rules the decision rests on, the main facts taken as given where they mattered,
and, where the decision involves an assessment, the main considerations. So the statement has:

- **the answer** (what is decided);
- **the legal rules**: every source the reasons cite, once, by the name a person cites it by, with its
  date, status and public address, and which reasons cite it;
- **the facts**: the citizen's details as they were given (from the answer's receipt) and the date;
- **the assessment**: the numbered reasons, each with its sources;
- **caveats**: each reason that rests on a bill, a political agreement, guidance or a provisional
  reading rather than law in force, and the open questions.

It is built from an answer with a receipt; the text form is what the caseworker copies into a letter
(sources by title, date, place and public address; never a file path or a local link).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from reform_rules.answer.answer import Answer
from reform_rules.answer.explain import LABELS, answer_lines, status_label
from reform_rules.basics.dates import age_on
from reform_rules.law.model import STATUS_ORDER, RuleSet
from reform_rules.web.i18n import UI
from reform_rules.web.views import reason_citations


def _fact(ruleset: RuleSet, key: str):
    v = ruleset.vocabulary
    return v.by_id.get(key) or next((f for k in v.spell_kinds for f in k.facts if f.id == key), None)


def _value(key: str, value: Any, ruleset: RuleSet, lang: str) -> str:
    words = UI[lang]
    if value is True:
        return words["fact_yes"]
    if value is False:
        return words["none"]
    fact = _fact(ruleset, key)
    if fact is not None and fact.type == "choice":
        term = ruleset.vocabulary.table(fact.values or "").get(str(value))
        if term:
            return term.title.get(lang, str(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(x) for x in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {x}" for k, x in value.items())
    return str(value)


def _label(key: str, ruleset: RuleSet, lang: str) -> str:
    fact = _fact(ruleset, key)
    return fact.label[lang] if fact is not None else UI[lang].get(f"f_{key}", key)


def facts(record: dict[str, Any], day: str, ruleset: RuleSet, lang: str) -> dict[str, Any]:
    """The citizen's details as rows (label, value) and the spells as lines, in ``lang``, in declared order."""
    words = UI[lang]
    v = ruleset.vocabulary
    rows = []
    order = ["id"] + [f.id for f in v.facts]
    keys = [k for k in order if k in record] + sorted(k for k in record if k not in order and k != "spells")
    for key in keys:
        value = record[key]
        if value is None or value is False:
            continue
        text = _value(key, value, ruleset, lang)
        fact = v.by_id.get(key)
        for m in fact.measures if fact is not None else ():
            if m.kind == "years_since":
                try:
                    text += (f" ({m.label.get(lang, m.id).lower()} "
                             f"{age_on(date.fromisoformat(str(value)), date.fromisoformat(day))})")
                except ValueError:
                    pass
        rows.append({"key": key, "label": _label(key, ruleset, lang), "value": text})
    rows.append({"key": "date", "label": words["fact_date"], "value": day})
    spells = []
    for spell in record.get("spells") or []:
        if not isinstance(spell, dict):
            continue
        kind = next((k for k in v.spell_kinds if k.kind in spell), None)
        if kind is None:
            continue
        ident = spell.get(kind.kind)
        term = v.table(kind.values).get(str(ident))
        name = term.title.get(lang, ident) if term else str(ident)
        end = spell.get("to") or words["fact_open"]
        own = [f.id for f in kind.facts]
        details = [f"{_label(k, ruleset, lang).lower()}: {_value(k, spell[k], ruleset, lang)}" for k in own
                   if k in spell and spell[k] not in (None, False)]
        details += [f"{k}: {_value(k, spell[k], ruleset, lang)}" for k in sorted(spell)
                    if k not in own and k not in (kind.kind, "from", "to") and spell[k] is not None]
        spells.append({"kind": kind.kind, "kind_label": kind.label[lang], "name": name, "from": spell.get("from"),
                       "to": spell.get("to"), "text": f"{name}: {spell.get('from')} – {end}"
                       + (f" ({'; '.join(details)})" if details else "")})
    return {"rows": rows, "spells": spells, "spells_label": words["section_spells"],
            "no_spells": words["fact_none"]}


def legal_rules(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every source the reasons cite, once, in the order first cited, with the reasons citing it."""
    out: dict[str, dict[str, Any]] = {}
    for r in reasons:
        for c in r["citations"]:
            item = out.setdefault(c["ref"], {**{k: c[k] for k in ("ref", "name", "title", "date", "kind", "status",
                                                                  "url", "href")}, "places": [], "items": []})
            if c["at"] and c["at"] not in item["places"]:
                item["places"].append(c["at"])
            if r["n"] not in item["items"]:
                item["items"].append(r["n"])
    return list(out.values())


def decision_view(answer: Answer, ruleset: RuleSet, lang: str, reasons: list[dict[str, Any]] | None = None,
                  anchor=None) -> dict[str, Any]:
    """The statement of reasons of ``answer`` (with its receipt) in ``lang``: parts, and the text to copy."""
    words = UI[lang]
    if reasons is None:
        reasons = [{"n": i, "rule": r.rule, "text": r.text, "status": r.status,
                    "status_label": status_label(r.status, lang),
                    "citations": reason_citations(r.rule, ruleset, anchor)}
                   for i, r in enumerate(answer.explanation, 1)]
    record = (answer.receipt or {}).get("input") or {"id": answer.citizen}
    sources = legal_rules(reasons)
    for s in sources:
        s["status_label"] = status_label(s["status"], lang) if s["status"] else None
        s["kind_label"] = words.get(f"srckind_{s['kind']}", s["kind"]) if s["kind"] else None
    # the law first, then guidance, bills, agreements and readings (each in the order first cited)
    sources.sort(key=lambda s: STATUS_ORDER.index(s["status"]) if s["status"] in STATUS_ORDER else len(STATUS_ORDER))
    caveats = [{"n": r["n"], "rule": r["rule"], "status": r["status"], "status_label": r["status_label"],
                "text": words["decision_caveat"].format(n=r["n"], status=r["status_label"])}
               for r in reasons if r["status"] != "law"]
    view = {
        "title": words["decision_title"], "law": words["decision_law"], "intro": words["decision_intro"],
        "summary": summary(answer, ruleset, lang),
        "rules": sources, "facts": facts(record, answer.date, ruleset, lang),
        "caveats": caveats, "open_questions": [dict(q) for q in answer.open_questions],
        "status": {"id": answer.status, "label": status_label(answer.status, lang)},
    }
    view["text"] = decision_text(view, reasons, answer, lang)
    return view


def summary(answer: Answer, ruleset: RuleSet, lang: str) -> list[dict[str, str]]:
    """The answer's fields as rows (label, value), as in the text answer."""
    rows = []
    for label, value in answer_lines(answer, ruleset, lang):
        for item in value if isinstance(value, list) else [value]:
            rows.append({"label": label, "value": item})
    return rows


def _cite(c: dict[str, Any]) -> str:
    return f"{c['name']}, {c['at']}" if c.get("at") else c["name"]


def decision_text(view: dict[str, Any], reasons: list[dict[str, Any]], answer: Answer, lang: str) -> str:
    """The statement as plain text for a letter: sources by name, date, place and public address."""
    words = UI[lang]
    w = LABELS[lang]
    lines = [f"{view['title']} ({view['law']})", ""]
    lines += [f"{words['decision_decision']}:"]
    lines += [f"  {row['label']}: {row['value']}" for row in view["summary"]]
    lines += ["", f"{words['decision_rules']}:"]
    for s in view["rules"]:
        parts = [s["name"]]
        if s.get("title") and s["title"] != s["name"]:
            parts.append(s["title"])
        if s.get("date"):
            parts.append(s["date"])
        if s.get("kind_label"):
            parts.append(s["kind_label"])
        line = f"  - {'. '.join(p.rstrip('.') for p in parts)}"
        if s.get("url"):
            line += f". {s['url']}"
        lines.append(line)
        if s["places"]:
            lines.append(f"    ({'; '.join(s['places'])}; "
                         f"{words['decision_cites'].format(n=', '.join(map(str, s['items'])))})")
    f = view["facts"]
    lines += ["", f"{words['decision_facts']}:"]
    lines += [f"  {row['label']}: {row['value']}" for row in f["rows"]]
    lines.append(f"  {f['spells_label']}:")
    lines += [f"    - {sp['text']}" for sp in f["spells"]] or [f"    - {f['no_spells']}"]
    lines += ["", f"{words['decision_assessment']}:"]
    for r in reasons:
        flag = "" if r["status"] == "law" else f" [{r['status_label']}]"
        lines.append(f"  {r['n']}. {r['text']}{flag}")
        if r["citations"]:
            lines.append(f"     {w['source']}: {'; '.join(_cite(c) for c in r['citations'])}")
    lines += ["", f"{words['decision_caveats']}:"]
    if view["caveats"]:
        lines += [f"  - {c['text']}." for c in view["caveats"]]
    else:
        lines.append(f"  {words['decision_caveats_none']}")
    if view["open_questions"]:
        lines.append(f"  {words['decision_open']}")
        lines += [f"  - {q['text']}" for q in view["open_questions"]]
    receipt = answer.receipt or {}
    if receipt:
        rev = f" @ {receipt['rules_revision'][:12]}" if receipt.get("rules_revision") else ""
        lines += ["", f"{words['receipt']}: reform {receipt.get('engine')}, {words['receipt_rules']} "
                      f"{str(receipt.get('rules_hash', ''))[:12]}{rev}, {receipt.get('made_at')}"]
    return "\n".join(lines)


__all__ = ["decision_text", "decision_view", "facts", "legal_rules", "summary"]
