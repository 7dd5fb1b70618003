"""``reform diff OLD NEW``: what an edit of the rules changes — in the rules, and in the answers.

OLD and NEW are rules directories or git revisions (``HEAD~1``, ``main``, ``abc123:rules``). The
answers are compared over the situation space both rule sets can tell apart (see situations.py),
on every date on which a rule of either changes.
"""
from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reform_rules.answer.rulebase import RuleBase
from reform_rules.basics.errors import ReformError
from reform_rules.basics.i18n import translator
from reform_rules.law.conditions import DERIVED
from reform_rules.law.model import UNDETERMINED, Rule
from reform_rules.logic.compiler import situation_facts
from reform_rules.logic.completeness import family_groups
from reform_rules.logic.parallel import derive_all
from reform_rules.logic.situations import Bands, Probe, check_dates, family_keys, possible_on, probes

RULE_FIELDS = ("title", "valid_from", "valid_to", "status", "source", "reason", "question", "condition", "overrides",
               "effect", "then_kind", "then_value")


class DiffError(ReformError):
    exit_code = 2


def resolve(spec: str, workdir: Path) -> Path:
    """A rules directory for ``spec``: the directory itself, or ``rules/`` of a git revision."""
    path = Path(spec)
    if path.is_dir():
        return path
    rev, _, sub = spec.partition(":")
    sub = sub or "rules"
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                             check=True).stdout.strip()
        data = subprocess.run(["git", "-C", top, "archive", "--format=tar", rev, sub], capture_output=True,
                              check=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise DiffError(f"{spec}: neither a rules directory nor a git revision with {sub}/") from None
    import io
    import tarfile
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / sub


@dataclass
class RuleChange:
    kind: str  # added | removed | edited
    rule: str
    file: str
    fields: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)


@dataclass
class AnswerChange:
    field: str
    old: str
    new: str
    dates: set[date] = dataclasses.field(default_factory=set)   # (``field`` is a field's name here)
    situations: set[str] = dataclasses.field(default_factory=set)

    def line(self, lang: str | None = None) -> str:
        """The change in words, in ``lang`` (the values and situations as the rules name them)."""
        t = translator(lang)
        ds = sorted(self.dates)
        when = t.gettext("on {date}").format(date=ds[0]) if len(ds) == 1 else \
            t.gettext("from {first} ({n} change dates, last {last})").format(first=ds[0], n=len(ds), last=ds[-1])
        n = len(self.situations)
        return t.ngettext("{when}: {n} situation moves {field} from {old} to {new}",
                          "{when}: {n} situations move {field} from {old} to {new}", n).format(
            when=when, n=n, field=self.field, old=self.old, new=self.new)


def rule_changes(old: RuleBase, new: RuleBase) -> list[RuleChange]:
    a, b = old.ruleset.by_id, new.ruleset.by_id
    out = []
    for rid in sorted(set(a) | set(b)):
        if rid not in b:
            out.append(RuleChange("removed", rid, a[rid].file))
        elif rid not in a:
            out.append(RuleChange("added", rid, b[rid].file))
        else:
            changed = [f for f in RULE_FIELDS if getattr(a[rid], f) != getattr(b[rid], f)]
            if changed:
                detail = [f"{f}: {_show(getattr(a[rid], f))} → {_show(getattr(b[rid], f))}" for f in changed
                          if f in ("valid_from", "valid_to", "status", "effect", "overrides")]
                out.append(RuleChange("edited", rid, b[rid].file, changed, detail))
    return out


def _show(value) -> str:
    return "—" if value in (None, ()) else (value.isoformat() if hasattr(value, "isoformat") else str(value))


def _value(rule: Rule, shape) -> str:
    v = rule.then_value
    f = shape.by_then(rule.then_kind or "")
    kind = f.kind if f else ""
    if kind == "status":
        return f"{v['id']}: {v['status']}"
    if kind == "obligation":
        if v == UNDETERMINED:
            return UNDETERMINED
        months = v.get("within_months") or v.get("every_months") or "-"
        return f"{v.get('count')}× {v['kind']} {months}m @{v.get('by_whom') or '-'}"
    return v["id"] if isinstance(v, dict) and "id" in v else str(v)



