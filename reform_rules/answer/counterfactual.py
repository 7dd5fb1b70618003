"""What would change the answer: the nearest facts and dates that give a different answer.

For one citizen on one date, each declared fact the rules compare is moved, one at a time, into the
nearest band or value that gives another answer, and the date is moved to the nearest change dates
before and after it (:func:`reform_rules.answer.timeline.change_points`). The bands come from the compiled
program: the constants rules compare a number or a date with (``program.thresholds``) and the values
they name (``program.listed``); between two constants every value gives the same answer, so one
representative per band is enough. A move is reported when it changes a declared answer field (the
target group, the contact requirements, sanctions, programmes, the trial …), with the rules that start
or stop applying — the rules that make the difference.

Nothing here names a fact of the law: the facts, their types, labels and measures come from the
vocabulary (``rules/vocabulary.yaml``), the answer fields from ``rules/the-answer.yaml``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable

from reform_rules.answer.explain import LABELS, names_by_id, obligation_text
from reform_rules.answer.rulebase import RuleBase
from reform_rules.answer.timeline import change_points
from reform_rules.basics import dates
from reform_rules.basics.errors import ReformError
from reform_rules.basics.i18n import N_, NP_, Words
from reform_rules.law.citizen import Citizen, measure_value, spell_date
from reform_rules.law.conditions import MEASURE_RANGE
from reform_rules.law.facts import Fact, Measure, SpellKind
from reform_rules.logic.compiler import canonical

ONE_DAY = timedelta(days=1)
MAX_LISTED = 4          # values named in a text before "and N more"

WORDS = Words({
    "from": N_("From {date}"), "until": N_("Until {date}"), "if": N_("If “{label}” were {value}"),
    "if_date": NP_("date", "If “{label}” were {value}"), "yes": N_("yes"), "no": N_("no"),
    "not_given": N_("not given"), "at_most": N_("at most {n}"), "or_more": N_("{n} or more"),
    "between": N_("{lo}–{hi}"), "before": N_("before {date}"), "on_or_after": N_("on or after {date}"),
    "other": N_("another value, e.g. {value}"), "one_of": N_("one of: {values}"), "more": N_("and {n} more"),
    "born_by": N_("born on or before {date}"), "born_after": N_("born on or after {date}"),
    "starts": N_("Rules that start to apply"), "stops": N_("Rules that no longer apply"),
    "title": N_("What could change the answer?"), "none": N_("Nothing nearby changes the answer."),
    "of_spell": N_("{label} ({kind} from {start})"),
})


@dataclass
class Change:
    """One move that changes the answer: what was moved, to what, and what it changes and why."""
    kind: str                    # 'date' or 'fact'
    fact: str                    # the date ('date'), a fact's or a measure's id
    label: str                   # the fact's or measure's declared label (the date: the word for it)
    values: list[Any]            # the value(s) tried (JSON: text, number, yes/no, ISO dates)
    value_text: str              # the value(s) in words ("26 eller mere", "<a date> eller senere")
    text: str                    # the move in words ("Hvis forventet fravær (uger) var 26 eller mere")
    date: str                    # the date the changed answer is for
    on: str = "citizen"          # 'citizen' or the spell kind the fact belongs to
    spell: int | None = None     # the spell's position in the citizen record
    changes: list[dict] = field(default_factory=list)   # [{field, label, before, after}]
    starts: list[dict] = field(default_factory=list)    # [{rule, title}]: rules that start to apply
    stops: list[dict] = field(default_factory=list)     # [{rule, title}]: rules that no longer apply

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def lines(self, lang: str = "da") -> list[str]:
        """The move as text: the move, each changed field, and the rules that make the difference."""
        w = WORDS[lang]
        out = [f"{self.text}:"]
        out += [f"  {c['label']}: {c['before']} → {c['after']}" for c in self.changes]
        for key, items in (("starts", self.starts), ("stops", self.stops)):
            if items:
                out.append(f"  {w[key]}: " + "; ".join(f"{r['title']} ({r['rule']})" for r in items))
        return out


# -- comparing answers ---------------------------------------------------------------------------------
def _field_text(f, value: Any, names: dict[str, str], ruleset, lang: str) -> str:
    words = LABELS[lang]
    if f.kind == "id":
        if not value:
            return words["undetermined"] if f.decide == "exactly-one" else words["none"]
        ident: str = value["id"] if isinstance(value, dict) else value
        return names.get(ident, ident)
    if f.kind == "value":
        return f.value_label(value, lang) if value else words["undetermined"]
    if f.kind == "flag":
        return words["yes"] if value else WORDS[lang]["no"]
    if f.kind == "status":
        return ", ".join(f"{names.get(p['id'], p['id'])}: {f.value_label(p['status'], lang)}" for p in value) \
            or words["none"]
    if f.kind == "obligation":
        return "; ".join(obligation_text(dataclasses.replace(ob, by=None, first_by=None), lang, names, ruleset.answer)
                         for ob in value) or words["none"]
    return str(value)


def _item_key(f, item: Any) -> Any:
    """One entry of a list field as what it requires or says: an obligation without its deadlines and
    without the rule behind it (the rules are listed on their own), a programme with its status."""
    if f.kind == "obligation":
        return (item.kind, item.count, item.within_months, item.every_months, item.hours_per_week, item.by_whom,
                item.waived)
    return (item["id"], item["status"])


def _key(f, value: Any) -> Any:
    """What makes two values of a field the same for this purpose."""
    if f.kind in ("obligation", "status"):
        return sorted(repr(_item_key(f, x)) for x in value or [])
    return value


def _only(f, value: Any, other: Any) -> list:
    """The entries of a list field in ``value`` that ``other`` does not have."""
    theirs = {repr(_item_key(f, x)) for x in other or []}
    return [x for x in value or [] if repr(_item_key(f, x)) not in theirs]


class _Compare:
    def __init__(self, base: RuleBase, citizen: Citizen, day: date, lang: str):
        self.base, self.lang = base, lang
        self.ruleset = base.ruleset
        self.names = names_by_id(self.ruleset, lang)
        self.answer = base.evaluate(citizen, day, lang=lang)
        self.key = self.signature(self.answer)
        self.rules = [r.rule for r in self.answer.explanation]

    def signature(self, answer) -> tuple:
        return tuple(repr(_key(f, answer.values.get(f.id))) for f in self.ruleset.answer.fields)

    def evaluate(self, citizen: Citizen, day: date):
        try:
            return self.base.evaluate(citizen, day, lang=self.lang)
        except (OverflowError, ValueError, ReformError):
            return None

    def differs(self, answer) -> bool:
        return answer is not None and self.signature(answer) != self.key

    def fill(self, change: Change, answer) -> Change:
        rs = self.ruleset
        for f in rs.answer.fields:
            before, after = self.answer.values.get(f.id), answer.values.get(f.id)
            if _key(f, before) == _key(f, after):
                continue
            if f.kind in ("obligation", "status"):   # a list: what goes ("–": nothing), and what comes
                gone, came = _only(f, before, after), _only(f, after, before)
                texts = [_field_text(f, x, self.names, rs, self.lang) if x else "–" for x in (gone, came)]
            else:
                texts = [_field_text(f, x, self.names, rs, self.lang) for x in (before, after)]
            change.changes.append({"field": f.id, "label": f.label[self.lang], "before": texts[0], "after": texts[1]})
        new = [r.rule for r in answer.explanation]
        change.starts = [self._rule(r) for r in new if r not in self.rules]
        change.stops = [self._rule(r) for r in self.rules if r not in new]
        return change

    def outcome(self, answer) -> tuple:
        """What a move leads to (moves with the same outcome are reported together)."""
        return self.signature(answer), tuple(r.rule for r in answer.explanation)

    def _rule(self, rule_id: str) -> dict[str, str]:
        rule = self.ruleset.by_id.get(rule_id)
        return {"rule": rule_id, "title": rule.title[self.lang] if rule else rule_id}


# -- bands ---------------------------------------------------------------------------------------------
def _bands(thresholds: list[int], low: int, high: int | None) -> list[tuple[int, int | None]]:
    """The bands ``[lo, hi]`` the constants ``value >= k`` cut ``[low, high]`` into."""
    cuts = [k for k in thresholds if k > low and (high is None or k <= high)]
    edges = [low] + cuts
    return [(lo, (edges[i + 1] - 1) if i + 1 < len(edges) else high) for i, lo in enumerate(edges)]


def _band_of(bands: list[tuple[int, int | None]], value: int) -> int:
    for i, (lo, hi) in enumerate(bands):
        if value >= lo and (hi is None or value <= hi):
            return i
    return 0 if value < bands[0][0] else len(bands) - 1


def _band_text(lo: int, hi: int | None, low: int, lang: str) -> str:
    w = WORDS[lang]
    if hi is None:
        return w["or_more"].format(n=lo)
    if lo <= low:
        return w["at_most"].format(n=hi)
    return str(lo) if lo == hi else w["between"].format(lo=lo, hi=hi)


def _outward(current: int | None, count: int) -> list[list[int]]:
    """Band indexes to try, nearest first, each direction on its own (all bands when nothing is known)."""
    if current is None:
        return [[i] for i in range(count)]
    return [list(range(current - 1, -1, -1)), list(range(current + 1, count))]


# -- the moves -----------------------------------------------------------------------------------------
def what_would_change(base: RuleBase, citizen: Citizen, day: date, lang: str = "da") -> list[Change]:
    """The nearest moves of one fact, or of the date, that change the answer for ``citizen`` on ``day``."""
    cmp = _Compare(base, citizen, day, lang)
    out: list[Change] = []
    out += _date_moves(cmp, citizen, day)
    tested = _tested(base)
    record = citizen.to_dict()
    v = base.ruleset.vocabulary
    for fact in v.facts:
        out += _fact_moves(cmp, citizen, record, day, fact, None, None, tested)
    for i, spell in enumerate(citizen.spells):
        if not spell.covers(day):
            continue
        kind = v.spell_kind(spell.kind)
        if kind is None:
            continue
        for fact in kind.facts:
            if fact.only_with and spell.id not in fact.only_with:
                continue
            out += _fact_moves(cmp, citizen, record, day, fact, kind, i, tested)
        for measure in kind.measures:
            if measure.kind == "date":
                out += _spell_date_moves(cmp, record, day, measure, kind, i, spell, tested)
    for change in out:   # a spell by its place in the record as given (the order of the form's rows)
        if change.spell is not None:
            change.spell = citizen.spells[change.spell].index
    return out


def _tested(base: RuleBase) -> set[str]:
    """Every name a rule's condition tests."""
    names: set[str] = set()
    for rule in base.ruleset.rules:
        names |= {t.key for t in rule.condition.walk()}
    return names


