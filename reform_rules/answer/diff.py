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

import numpy as np

from reform_rules.answer.rulebase import RuleBase
from reform_rules.basics.errors import ReformError
from reform_rules.basics.i18n import translator
from reform_rules.law.conditions import DERIVED
from reform_rules.law.model import UNDETERMINED, Rule
from reform_rules.logic.completeness import FieldProof, field_proof
from reform_rules.logic.parallel import Holdings
from reform_rules.logic.probe_grid import Cells, ProbeGrid
from reform_rules.logic.situation_codes import Analysis, Components
from reform_rules.logic.situations import Bands, check_dates, family_keys

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


class _Side:
    """One rule set's answers over the cells of the fields compared: each field's few cells asked about its
    rules (the proof's cover, ``field_proof``), in the helpers as soon as the field's cells are known."""

    def __init__(self, base: RuleBase):
        self.base = base
        self.an = Analysis(base.ruleset, Components(base.ruleset.vocabulary, base.program))
        self.fields: dict[str, tuple[FieldProof, int]] = {}
        self.holdings = Holdings(base)
        self._tables: dict = {}

    def add(self, family: str, cells: Cells) -> None:
        if family in self.base.program.families and len(cells):
            field = field_proof(self.an, family, cells, self._tables)
            self.fields[family] = field, self.holdings.add([(facts, family) for facts in field.facts])

    def words(self, family: str, n: int) -> list[str]:
        """What the rules decide for ``family`` in each of its ``n`` cells, in words."""
        if family not in self.fields:
            return ["—"] * n
        field, asked = self.fields[family]
        rule, answer = self.base.ruleset.rule, self.base.ruleset.answer
        out = [""] * n
        for rows, holding in field.holding(self.an, self.holdings.get(asked)):
            said = ", ".join(sorted({_value(rule(r), answer) for r in holding if rule(r).then_kind})) or "—"
            for i in rows.tolist():
                out[i] = said
        return out


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
    todo = [f for f in families if f in touched]
    cells_of: dict[str, Cells] = {}
    sides = (_Side(old), _Side(new))
    try:
        for family in todo:
            grid = ProbeGrid(new.ruleset, bands, _family_keys(old, new, changed, family))
            probe_of, day_of = np.nonzero(grid.possible(days))
            cells = cells_of[family] = Cells(grid, probe_of, day_of, days)
            for side in sides:
                side.add(family, cells)
        for done, family in enumerate(todo):
            if progress is not None:
                progress(done, len(todo), family)
            cells = cells_of[family]
            before, after = (side.words(family, len(cells)) for side in sides)
            described: dict[int, str] = {}
            for i, (va, vb) in enumerate(zip(before, after, strict=True)):
                if va != vb:
                    g = groups.setdefault((family, va, vb), AnswerChange(family, va, vb))
                    g.dates.add(cells.day(i))
                    n = int(cells.probe_of[i])
                    if n not in described:
                        described[n] = cells.probe(i).describe(bands)
                    g.situations.add(described[n])
    finally:
        for side in sides:
            side.holdings.close()
    if progress is not None:
        progress(len(todo), len(todo), "")
    pairs = sum(len(c) for c in cells_of.values())
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
