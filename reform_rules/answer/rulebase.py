"""``RuleBase.load(path).evaluate(citizen, date) -> Answer``: the typed Python API."""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from reform_rules.answer.answer import Answer, Obligation, Reason
from reform_rules.answer.explain import citation_text, reason_text
from reform_rules.answer.receipt import RulesLocation, make_receipt, rules_hash
from reform_rules.basics import dates
from reform_rules.basics.errors import CitizenError
from reform_rules.basics.i18n import gettext
from reform_rules.basics.version import __version__
from reform_rules.law.answer_fields import AnswerShape
from reform_rules.law.citizen import Citizen, Situation, load_citizen, parse_citizen, situation
from reform_rules.law.model import NONE, UNDETERMINED, Rule, RuleSet, weakest
from reform_rules.law.rules_dir import default_rules_dir
from reform_rules.law.ruleset import read_rules
from reform_rules.logic.certificate import Status as CertificateStatus
from reform_rules.logic.certificate import status as certificate_status
from reform_rules.logic.compiler import Program, compile_rules, situation_facts
from reform_rules.logic.kb import Derivation, KnowledgeBase

CACHE_SIZE = 100_000
__all__ = ["RuleBase", "build_answer", "default_rules_dir", "parse_query_date"]


def parse_query_date(value: Any, field: str = "date") -> date:
    """A query date, or a CitizenError naming the field."""
    try:
        day = dates.parse_date(value)
    except ValueError as exc:
        raise CitizenError(f"{field}: {exc}") from None
    if not 1900 <= day.year <= 2200:
        raise CitizenError(f"{field}: {day} is outside the years 1900–2200")
    return day


class RuleBase:
    """A loaded, compiled rule set that answers questions about citizens."""

    def __init__(self, ruleset: RuleSet, revision: tuple[str, bool] | None | bool = True):
        self.ruleset = ruleset
        self.program: Program = compile_rules(ruleset)
        self.kb = KnowledgeBase(self.program)
        self._cache: OrderedDict[tuple, Derivation] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.rules_hash = rules_hash(ruleset.documents)
        self._revision = revision  # True: ask git lazily; None: no history; or (hash, dirty)

    @property
    def rules_revision(self) -> str | None:
        return self._resolve_revision()[0]

    @property
    def rules_dirty(self) -> bool:
        return self._resolve_revision()[1]

    def _resolve_revision(self) -> tuple[str | None, bool]:
        if self._revision is True:
            loc = RulesLocation.of(self.ruleset.directory)
            self._revision = loc.revision() if loc else None
        return self._revision if self._revision else (None, False)

    @cached_property
    def certificate(self) -> CertificateStatus:
        """Whether ``reform check`` certified exactly these rules (:mod:`reform_rules.logic.certificate`)."""
        return certificate_status(self.ruleset.directory, self.rules_hash)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "RuleBase":
        """Read, validate and compile every rule file in ``path`` (all or nothing)."""
        return cls(read_rules(path or default_rules_dir()))

    # -- citizens ---------------------------------------------------------------------------
    def load_citizen(self, path: str | Path) -> Citizen:
        return load_citizen(path, self.ruleset.vocabulary)

    def parse_citizen(self, data: Any, label: str = "citizen") -> Citizen:
        return parse_citizen(data, self.ruleset.vocabulary, label)

    # -- reasoning --------------------------------------------------------------------------
    def situation(self, citizen: Citizen, day: date) -> Situation:
        return situation(citizen, day, self.ruleset.vocabulary)

    def derive_facts(self, facts: tuple) -> Derivation:
        """The derivation for canonical facts, from the cache or the Datalog engine."""
        with self._cache_lock:
            hit = self._cache.get(facts)
            if hit is not None:
                self._cache.move_to_end(facts)
                return hit
        result = self.kb.derive(facts)
        with self._cache_lock:
            self._cache[facts] = result
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def derive(self, citizen: Citizen, day: date) -> tuple[Situation, Derivation]:
        sit = self.situation(citizen, day)
        return sit, self.derive_facts(situation_facts(sit, self.program))

    def evaluate(self, citizen: Citizen, day: date | str, lang: str = "da", receipt: bool = False) -> Answer:
        """The answer for ``citizen`` on ``day``, with reasons in ``lang`` ('da' or 'en').

        With ``receipt``, the answer carries the receipt that lets ``reform verify`` check it later.
        """
        if not isinstance(day, date):
            day = parse_query_date(day)
        sit, (holding, setaside) = self.derive(citizen, day)
        answer = build_answer(self.ruleset, citizen, sit, holding, setaside, lang)
        if receipt:
            answer.receipt = make_receipt(self, citizen, day, __version__, lang)
        return answer


def _name(rule: Rule, lang: str) -> str | None:
    value = rule.then_value
    if isinstance(value, dict) and "name" in value:
        return value["name"].get(lang)
    return None


def obligation_due(rule: Rule, sit: Situation, waived_by: Rule | None) -> Obligation:
    spec = rule.then_value
    start = sit.spell.start if sit.spell else None
    within = spec.get("within_months")
    every = spec.get("every_months")
    by = None
    if start and within:
        by = dates.window_end(start, within)
    elif start and every:
        cycle = max(dates.completed_months(start, sit.day), 0) // every
        by = dates.window_end(start, every * (cycle + 1))
    first_by = None
    if start and spec.get("first_within_weeks"):
        first_by = dates.weeks_end(start, spec["first_within_weeks"])
    return Obligation(kind=spec["kind"], count=spec.get("count"), within_months=within, by=dates.iso(by),
                      waived=waived_by is not None, rule=waived_by.id if waived_by else rule.id,
                      requirement=rule.id, by_whom=spec.get("by_whom"), first_by=dates.iso(first_by),
                      every_months=every, hours_per_week=spec.get("hours_per_week"))