def _parse(base: RuleBase, record: dict) -> Citizen | None:
    try:
        return base.parse_citizen(record, "citizen")
    except ReformError:
        return None


def _date_moves(cmp: _Compare, citizen: Citizen, day: date) -> list[Change]:
    """The nearest dates after and before ``day`` on which the answer is another."""
    w = WORDS[cmp.lang]
    horizon = cmp.ruleset.vocabulary.horizon or (day, day)
    start = min(horizon[0], day - timedelta(days=366))
    end = max(horizon[1], day + timedelta(days=366))
    out: list[Change] = []
    label = LABELS[cmp.lang]["date"]
    for point in sorted(change_points(cmp.base, citizen, day, end)):
        answer = cmp.evaluate(citizen, point)
        if cmp.differs(answer):
            out.append(cmp.fill(Change("date", "date", label, [point.isoformat()], point.isoformat(),
                                       w["from"].format(date=point.isoformat()), point.isoformat()), answer))
            break
    for point in sorted(change_points(cmp.base, citizen, start, day), reverse=True):
        before = point - ONE_DAY
        answer = cmp.evaluate(citizen, before)
        if cmp.differs(answer):
            out.insert(0, cmp.fill(Change("date", "date", label, [before.isoformat()], before.isoformat(),
                                          w["until"].format(date=before.isoformat()), before.isoformat()), answer))
            break
    return out


