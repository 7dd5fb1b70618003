"""A timeline in words, for the command line (``reform timeline``) and the caseworker page alike: what
caused a change, what changed, and the periods as lines of text; every word from the one catalogue
(:mod:`reform_rules.basics.i18n`), every label of the law from the rules."""
from __future__ import annotations

from typing import Any

from reform_rules.answer.explain import LABELS, names_by_id, safe_text
from reform_rules.answer.timeline import Timeline
from reform_rules.answer.timeline_svg import lane_label, lanes
from reform_rules.basics.i18n import N_, Words, translator
from reform_rules.law.answer_fields import AnswerField, AnswerShape
from reform_rules.law.model import RuleSet

# What happens on the first day of a period (reform_rules.answer.timeline.change_points), by the event's kind.
CAUSES = Words({
    "rule-starts": N_("the rule “{rule}” comes into force"), "rule-ends": N_("the rule “{rule}” ends"),
    "benefit-starts": N_("the benefit {what} begins"), "benefit-ends": N_("the benefit {what} has ended"),
    "programme-starts": N_("the programme {what} begins"),
    "programme-ends": N_("the programme {what} has ended"),
    "months-since-spell-start": N_("{months} months since the benefit {what} began"),
    "weeks-since-spell-start": N_("{weeks} weeks since the benefit {what} began"),
    "months-since": N_("{months} months since {what}"),
    "new-cycle": N_("a new period of {months} months on {what}"),
    "birthday": N_("the citizen turns {age}"),
})
# What every answer has beside its declared fields, by its key in LABELS.
FIELD_WORDS = {"status": "status", "open_questions": "questions", "explanation": "because"}


def _what(event: dict, ruleset: RuleSet, lang: str) -> str:
    """The display name of a spell's value (a benefit, a programme …) or of a fact."""
    ident = event.get("id") or ""
    v = ruleset.vocabulary
    term = next((t for k in v.spell_kinds if (t := v.table(k.values).get(ident))), None)
    if term:
        return term.title.get(lang, ident)
    fact = v.by_id.get(ident)
    return fact.label.get(lang, ident) if fact is not None else ident


def cause_text(event: dict, ruleset: RuleSet, lang: str) -> str:
    """One event behind a change in words (``ydelsen Kontanthjælp begynder``)."""
    kind = event.get("kind", "")
    template = CAUSES[lang].get(kind)
    rule = ruleset.by_id.get(event.get("rule", ""))
    values = {"rule": rule.title.get(lang) if rule else event.get("rule", ""), "what": _what(event, ruleset, lang),
              "months": event.get("months", ""), "weeks": event.get("weeks", ""), "age": event.get("age", "")}
    if template is None:
        return " ".join(str(v) for v in (kind, event.get("rule") or event.get("id") or "") if v)
    return template.format(**values)


def changed_label(field_id: str, shape: AnswerShape, lang: str) -> str:
    """The name of a part of the answer that changed: a declared field's label, or the common part's word."""
    f = shape.by_id(field_id)
    return f.label[lang] if f else LABELS[lang].get(FIELD_WORDS.get(field_id, ""), field_id)


def _value_text(f: AnswerField, value: Any, names: dict[str, str], lang: str) -> str:
    """A field not drawn as a lane, in words (a flag as yes, an id by its name)."""
    if isinstance(value, bool):
        return LABELS[lang]["yes"] if value else translator(lang).gettext("no")
    if isinstance(value, dict) and "id" in value:
        value = value["id"]
    return names.get(value, value) if isinstance(value, str) else str(value)


def timeline_lines(tl: Timeline, ruleset: RuleSet, lang: str) -> list[str]:
    """The timeline as text: a head line, then per period its dates, its answer, what changed and why."""
    t = translator(lang)
    names = names_by_id(ruleset, lang)
    shape = ruleset.answer
    open_rules = frozenset(r.id for f in shape.of_kind("obligation") for r in ruleset.in_family(f.then)
                           if r.undetermined)
    count = t.ngettext("{n} period", "{n} periods", len(tl.periods)).format(n=len(tl.periods))
    changed, because = t.gettext("changed"), t.gettext("because")   # (not in f-strings: extraction misses those)
    # the id and anything else from input go through safe_text: escapes and newlines are shown, not obeyed
    out = [f"{safe_text(tl.citizen)}: {tl.start} – {tl.end}, {count}"]
    for p in tl.periods:
        a = p.answer
        out += ["", f"{p.start} – {p.end}"]
        out += [f"  {f.label[lang]}: {safe_text(lane_label(f, a, names, lang, open_rules, shape))}"
                for f in lanes(shape)]
        out += [f"  {f.label[lang]}: {safe_text(_value_text(f, a[f.id], names, lang))}" for f in shape.fields
                if not f.in_lanes and a.get(f.id)]
        if p.changed:
            out.append(f"  {changed}: {', '.join(changed_label(c, shape, lang) for c in p.changed)}")
        out += [f"    {because}: {safe_text(cause_text(e, ruleset, lang))}" for e in p.causes]
    return out


__all__ = ["CAUSES", "FIELD_WORDS", "cause_text", "changed_label", "timeline_lines"]
