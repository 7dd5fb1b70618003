"""A timeline for the caseworker page: the periods in which the answer holds, what changes at each
boundary and why (the events, and the rules that start or stop applying, with their sources), the
SVG lanes of :mod:`reform_rules.answer.timeline_svg`, in Danish or English."""
from __future__ import annotations

from datetime import date
from typing import Any

from reform_rules.answer.explain import names_by_id, status_label
from reform_rules.answer.timeline import Timeline
from reform_rules.answer.timeline_svg import lane_label, render_svg
from reform_rules.answer.timeline_svg import lanes as drawn_lanes
from reform_rules.answer.timeline_text import cause_text, changed_label
from reform_rules.law.model import RuleSet
from reform_rules.web.views import reason_citations


def _rule_item(rule_id: str, ruleset: RuleSet, lang: str, anchor=None) -> dict[str, Any]:
    rule = ruleset.by_id.get(rule_id)
    return {"rule": rule_id, "title": rule.title.get(lang) if rule else rule_id,
            "status": rule.status if rule else None,
            "status_label": status_label(rule.status, lang) if rule else None,
            "citations": reason_citations(rule_id, ruleset, anchor)}


def timeline_view(tl: Timeline, ruleset: RuleSet, lang: str, mark: date | None = None, anchor=None) -> dict[str, Any]:
    """The periods of ``tl`` with labels, changes, causes and rules; the SVG; which period holds ``mark``."""
    names = names_by_id(ruleset, lang)
    shape = ruleset.answer
    open_rules = frozenset(r.id for f in shape.of_kind("obligation") for r in ruleset.in_family(f.then)
                           if r.undetermined)
    periods = []
    before: list[str] = []
    for i, p in enumerate(tl.periods):
        a = p.answer
        rules = [e["rule"] for e in a.get("explanation", [])]
        lanes = [{"field": f.id, "title": f.label[lang], "label": lane_label(f, a, names, lang, open_rules, shape)}
                 for f in drawn_lanes(shape)]
        for f in shape.fields:
            if not f.in_lanes and f.kind == "id" and a.get(f.id):
                lanes.append({"field": f.id, "title": f.label[lang], "label": names.get(a[f.id], a[f.id])})
        periods.append({
            "from": p.start.isoformat(), "to": p.end.isoformat(),
            "holds_date": bool(mark and p.start <= mark <= p.end),
            "lanes": lanes,
            "status": {"id": a.get("status"), "label": status_label(a.get("status", ""), lang)},
            "changed": [{"field": f, "label": changed_label(f, shape, lang)} for f in p.changed],
            "causes": [{**e, "text": cause_text(e, ruleset, lang)} for e in p.causes],
            "now_apply": [_rule_item(r, ruleset, lang, anchor) for r in rules if i and r not in before],
            "no_longer": [_rule_item(r, ruleset, lang, anchor) for r in before if r not in rules],
        })
        before = rules
    return {"citizen": tl.citizen, "from": tl.start.isoformat(), "to": tl.end.isoformat(),
            "date": mark.isoformat() if mark else None, "periods": periods,
            "svg": render_svg(tl, names, lang, open_rules, mark=mark, shape=shape)}


__all__ = ["cause_text", "timeline_view"]