def _set(record: dict, fact: Fact, spell: int | None, value: Any) -> dict:
    out = {**record, "spells": [dict(s) for s in record.get("spells", [])]}
    target = out if spell is None else out["spells"][spell]
    if value is None:
        target.pop(fact.id, None)
    else:
        target[fact.id] = value.isoformat() if isinstance(value, date) else value
    return out


def _fact_moves(cmp: _Compare, citizen: Citizen, record: dict, day: date, fact: Fact, kind: SpellKind | None,
                spell: int | None, tested: set[str]) -> list[Change]:
    """The nearest values of one fact that change the answer."""
    base, lang = cmp.base, cmp.lang
    w = WORDS[lang]
    holder = citizen.spells[spell] if spell is not None else citizen
    current = holder.get(fact.id)
    if current is None:
        current = fact.default
    label = fact.label.get(lang, fact.id)
    on = kind.kind if kind else "citizen"

    def change(values: list[Any], value_text: str, answer) -> Change:
        return cmp.fill(Change("fact", fact.id, label, [x.isoformat() if isinstance(x, date) else x for x in values],
                               value_text, w["if"].format(label=label, value=value_text),
                               day.isoformat(), on, spell), answer)

    def tried(value: Any):
        variant = _parse(base, _set(record, fact, spell, value))
        return cmp.evaluate(variant, day) if variant is not None else None

    if fact.type == "date":
        return [] if spell is not None else _measure_moves(cmp, record, day, fact, current, tested, change)
    if fact.id not in tested:
        return []
    if fact.type == "bool":
        return _bool_moves(cmp, current, tried, change)
    if fact.type == "choice":
        return _choice_moves(cmp, fact, current, tried, change)
    if fact.type == "integer":
        return _integer_moves(cmp, fact, current, tried, change)
    return []


