"""Reasons and citations in Danish and English, and the caseworker's text answer."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reform_rules.basics.i18n import LANGS, N_, Words
from reform_rules.law.model import Rule, Source

if TYPE_CHECKING:
    from reform_rules.answer.answer import Answer
    from reform_rules.law.answer_fields import AnswerShape
    from reform_rules.law.model import RuleSet

# C0 and C1 control characters, DEL, and the bidirectional and line/paragraph separators: none may
# reach a line of the text answer as such (a newline or a terminal escape in an id would forge lines).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_text(value: Any) -> str:
    """``value`` as text with every control character shown as its escape (``\\n``, ``\\x1b``, ``\\u202e``).

    For ids and other text a user sent (the citizen's id) in the text answer: one line stays one line,
    and nothing in it moves the cursor, clears the terminal or turns the text around."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(_escape, text)


def _escape(match: "re.Match[str]") -> str:
    ch = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

_STATUS = Words({
    "law": N_("law in force"), "guidance": N_("official guidance"), "bill": N_("bill, not yet enacted"),
    "agreement": N_("political agreement, not law"), "provisional": N_("provisional reading"),
})
# status -> {lang: words}, for the pages and the docs that list every status in both languages
STATUS = {s: {lang: _STATUS[lang][s] for lang in LANGS} for s in _STATUS.msgids}
def kind_label(shape: "AnswerShape", kind: str, count: int | None, lang: str) -> str:
    """``samtale`` for 1, ``samtaler`` for more; the neutral form when there is no count."""
    f = next(iter(shape.of_kind("obligation")), None)
    return f.counted(kind, count, lang) if f else kind


def value_label(shape: "AnswerShape", field_id: str, value: Any, lang: str) -> str:
    """The words for a value of a declared answer field (a sanction value, a programme status …)."""
    f = shape.by_id(field_id) or shape.by_then(field_id)
    return f.value_label(value, lang) if f else str(value)


def attribute_label(shape: "AnswerShape", field_id: str, name: str, value: Any, lang: str) -> str:
    f = shape.by_id(field_id) or shape.by_then(field_id)
    return f.attribute_label(name, value, lang) if f else str(value)


LABELS = Words({
    "citizen": N_("Citizen"), "date": N_("Date"), "phase": N_("Phase"), "group": N_("Target group"),
    "programmes": N_("Programmes"), "obligations": N_("Contact requirements"), "sanction": N_("Sanctions"),
    "trial": N_("Trial"), "none": N_("none"), "status": N_("The answer rests on"), "questions": N_("Open questions"),
    "because": N_("Because"), "source": N_("Source"), "waived": N_("waived"), "by": N_("by"),
    "first_by": N_("first by"), "within": N_("within {} months"), "every": N_("every {} months"),
    "at_least": N_("at least"), "as_needed": N_("as the municipality judges"), "hours": N_("up to {} hours a week"),
    "yes": N_("yes"), "sets_aside": N_("sets aside"), "waived_by": N_("waived under"),
    "undetermined": N_("undetermined"), "whom": N_("at"),
})


def status_label(status: str, lang: str = "da") -> str:
    return STATUS.get(status, {}).get(lang, status)


def source_name(src: Source) -> str:
    """How a person cites a source: its ``label`` (``L 66 / lov nr. 1750 af 29.12.2025``) or its title.

    Never a file name: a seed is cited by its title, and its text is linked (see :func:`source_href`).
    """
    return getattr(src, "label", None) or src.title


def source_url(src: Source) -> str | None:
    """The public address of a source, when the registry gives one (``url``)."""
    url = getattr(src, "url", None)
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def source_href(src: Source, local: str = "/sources/") -> str | None:
    """Where a link to ``src`` goes: its public address, or for a seed (a document copied into
    ``rules/seeds/``) the page of that copy, ``local`` + its id (the web app's ``/sources/<id>``)."""
    url = source_url(src)
    if url:
        return url
    if src.kind == "seed":
        return f"{local}{src.id}"
    return None


def citations(rule: Rule, sources: dict[str, Source], local: str = "/sources/") -> list[dict]:
    """A rule's citations for display: the source's name, the locator (``at``), date, status and link."""
    out = []
    for c in rule.source:
        src = sources.get(c.ref)
        out.append({"ref": c.ref, "name": source_name(src) if src else c.ref, "at": c.at or None,
                    "quote": getattr(c, "quote", None) or None, "title": src.title if src else None,
                    "date": src.date.isoformat() if src and src.date else None,
                    "kind": src.kind if src else None, "status": src.status if src else None,
                    "url": source_url(src) if src else None,
                    "href": source_href(src, local) if src else None})
    return out


def citation_text(rule: Rule, sources: dict[str, Source]) -> str:
    """``Den kommunalpolitiske opgave …, slide "Hvad træder i kraft hvornår?"; L 66 / lov nr. 1750 …, § 1, nr. 4``.

    Each source by the name a person cites it by (never a file name), then the place in it.
    """
    parts = []
    for c in rule.source:
        src = sources.get(c.ref)
        name = source_name(src) if src else c.ref
        parts.append(f"{name}, {c.at}" if c.at else name)
    return "; ".join(parts)


def reason_text(rule: Rule, lang: str, effect: str, detail: str, aside_by: dict[str, list[Rule]]) -> str:
    text = rule.title[lang]
    words = LABELS[lang]
    if effect == "sets-aside" and rule.overrides:
        text += f" ({words['sets_aside']} {', '.join(rule.overrides)})"
    if effect == "waived":
        by = [r.id for r in aside_by.get(rule.id, []) if r.effect == "waive"]
        text += f" – {words['waived_by']} {', '.join(by)}"
    if detail:
        text += f" ({words['by']} {detail})"
    if rule.reason and rule.status == "provisional":
        text += f". {rule.reason[lang]}"
    return text


def names_by_id(ruleset: "RuleSet", lang: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for rule in ruleset.rules:
        value = rule.then_value
        if isinstance(value, dict) and "id" in value and "name" in value:
            names.setdefault(value["id"], value["name"][lang])
    for table in ruleset.vocabulary.tables.values():
        for term in table.terms.values():
            names.setdefault(term.id, term.title[lang])
    return names


def obligation_text(ob, lang: str, names: dict[str, str], shape: "AnswerShape") -> str:
    w = LABELS[lang]
    kind = kind_label(shape, ob.kind, ob.count, lang)
    if ob.hours_per_week:
        what = f"{kind}: {w['hours'].format(ob.hours_per_week)}"
    elif ob.count is None:
        what = f"{kind} {w['as_needed']}"
    else:
        what = f"{w['at_least']} {ob.count} {kind}"
    if ob.by_whom:
        what += f" {w['whom']} {safe_text(names.get(ob.by_whom, ob.by_whom))}"
    if ob.within_months:
        what += f" {w['within'].format(ob.within_months)}"
    if ob.every_months:
        what += f", {w['every'].format(ob.every_months)}"
    # a waived requirement has no deadline: it is reported (as waived) so the exception is visible
    if ob.first_by and not ob.waived:
        what += f", {w['first_by']} {ob.first_by}"
    if ob.by and not ob.waived:
        what += f", {w['by']} {ob.by}"
    if ob.waived:
        what += f" – {w['waived'].upper()} ({safe_text(ob.rule)})"
    return what


def answer_lines(answer: "Answer", ruleset: "RuleSet", lang: str, names: dict[str, str] | None = None) -> list[tuple]:
    """The decided fields as (label, text or list of texts), in declared order: the text answer's body."""
    w = LABELS[lang]
    names = names if names is not None else names_by_id(ruleset, lang)
    out: list[tuple] = []
    open_families = {ruleset.by_id[q["rule"]].family for q in answer.open_questions if q["rule"] in ruleset.by_id}
    for f in ruleset.answer.fields:
        value = answer.values.get(f.id)
        label = f.label[lang]
        missing = w["undetermined"] if f.decide == "exactly-one" or f.then in open_families else w["none"]
        if f.kind == "id":
            if not value:
                out.append((label, missing))
            elif isinstance(value, dict):
                extra = "".join(f"; {f.attribute_label(k, value[k], lang)}" for k in f.carry)
                out.append((label, f"{safe_text(names.get(value['id'], value['id']))} "
                                   f"({safe_text(value['id'])}{extra})"))
            else:
                out.append((label, f"{safe_text(names.get(value, value))} ({safe_text(value)})"
                            if f.decide == "exactly-one" else safe_text(names.get(value, value))))
        elif f.kind == "value":
            out.append((label, f.value_label(value, lang) if value else w["undetermined"]))
        elif f.kind == "flag":
            if value:
                out.append((label, w["yes"]))
        elif f.kind == "status":
            if value:
                out.append((label, [f"{safe_text(names.get(p['id'], p['id']))}: {f.value_label(p['status'], lang)}"
                                    for p in value]))
        elif f.kind == "obligation":
            if value:
                out.append((label, [obligation_text(ob, lang, names, ruleset.answer) for ob in value]))
            else:
                out.append((label, w["undetermined"] + f" ({w['questions'].lower()})" if f.then in open_families
                            else w["none"]))
    return out


def render_text(answer: "Answer", ruleset: "RuleSet", lang: str = "da") -> str:
    """The caseworker's answer: the decided fields in declared order, then numbered reasons with their sources."""
    w = LABELS[lang]
    names = names_by_id(ruleset, lang)
    lines = [f"{w['citizen']}: {safe_text(answer.citizen)}    {w['date']}: {answer.date}", ""]
    for label, value in answer_lines(answer, ruleset, lang, names):
        if isinstance(value, list):
            lines.append(f"{label}:")
            lines += [f"  - {item}" for item in value]
        else:
            lines.append(f"{label}: {value}")
    mark = "" if answer.status == "law" else "  (!)"
    lines.append(f"{w['status']}: {status_label(answer.status, lang)}{mark}")
    if answer.open_questions:
        lines += ["", f"{w['questions']}:"]
        for q in answer.open_questions:
            lines.append(f"  - {q['text']} [{safe_text(q['rule'])}]")
    lines += ["", f"{w['because']}:"]
    for i, r in enumerate(answer.explanation, 1):
        flag = "" if r.status == "law" else f" [{status_label(r.status, lang)}]"
        lines.append(f"  {i}. {r.text}{flag}")
        lines.append(f"     {w['source']}: {r.source}  ({safe_text(r.rule)})")
    return "\n".join(lines)