def _apply_then(shape: AnswerShape, rule: Rule, sit: Situation, values: dict[str, Any],
                deciding: dict[str, list[Rule]]) -> str:
    """Put what a holding rule decides into its field of the answer (and note the rule as deciding it);
    the detail for its reason: an obligation's deadline, else empty."""
    f, value = shape.by_then(rule.then_kind or rule.family), rule.then_value
    if f is None or not rule.then_kind:
        return ""
    deciding[f.id].append(rule)
    if value == NONE:
        pass   # decided: the field holds nothing, and the reason says why
    elif f.kind == "id":
        if value != UNDETERMINED:
            values[f.id] = {"id": value["id"], **{k: value[k] for k in f.carry}} if f.carry else value["id"]
    elif f.kind == "value":
        values[f.id] = None if value == UNDETERMINED else value
    elif f.kind == "flag":
        values[f.id] = bool(value)
    elif f.kind == "status":
        if not any(p["id"] == value["id"] for p in values[f.id]):
            values[f.id].append({"id": value["id"], "status": value["status"]})
    elif f.kind == "obligation" and value != UNDETERMINED:
        ob = obligation_due(rule, sit, None)
        values[f.id].append(ob)
        return ob.by or ""
    return ""


def _waived_obligations(ruleset: RuleSet, rule: Rule,
                        setaside: tuple[tuple[str, str], ...]) -> list[tuple[Rule, str]]:
    """The obligations (with a definite value) that this exception waives, each with its field's id, in the
    order they were set aside."""
    if rule.effect != "waive":
        return []
    waived = []
    for target, by in setaside:
        if by == rule.id:
            base = ruleset.rule(target)
            bf = ruleset.answer.by_then(base.then_kind or "")
            if bf is not None and bf.kind == "obligation" and base.then_value not in (UNDETERMINED, NONE):
                waived.append((base, bf.id))
    return waived


def _undecided_questions(ruleset: RuleSet, values: dict[str, Any], deciding: dict[str, list[Rule]],
                         lang: str) -> list[dict]:
    """The open questions for fields that exactly one rule must decide but several or none did (a field
    that several decide is emptied)."""
    questions: list[dict] = []
    for f in ruleset.answer.fields:
        if f.decide != "exactly-one" or not ruleset.in_family(f.then):
            continue
        found = deciding[f.id]
        if len(found) > 1:
            values[f.id] = None
            questions.append({"rule": ",".join(r.id for r in found),
                              "text": gettext("Several rules each decide a {field}: {rules}", lang).format(
                                  field=f.label[lang].lower(), rules=", ".join(r.id for r in found))})
        elif not found:
            text = gettext("No rule decides the {field} for this situation (is information missing, e.g. date of "
                           "birth or assessment?).", lang).format(field=f.label[lang].lower())
            questions.append({"rule": f.id.replace("_", "-"), "text": text})
    return questions


def build_answer(ruleset: RuleSet, citizen: Citizen, sit: Situation, holding: tuple[str, ...],
                 setaside: tuple[tuple[str, str], ...], lang: str = "da", explain: bool = True) -> Answer:
    """Assemble the answer from the rules that hold and the exceptions that set others aside, field by
    field as the answer's declaration says (``explain=False``: without the explanation)."""
    shape = ruleset.answer
    order = {family: i for i, family in enumerate(shape.families)}
    rules = sorted((ruleset.rule(r) for r in holding), key=lambda r: (order.get(r.family, len(order)), r.position))
    aside_by: dict[str, list[Rule]] = {}
    for target, by in setaside:
        aside_by.setdefault(target, []).append(ruleset.rule(by))
    values: dict[str, Any] = {f.id: [] if f.kind in ("status", "obligation") else (False if f.kind == "flag" else None)
                              for f in shape.fields}
    deciding: dict[str, list[Rule]] = {f.id: [] for f in shape.fields}
    questions: list[dict] = []
    used: list[Rule] = []
    reasons: list[Reason] = []

    def reason(rule: Rule, effect: str = "applies", detail: str = "") -> None:
        if explain:
            reasons.append(Reason(rule=rule.id, text=reason_text(rule, lang, effect, detail, aside_by),
                                  source=citation_text(rule, ruleset.sources), status=rule.status,
                                  title=rule.title[lang], effect=effect, undetermined=rule.undetermined))
        if rule.undetermined and rule.question:
            questions.append({"rule": rule.id, "text": rule.question[lang]})

    for rule in rules:
        used.append(rule)
        detail = _apply_then(shape, rule, sit, values, deciding)
        reason(rule, "sets-aside" if rule.overrides else "applies", detail)
        # Obligations an exception waives are still reported, marked waived, beside it.
        for base, field_id in _waived_obligations(ruleset, rule, setaside):
            values[field_id].append(obligation_due(base, sit, rule))
            used.append(base)
            reason(base, "waived")
    questions.extend(_undecided_questions(ruleset, values, deciding, lang))
    counted = {f.then for f in shape.fields if f.in_status}
    return Answer(citizen=citizen.id, date=sit.day.isoformat(), values=values,
                  status=weakest(r.status for r in used if r.family in counted), open_questions=questions,
                  explanation=reasons, lang=lang)