def _bool_moves(cmp: _Compare, current: Any, tried, change) -> list[Change]:
    """The other truth value, if it changes the answer."""
    w = WORDS[cmp.lang]
    out = []
    for value in (True, False):
        if value != current:
            answer = tried(value)
            if cmp.differs(answer):
                out.append(change([value], w["yes"] if value else w["no"], answer))
    return out


def _integer_moves(cmp: _Compare, fact: Fact, current: Any, tried, change) -> list[Change]:
    """The nearest band of the rules' thresholds, each way from the current value, that changes the answer."""
    low = fact.minimum or 0
    bands = _bands(cmp.base.program.thresholds.get(fact.id, []), low, None)
    if len(bands) < 2:
        return []
    here = _band_of(bands, current) if isinstance(current, int) else None
    out = []
    for direction in _outward(here, len(bands)):
        for i in direction:
            lo, hi = bands[i]
            value = lo if here is None or i > here else (hi if hi is not None else lo)
            answer = tried(value)
            if cmp.differs(answer):
                out.append(change([value], _band_text(lo, hi, low, cmp.lang), answer))
                break
    return out


def _choice_moves(cmp: _Compare, fact: Fact, current: Any, tried, change) -> list[Change]:
    """Each value the rules name (and one they do not), grouped by what it leads to."""
    lang = cmp.lang
    w = WORDS[lang]
    table = cmp.ruleset.vocabulary.table(fact.values or "")
    listed = [x for x in table if x in cmp.base.program.listed.get(fact.id, ())]
    others = [x for x in table if x not in listed]
    candidates = [x for x in listed if x != current]
    if others and (current in listed or current is None):
        candidates.append(others[0])
    groups: dict[tuple, tuple[list[str], Any]] = {}
    for value in candidates:
        answer = tried(value)
        if cmp.differs(answer):
            groups.setdefault(cmp.outcome(answer), ([], answer))[0].append(value)
    out = []
    for values, answer in groups.values():
        titles = [cmp.ruleset.vocabulary.title(fact.values or "", x, lang) for x in values]
        if values == [x for x in values if x in others] and len(others) > 1:
            text = w["other"].format(value=titles[0])
        elif len(titles) == 1:
            text = titles[0]
        else:
            shown = ", ".join(titles[:MAX_LISTED])
            if len(titles) > MAX_LISTED:
                shown += " " + w["more"].format(n=len(titles) - MAX_LISTED)
            text = w["one_of"].format(values=shown)
        out.append(change(values, text, answer))
    return out


def _origin_for(measure: Measure, value: int, day: date) -> date:
    """The latest date whose measure on ``day`` is ``value`` (an age of exactly ``value`` years today …)."""
    if measure.kind == "years_since":
        return dates.add_months(day, -12 * value)
    if measure.kind == "months_since":
        return dates.add_months(day, -value)
    return day - timedelta(days=7 * value)