def _touched(old: RuleBase, new: RuleBase, changed: list[RuleChange]) -> set[str]:
    """The answer fields (families) an edit can move: those of the changed rules, and, when the target group
    moves, those whose rules read it."""
    touched = {r.family for ch in changed for base in (old, new) if (r := base.ruleset.by_id.get(ch.rule))}
    if DERIVED in touched:
        touched |= {r.family for base in (old, new) for r in base.ruleset.rules if DERIVED in r.condition.keys()}
    return touched


def _family_keys(old: RuleBase, new: RuleBase, changed: list[RuleChange], family: str) -> set[str]:
    """The facts to vary for ``family``: all its rules read, or for an obligation (many dimensions) only what
    the changed rules test."""
    current = new.ruleset.vocabulary.current.kind
    shape = new.ruleset.answer.by_then(family) or old.ruleset.answer.by_then(family)
    if shape is None or shape.kind != "obligation":
        return {current} | family_keys(old.ruleset, family) | family_keys(new.ruleset, family)
    keys = {current}
    for ch in changed:
        for base in (old, new):
            r = base.ruleset.by_id.get(ch.rule)
            if r and r.family == family:
                keys |= r.condition.keys()
    return keys


def _values(base: RuleBase, family: str, cells: list[tuple[Probe, date]], days: list[date]) -> list[str]:
    """What ``base`` decides for ``family`` in each cell, in words: one derivation per group of cells its rules
    cannot tell apart (the proof's grouping), in forked helpers (one situation at a time: pyDatalog is far
    slower set-at-a-time here)."""
    if family not in base.program.families:
        return ["—"] * len(cells)
    dense, first = family_groups(base, family, cells, days)
    facts = [situation_facts(cells[i][0].situation(cells[i][1]), base.program) for i in first.tolist()]
    rule, answer = base.ruleset.rule, base.ruleset.answer
    words = []
    for holding, _aside in derive_all(base, facts):
        mine = {_value(rule(r), answer) for r in holding if rule(r).family == family and rule(r).then_kind}
        words.append(", ".join(sorted(mine)) or "—")
    return [words[g] for g in dense.tolist()]


def answer_changes(old: RuleBase, new: RuleBase, changed: list[RuleChange], lo: date, hi: date,
                   families: tuple[str, ...] | None = None,
                   progress: Callable[[int, int, str], None] | None = None) -> tuple[list[AnswerChange], int]:
    """Situations whose decided values differ, per answer field, over the space that field depends on;
    ``progress(done, total, field)`` is told as each field is compared."""
    if families is None:
        families = tuple(dict.fromkeys(new.ruleset.families + old.ruleset.families))
    touched = _touched(old, new, changed)
    bands = Bands([old.program, new.program], new.ruleset.vocabulary)
    days = check_dates([old.program, new.program], lo, hi)
    groups: dict[tuple, AnswerChange] = {}
    pairs = 0
    todo = [f for f in families if f in touched]
    for done, family in enumerate(todo):
        if progress is not None:
            progress(done, len(todo), family)
        cells = [(probe, day) for probe in probes(new.ruleset, bands, _family_keys(old, new, changed, family))
                 for day in days if possible_on(probe, day, bands)]
        pairs += len(cells)
        before, after = _values(old, family, cells, days), _values(new, family, cells, days)
        for (probe, day), va, vb in zip(cells, before, after, strict=True):
            if va != vb:
                g = groups.setdefault((family, va, vb), AnswerChange(family, va, vb))
                g.dates.add(day)
                g.situations.add(probe.describe(bands))
    if progress is not None:
        progress(len(todo), len(todo), "")
    return sorted(groups.values(), key=lambda g: (min(g.dates), g.field, -len(g.situations))), pairs


def diff(old_spec: str, new_spec: str,
         progress: Callable[[int, int, str], None] | None = None) -> tuple[list[RuleChange], list[AnswerChange], int]:
    with tempfile.TemporaryDirectory() as tmp:
        old = RuleBase.load(resolve(old_spec, Path(tmp) / "old"))
        new = RuleBase.load(resolve(new_spec, Path(tmp) / "new"))
    changes = rule_changes(old, new)
    horizon = new.ruleset.vocabulary.horizon or old.ruleset.vocabulary.horizon or (date.min, date.max)
    answers, pairs = answer_changes(old, new, changes, *horizon, progress=progress)
    return changes, answers, pairs
