"""``reform check``: the rule files load, validate and compile, and the rules are complete.

Beyond the schema and the cross-references (done while loading), it checks dates for sanity,
that every source in the registry is cited, and — the part no other rules-as-code system does —
that every situation the rules can tell apart gets exactly one phase and one target group (or a
declared ``undetermined``) and no conflicting values, on every date where a rule changes.

The proof's size is measured before it runs (situations × change dates per field of the answer) and a
rule set past ``reform_rules.logic.situations.MAX_CELLS`` is refused with an error naming a rule, the size
and the limit (docs/guides/legal-editor.rst, "How large the proof may grow"); ``-v`` prints the size.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reform_rules.answer.rulebase import RuleBase
from reform_rules.basics.errors import ReformError
from reform_rules.basics.i18n import translator
from reform_rules.law.ruleset import rule_file_warnings
from reform_rules.logic.completeness import check_completeness
from reform_rules.logic.situations import MAX_CELLS

SANE_YEARS = (2020, 2040)


@dataclass
class CheckReport:
    directory: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    undetermined: list[str] = field(default_factory=list)
    rules: int = 0
    sources: int = 0
    pairs: int = 0
    distinct: int = 0
    situations: int = 0
    dates: int = 0
    gaps: int = 0
    overlaps: int = 0
    completeness: bool = False
    space: int = 0          # the largest field's proof: situation × date cells (measured before enumerating)
    space_field: str = ""
    seconds: float = 0.0
    rules_hash: str | None = None  # of the rules checked, when they loaded (the certificate's key)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self, lang: str | None = None) -> str:
        """One line: how many rules and sources, and what the completeness check proved (in ``lang``)."""
        t = translator(lang)
        head = ", ".join((f"{self.directory}: " + t.ngettext("{n} rule", "{n} rules", self.rules).format(n=self.rules),
                          t.ngettext("{n} source", "{n} sources", self.sources).format(n=self.sources)))
        seconds = f"{self.seconds:.1f}"
        if not self.completeness:
            return t.gettext("{head}; completeness not checked ({seconds} s)").format(head=head, seconds=seconds)
        return t.gettext("{head}; every field of the answer proved decided over {situations} situations and "
                         "{dates} change dates: {pairs} field × situation × date cells checked ({distinct} distinct "
                         "derivations): {gaps} gaps (fields silent), {overlaps} overlaps, {undetermined} undetermined "
                         "({seconds} s)").format(
            head=head, situations=self.situations, dates=self.dates, pairs=self.pairs, distinct=self.distinct,
            gaps=self.gaps, overlaps=self.overlaps, undetermined=len(self.undetermined), seconds=seconds)

    def lines(self, verbose: bool = False, lang: str | None = None) -> list[str]:
        """The report as text: the errors and warnings (as found, in English), then the summary in ``lang``."""
        t = translator(lang)
        warning = t.gettext("warning")
        out = list(self.errors) + [f"{warning}: {w}" for w in self.warnings]
        if verbose and self.undetermined:
            out += [t.gettext("undetermined (declared open questions, not errors):")] + \
                [f"  {u}" for u in self.undetermined]
        n = len(self.errors)
        if verbose and self.space:
            out.append(t.gettext("proof size: the largest proof ({field}) checks at most {size} "
                                 "situation × date cells; the limit is {limit} ({share} of it)").format(
                field=self.space_field, size=f"{self.space:,}", limit=f"{MAX_CELLS:,}",
                share=f"{self.space / MAX_CELLS:.0%}"))
        if self.ok:
            out.append(t.gettext("{summary}: clean").format(summary=self.summary(lang)))
        elif not self.rules:
            out.append(t.ngettext("{n} error in {directory}; nothing was loaded.",
                                  "{n} errors in {directory}; nothing was loaded.", n).format(
                                      n=n, directory=self.directory))
        else:
            out.append(t.ngettext("{summary}: {n} error", "{summary}: {n} errors", n).format(
                summary=self.summary(lang), n=n))
        return out

    def to_json(self) -> dict:
        return {"directory": self.directory, "ok": self.ok, "errors": self.errors, "warnings": self.warnings,
                "undetermined": self.undetermined, "rules": self.rules, "sources": self.sources,
                "situations": self.situations, "dates": self.dates, "pairs": self.pairs,
                "distinct": self.distinct, "gaps": self.gaps, "overlaps": self.overlaps,
                "completeness": self.completeness, "space": self.space, "space_limit": MAX_CELLS,
                "seconds": round(self.seconds, 3), "rules_hash": self.rules_hash}


def static_checks(ruleset) -> tuple[list[str], list[str]]:
    """Date sanity and source use: (errors, warnings)."""
    errors, warnings = [], []
    lo, hi = SANE_YEARS
    for rule in ruleset.rules:
        for name, day in (("valid.from", rule.valid_from), ("valid.to", rule.valid_to)):
            if day and not lo <= day.year <= hi:
                errors.append(f"{rule.file}:{rule.line_of('valid')}: {rule.id}: {name}: {day} is outside {lo}–{hi}; "
                              "is it a typo?")
    cited = {c.ref for r in ruleset.rules for c in r.source} | {c.ref for p in ruleset.parameters for c in p.source} \
        | {c.ref for t in ruleset.vocabulary.tables.values() for c in t.source}
    for src in ruleset.sources.values():
        if src.id not in cited:
            warnings.append(f"sources.yaml: {src.id}: in the registry but cited by no rule")
    warnings += never_apply(ruleset)
    phases = sorted((r for r in ruleset.in_family("phase")), key=lambda r: r.valid_from or date.min)
    for a, b in zip(phases, phases[1:], strict=False):   # each phase and the next
        if a.valid_to is None or b.valid_from is None or (b.valid_from - a.valid_to).days != 1:
            errors.append(f"{b.file}:{b.line_of('valid')}: {b.id}: valid.from: phase {b.id} does not start the day "
                          f"after phase {a.id} ends ({a.valid_to})")
    return errors, warnings


def _impossible_tests(when: dict, path: str = "when") -> list[tuple[str, str]]:
    """(field, why) for each number or date test in ``when`` that no value can pass."""
    out: list[tuple[str, str]] = []
    for key, test in when.items():
        if key == "any_of" and isinstance(test, list):
            for i, branch in enumerate(test):
                if isinstance(branch, dict):
                    out += _impossible_tests(branch, f"{path}.any_of[{i}]")
            continue
        if not isinstance(test, dict):
            continue
        if {"before", "on_or_after"} <= test.keys():
            if str(test["before"]) <= str(test["on_or_after"]):
                out.append((f"{path}.{key}", f"no date is before {test['before']} and on or after "
                                             f"{test['on_or_after']}"))
            continue
        number = {k: v for k, v in test.items() if isinstance(v, int) and not isinstance(v, bool)}
        lows = [v + (k == "over") for k, v in number.items() if k in ("at_least", "over")]
        highs = [v - (k == "under") for k, v in number.items() if k in ("at_most", "under")]
        if lows and highs and max(lows) > min(highs):
            shown = ", ".join(f"{k}: {test[k]}" for k in ("under", "at_least", "over", "at_most") if k in test)
            out.append((f"{path}.{key}", f"no number passes {{{shown}}}"))
    return out


def never_apply(ruleset) -> list[str]:
    """Warnings for rules that can never apply: valid wholly outside the vocabulary's horizon (the
    check never tests them), or a condition no value can meet."""
    out = []
    horizon = ruleset.vocabulary.horizon if ruleset.vocabulary else None
    for rule in ruleset.rules:
        if horizon and ((rule.valid_to and rule.valid_to < horizon[0])
                        or (rule.valid_from and rule.valid_from > horizon[1])):
            out.append(f"{rule.file}:{rule.line_of('valid')}: {rule.id}: valid: {rule.valid_from or '…'} – "
                       f"{rule.valid_to or '…'} lies wholly outside the vocabulary's horizon {horizon[0]} – "
                       f"{horizon[1]}, so reform check never tests it")
        for where, why in _impossible_tests(rule.condition.data()):
            parts = tuple(int(p) if p.isdigit() else p for p in where.replace("[", ".").replace("]", "").split("."))
            out.append(f"{rule.file}:{rule.line_of(*parts)}: {rule.id}: {where}: can never hold: {why}")
    return out


def run_check(directory: str | Path, completeness: bool = True,
              progress: Callable[[int, int, str], None] | None = None) -> CheckReport:
    """Load, compile and check the rules of ``directory``; report every error found."""
    start = time.perf_counter()
    report = CheckReport(directory=str(directory))
    try:
        base = RuleBase.load(directory)
    except ReformError as exc:
        report.errors = list(exc.messages)
        report.seconds = time.perf_counter() - start
        return report
    rs = base.ruleset
    report.rules_hash = base.rules_hash
    report.rules, report.sources = len(rs.rules), len(rs.sources)
    report.errors, report.warnings = static_checks(rs)
    report.warnings += rule_file_warnings(directory)
    if completeness:
        lo, hi = rs.vocabulary.horizon or (date(SANE_YEARS[0], 1, 1), date(SANE_YEARS[1], 12, 31))
        try:
            cov = check_completeness(base, lo, hi, progress=progress)
        except ReformError as exc:   # the proof is too large to run: refused before it started
            report.errors += exc.messages
            report.seconds = time.perf_counter() - start
            return report
        report.completeness = True
        if cov.sizes:
            largest = max(cov.sizes, key=lambda s: s.cells)
            report.space, report.space_field = largest.cells, largest.family
        report.pairs, report.distinct = cov.pairs, cov.distinct
        report.situations, report.dates = cov.situations, cov.dates
        report.gaps, report.overlaps = cov.count("gap"), cov.count("overlap")
        for f in cov.findings:
            if f.kind == "undetermined":
                report.undetermined.append(f"{', '.join(f.rules)}: {f.situation}: {f.span()}")
                continue
            family_rules = rs.in_family(f.family)
            if f.kind == "gap":
                first = family_rules[0]
                field = rs.answer.by_then(f.family)
                name = field.label["en"].lower() if field else f.family.replace("_", " ")
                report.errors.append(f"{first.file}:{first.line}: (silent): no rule decides the {name} for "
                                     f"{f.situation} on {f.span()}")
            else:
                r = rs.rule(f.rules[0])
                report.errors.append(f"{r.file}:{r.line}: {r.id}: overlaps {', '.join(f.rules[1:])}: two "
                                     f"{f.family.replace('_', ' ')} values for {f.situation} on {f.span()}")
    report.seconds = time.perf_counter() - start
    return report