def _measure_moves(cmp: _Compare, record: dict, day: date, fact: Fact, current: date | None, tested: set[str],
                   change) -> list[Change]:
    """A date fact on the citizen moved so that a measure of it (an age …) falls in the nearest other band."""
    base, lang = cmp.base, cmp.lang
    w = WORDS[lang]
    out: list[Change] = []
    for measure in fact.measures:
        if measure.id not in tested or measure.kind == "date":
            continue
        low, high = MEASURE_RANGE[measure.kind]
        bands = _bands(base.program.thresholds.get(measure.id, []), low, None)
        if len(bands) < 2:
            continue
        here = _band_of(bands, measure_value(measure.kind, current, day)) if current else None
        for direction in _outward(here, len(bands)):
            for i in direction:
                lo, hi = bands[i]
                if here is None or i > here:     # the latest origin in the band: just reached its lower end
                    origin, born = _origin_for(measure, lo, day), "born_by"
                else:                            # the earliest: just below the next band's lower end
                    origin, born = _origin_for(measure, (hi or lo) + 1, day) + ONE_DAY, "born_after"
                variant = _parse(base, _set(record, fact, None, origin))
                answer = cmp.evaluate(variant, day) if variant is not None else None
                if cmp.differs(answer):
                    band = _band_text(lo, hi, low, lang)
                    text = f"{band} ({w[born].format(date=origin.isoformat())})"
                    item = change([origin], text, answer)
                    item.fact, item.label = measure.id, measure.label.get(lang, measure.id)
                    item.text = w["if"].format(label=item.label, value=text)
                    out.append(item)
                    break
    return out


def _spell_date_moves(cmp: _Compare, record: dict, day: date, measure: Measure, kind: SpellKind, i: int, spell,
                      tested: set[str]) -> list[Change]:
    """A spell's date (its first day, a grant …) moved across the nearest date a rule compares it with."""
    if measure.id not in tested:
        return []
    base, lang = cmp.base, cmp.lang
    w = WORDS[lang]
    current = spell_date(spell, measure.of, kind)
    if current is None:
        return []
    cuts = [dates.from_ordinal(k) for k in base.program.thresholds.get(measure.id, [])]
    later = [k for k in cuts if k > current]
    earlier = [k for k in cuts if k <= current]
    moves = [(k, w["on_or_after"].format(date=k.isoformat())) for k in later] + \
            [(k - ONE_DAY, w["before"].format(date=k.isoformat())) for k in reversed(earlier)]
    out: list[Change] = []
    done = {"later": False, "earlier": False}
    for moved, text in moves:
        side = "later" if moved > current else "earlier"
        if done[side] or moved > day or (spell.end and moved > spell.end and measure.of == "from"):
            continue   # a spell's dates stay on or before the date asked about, and its first day before its last
        if not _alone(base, kind, measure, current, moved, day):
            continue   # the move would change another measure of the same date too: not one fact at a time
        changed = {**record, "spells": [dict(s) for s in record.get("spells", [])]}
        for other in kind.facts:   # a date that defaults to this one keeps its own value
            if other.default_of == measure.of and other.id not in changed["spells"][i]:
                changed["spells"][i][other.id] = current.isoformat()
        changed["spells"][i][measure.of] = moved.isoformat()
        variant = _parse(base, changed)
        answer = cmp.evaluate(variant, day) if variant is not None else None
        if cmp.differs(answer):
            label = measure.label.get(lang, measure.id)
            out.append(cmp.fill(Change("fact", measure.id, label, [moved.isoformat()], text,
                                       w["if_date"].format(label=label.lower() if lang == "da" else label,
                                                           value=text),
                                       day.isoformat(), kind.kind, i), answer))
            done[side] = True
    return out


def _alone(base: RuleBase, kind: SpellKind, measure: Measure, current: date, moved: date, day: date) -> bool:
    """Does moving the date ``measure`` is of leave every other measure of that date in its band?"""
    for other in kind.measures:
        if other is measure or other.of != measure.of or other.kind == "date":
            continue
        cuts = base.program.thresholds.get(other.id, [])
        if canonical(measure_value(other.kind, current, day), cuts) != canonical(measure_value(other.kind, moved, day),
                                                                                 cuts):
            return False
    return True


def lines(changes: Iterable[Change], lang: str = "da") -> list[str]:
    """The list as text, for ``reform query --what-if``."""
    w = WORDS[lang]
    changes = list(changes)
    out = [w["title"]]
    if not changes:
        return out + ["  " + w["none"]]
    for n, change in enumerate(changes, 1):
        first, *rest = change.lines(lang)
        out.append(f"{n}. {first}")
        out += ["  " + line for line in rest]
    return out


__all__ = ["Change", "WORDS", "lines", "what_would_change"]
