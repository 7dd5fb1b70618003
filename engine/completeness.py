"""Completeness and uniqueness: every situation on every date where a rule changes gets exactly
one phase and one target group (or a declared ``undetermined``), and no two rules give
conflicting values for a field that has one value (sanctionable, trial, a programme's status).
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from .batch_codes import Analysis, Components, Projection
from .compiler import situation_facts
from .conditions import DERIVED
from .model import UNDETERMINED, Rule
from .situations import Bands, Probe, check_dates, family_keys, possible_on, probes

# Every field of the answer is proved decided in every situation and on every date: by a rule that gives it
# a value, by an explicit "none" rule with its own source, or by an undetermined rule with its question.
BATCH = 400


@dataclass
class Finding:
    kind: str            # gap | overlap | undetermined
    family: str
    rules: tuple[str, ...]
    situation: str
    dates: list[date] = field(default_factory=list)

    def span(self) -> str:
        if not self.dates:
            return ""
        return self.dates[0].isoformat() if len(self.dates) == 1 else \
            f"{self.dates[0].isoformat()} … {self.dates[-1].isoformat()} ({len(self.dates)} dates)"


@dataclass
class Coverage:
    pairs: int = 0          # situation × date pairs checked
    distinct: int = 0       # distinct canonical situations evaluated by Datalog
    situations: int = 0
    dates: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)


def _value(rule: Rule, field=None):
    v = rule.then_value
    if field is not None and field.kind == "status":
        return (v["id"], v["status"])
    if isinstance(v, dict) and "id" in v:
        return v["id"]
    return v


def check_completeness(base, lo: date, hi: date, families: tuple[str, ...] | None = None) -> Coverage:
    """Enumerate the situation space of ``base`` against every change date in [lo, hi]."""
    start = time.perf_counter()
    ruleset, program = base.ruleset, base.program
    shape = ruleset.answer
    if families is None:
        families = tuple(f.then for f in shape.fields)
    bands = Bands([program], ruleset.vocabulary)
    days = check_dates([program], lo, hi)
    cov = Coverage(dates=len(days))
    found: dict[tuple, Finding] = {}
    seen_situations: set[Probe] = set()
    comp = Components(ruleset.vocabulary, program)
    an = Analysis(ruleset, comp)
    project = Projection(an)
    group_units = [u for u in an.units if an.unit_family[u] == DERIVED]
    for family in families:
        rules = ruleset.in_family(family)
        if not rules:
            continue
        units = [u for u in an.units if an.unit_family[u] == family]
        keys = family_keys(ruleset, family) | {ruleset.vocabulary.current.kind}
        # Situations a family's units cannot tell apart get the same rules from it: one derivation each.
        todo: dict[tuple, list[tuple[Probe, date]]] = defaultdict(list)
        facts_of: dict[tuple, tuple] = {}
        for probe in probes(ruleset, bands, keys):
            seen_situations.add(probe)
            for day in days:
                if not possible_on(probe, day, bands):
                    continue
                sit = probe.situation(day)
                codes, _ = comp.situation_codes(sit)
                cls = comp.cls(codes)
                key = tuple(project.key(u, day, codes, cls) for u in units)
                if family != DERIVED and any(project.reads_group(u, day, cls) for u in units):
                    key += tuple(project.key(u, day, codes, cls) for u in group_units)
                if key not in facts_of:
                    facts_of[key] = situation_facts(sit, program)
                todo[key].append((probe, day))
                cov.pairs += 1
        groups = list(todo)
        cov.distinct += len(groups)
        for i in range(0, len(groups), BATCH):
            chunk = groups[i:i + BATCH]
            for key, holding in zip(chunk, base.kb.holding([facts_of[k] for k in chunk], family)):
                mine = [ruleset.rule(r) for r in holding]
                for kind, rules_ in _judge(shape.by_then(family), mine):
                    for probe, day in todo[key]:
                        desc = probe.describe(bands)
                        f = found.setdefault((kind, family, rules_, desc), Finding(kind, family, rules_, desc))
                        f.dates.append(day)
    for f in found.values():
        f.dates.sort()
    cov.findings = sorted(found.values(), key=lambda f: (f.kind, f.family, f.rules, f.situation))
    cov.situations = len(seen_situations)
    cov.seconds = time.perf_counter() - start
    return cov


def _derive(base, chunk: list[tuple]) -> list:
    out = []
    missing = []
    for key in chunk:
        hit = base._cache.get(key)
        out.append(hit)
        if hit is None:
            missing.append(key)
    if missing:
        derived = dict(zip(missing, base.kb.derive_many(missing)))
        out = [o if o is not None else derived[k] for o, k in zip(out, chunk)]
    return out


def _judge(field, rules: list[Rule]):
    undetermined = tuple(sorted(r.id for r in rules if r.undetermined))
    if not rules:
        yield "gap", ()    # silent: no rule decides this field here
        return
    if field.decide == "any":
        return
    if field.decide == "one-per-id":
        by_id: dict[str, set] = defaultdict(set)
        owners: dict[str, list[str]] = defaultdict(list)
        for r in rules:
            by_id[r.then_value["id"]].add(r.then_value["status"])
            owners[r.then_value["id"]].append(r.id)
        for pid, statuses in by_id.items():
            if len(statuses) > 1:
                yield "overlap", tuple(sorted(owners[pid]))
        return
    values = {_value(r, field) for r in rules}
    if len(values) > 1:
        yield "overlap", tuple(sorted(r.id for r in rules))
    elif undetermined and values == {UNDETERMINED}:
        yield "undetermined", undetermined
